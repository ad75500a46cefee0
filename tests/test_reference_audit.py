"""Every bundled rule against what Sherlock, WhatsMyName and Maigret say the same site answers.

For each bundled platform that one of the databases in ../shared/reference/ also describes, the
database's response for an existing account and for a missing one is served from loopback and
read by the platform's first check that asks the same endpoint, through the real engine. A
database's "missing" answer must never read `taken`, its "exists" answer never `available`
(`unknown` is fine: a rule may want more evidence than a database gives). Platforms whose checks
ask another endpoint (an API, a sign-up check) than the database describes, or fetch a token
first, are counted as skipped. Nothing leaves loopback: every request, redirect included, goes to
the local server, and no credential is read. The databases are hypotheses about live sites, not
proof; this audit only says that no bundled rule contradicts them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from handlecheck import HttpOptions, Verdict
from handlecheck.registry import load_platforms, parse_platforms
from tests.reference_audit import Answer, Canned, Described, Fed, feed, find_matches, load_all, shape

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
OPTIONS = HttpOptions(timeout=5.0, retries=0, backoff=0.01, host_concurrency=8, rate_limit_budget=1.0)
"""Every route is on one loopback host: eight in flight keeps the run to seconds."""


def summary(fed: list[Fed], skipped: Counter[str], matched: Counter[str], platforms: int, sites: int) -> str:
    readings = Counter(f"{item.answer.value}->{item.result.verdict.value}" for item in fed)
    return (
        f"reference audit: {sites} of {platforms} bundled platforms matched a database entry "
        f"({', '.join(f'{db} {n}' for db, n in sorted(matched.items()))} entries); "
        f"{len(fed)} responses fed ({', '.join(f'{k} {n}' for k, n in sorted(readings.items()))}); "
        f"{sum(skipped.values())} entries skipped (the rule asks another endpoint, or fetches a token first) "
        f"({', '.join(f'{db} {n}' for db, n in sorted(skipped.items()))}); "
        f"{sum(item.contradicts for item in fed)} contradictions"
    )


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"{REFERENCE} is not present (as on CI): nothing to audit against")
async def test_no_bundled_rule_contradicts_the_reference_databases() -> None:
    platforms = load_platforms()
    matches = find_matches(platforms, load_all(REFERENCE))
    fed = await feed(matches, OPTIONS)
    skipped = Counter(m.entry.database for m in matches if m.check is None)
    sites = len({m.platform.id for m in matches})
    print("\n" + summary(fed, skipped, Counter(m.entry.database for m in matches), len(platforms), sites))

    assert sites >= 0.8 * len(platforms), "most bundled platforms are in at least one database: the matching works"
    described = sum(len(m.entry.exists) + len(m.entry.missing) for m in matches if m.check is not None)
    assert len(fed) == described, "every response a meaningful match describes was fed"
    readings = Counter((item.answer, item.result.verdict) for item in fed)
    for answer, verdict in ((Answer.EXISTS, Verdict.TAKEN), (Answer.MISSING, Verdict.AVAILABLE)):
        share = readings[answer, verdict] / sum(n for (a, _), n in readings.items() if a is answer)
        assert share >= 0.25, f"the rules read the responses: {share:.0%} of {answer.value} read {verdict.value}"
    contradictions = [item.describe() for item in fed if item.contradicts]
    assert not contradictions, f"{len(contradictions)} bundled rules contradict a database:\n" + "\n".join(
        contradictions
    )


WEAK_RULE = """
version: 1
platforms:
  - id: softsite
    name: Soft Site
    urls: {profile: "https://soft.example/u/{{handle}}"}
    handle: {pattern: '^[a-z0-9]{2,30}$'}
    known: {taken: [alice], available: [nobodyhere7]}
    checks:
      - name: profile
        request: {url: "https://soft.example/u/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
          - verdict: available
            matchers: [{type: status, status: [404]}]
"""


async def test_the_audit_catches_a_rule_that_misreads_a_soft_404() -> None:
    """Runs everywhere: a rule that reads any 200 as taken meets a site whose missing page is a
    200 with a marker, and a site whose existing account answers 200 while the rule asks a 404."""
    platform = parse_platforms(WEAK_RULE, source="weak")[0]
    soft = Described(
        "whatsmyname", "Soft Site", shape("https://soft.example/u/{account}", "{account}"),
        shape("https://www.soft.example/u/{account}/", "{account}"), (Canned(200, 'class="profile"'),),
        (Canned(200, "User not found"),),
    )  # fmt: skip
    elsewhere = Described(
        "sherlock", "Soft Site API", shape("https://soft.example/u/{}", "{}"),
        shape("https://api.soft.example/users/{}", "{}"), (Canned(200),), (Canned(404),),
    )  # fmt: skip
    matches = find_matches([platform], [soft, elsewhere])
    assert [(m.entry.name, m.check) for m in matches] == [("Soft Site API", None), ("Soft Site", 0)]
    fed = await feed(matches, OPTIONS)
    verdicts = {item.answer: item.result.verdict for item in fed}
    assert verdicts == {Answer.EXISTS: Verdict.TAKEN, Answer.MISSING: Verdict.TAKEN}
    (wrong,) = [item for item in fed if item.contradicts]
    assert wrong.answer is Answer.MISSING
    assert "softsite" in wrong.describe() and "User not found" in wrong.describe()


async def test_a_redirect_answer_leads_to_the_path_the_database_names() -> None:
    """Sherlock's response_url: the missing page is a redirect; a rule that does not follow
    redirects and reads the Location header sees the database's errorUrl path, name filled in."""
    text = WEAK_RULE.replace(
        '{url: "https://soft.example/u/{{handle}}"}', '{url: "https://soft.example/u/{{handle}}", redirects: false}'
    ).replace(
        "[{type: status, status: [404]}]",
        "[{type: status, status: [302]}, {type: header, name: location, words: ['/search?q={{handle}}']}]",
    )
    platform = parse_platforms(text, source="redirect")[0]
    entry = Described(
        "sherlock", "Soft Site", shape("https://soft.example/u/{}", "{}"), shape("https://soft.example/u/{}", "{}"),
        (Canned(200),), (Canned(302, location="/search?q=zzhandlezz"),),
    )  # fmt: skip
    fed = await feed(find_matches([platform], [entry]), OPTIONS)
    assert {item.answer: item.result.verdict for item in fed} == {
        Answer.EXISTS: Verdict.TAKEN,
        Answer.MISSING: Verdict.AVAILABLE,
    }
