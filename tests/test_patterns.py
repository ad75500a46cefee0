"""Patterns from platform files run against a deadline on the one event loop: a pattern that
backtracks catastrophically costs a run one deadline, not one per handle, the healthy
platforms around it keep their verdicts, and its own checks say what happened."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import handlecheck
from handlecheck import ConfigError, HttpOptions, Reason, Result, Verdict
from handlecheck.models import Check, Matcher, MatcherType, Outcome, RequestSpec
from handlecheck.registry import load_platforms
from handlecheck.rules import ResponseView, decide, matcher_holds
from handlecheck.rules.patterns import SEARCH_TIMEOUT_SECONDS, STRIKES, PatternTimeout, compile_pattern, search
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator
from tests.test_rules import VARS, response

HANDLES = [f"user{i}" for i in range(120)]
TAKEN = HANDLES[::2]
HEALTHY = 60
OPTIONS = HttpOptions(concurrency=32, timeout=2.0, retries=1, backoff=0.01)
# Today's deadline is 0.1 s, waited out twice: 120 waits for it would be 12 s, the old 0.25 s made them 30 s.
RUN_SECONDS = 10.0

BACKTRACKER = """
- id: backtracker
  name: backtracker
  checks:
    - request: {url: "$base/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers: [{type: regex, regex: ['(a+)+$$']}]
        - verdict: available
          matchers: [{type: status, status: [200]}]
"""


def _check_healthy(results: list[Result], bad: str) -> None:
    healthy = [r for r in results if r.platform != bad]
    assert len(healthy) == HEALTHY * len(HANDLES)
    wrong = [r for r in healthy if r.verdict is not (Verdict.TAKEN if r.handle in TAKEN else Verdict.AVAILABLE)]
    assert not wrong, f"{len(wrong)} healthy checks lost their verdict, e.g. {wrong[0].evidence}"


async def test_a_catastrophic_matcher_in_a_native_file_costs_one_deadline(
    sim: Simulator, platform_file: PlatformFile
) -> None:
    healthy = [await sim.site(behave.profiles(TAKEN)) for _ in range(HEALTHY)]
    bad = await sim.site(behave.always(200, "a" * 50_000 + "b"))
    entries = [profile_entry(f"ok{i}", site.base) for i, site in enumerate(healthy)]
    path = platform_file(*entries, BACKTRACKER, base=bad.base)

    started = time.monotonic()
    results = [r async for r in handlecheck.check(HANDLES, path, options=OPTIONS)]
    elapsed = time.monotonic() - started

    assert elapsed < RUN_SECONDS, f"the run took {elapsed:.1f} s"
    _check_healthy(results, "backtracker")
    stuck = [r for r in results if r.platform == "backtracker"]
    assert len(stuck) == len(HANDLES)
    for result in stuck:
        assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE)
        assert "check 1: status 200, pattern '(a+)+$' ran out of time (0.1 s)" in result.evidence
    waited = [r for r in stuck if "earlier in this run, so it is not run again" not in r.evidence]
    assert len(waited) <= STRIKES, "the pattern is searched to its deadline twice, then known to be spent"


async def test_a_catastrophic_handle_rule_in_an_imported_sherlock_file(sim: Simulator, tmp_path: Path) -> None:
    healthy = [await sim.site(behave.profiles(TAKEN)) for _ in range(HEALTHY)]
    rule_site = await sim.site(behave.profiles(TAKEN))
    document = {
        f"Ok{i}": {"errorType": "status_code", "url": f"{site.base}/{{}}", "urlMain": site.base}
        for i, site in enumerate(healthy)
    }
    document["Backtracker"] = {
        "errorType": "status_code",
        "regexCheck": "^(user|s|ss|\\d)+$",
        "url": f"{rule_site.base}/{{}}",
        "urlMain": rule_site.base,
    }
    path = tmp_path / "sherlock.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    handles = [f"user{'s' * 40}!{i}" for i in range(len(HANDLES))]

    started = time.monotonic()
    results = [r async for r in handlecheck.check(handles, path, options=OPTIONS)]
    elapsed = time.monotonic() - started

    assert elapsed < RUN_SECONDS, f"the run took {elapsed:.1f} s"
    assert len(results) == (HEALTHY + 1) * len(handles)
    # A handle rule that cannot be decided is not applied: the platform itself is asked.
    assert {r.verdict for r in results} == {Verdict.AVAILABLE}


def test_a_timeout_spends_the_pattern_and_says_which() -> None:
    pattern = compile_pattern(r"(c+)+$")
    text = "c" * 50_000 + "d"
    started = time.monotonic()
    with pytest.raises(PatternTimeout, match=r"^pattern '\(c\+\)\+\$' ran out of time \(0\.1 s\)$"):
        search(pattern, text)
    with pytest.raises(PatternTimeout, match=r"ran out of time \(0\.1 s\)$"):
        search(pattern, text)
    for _ in range(100):
        with pytest.raises(PatternTimeout, match="earlier in this run, so it is not run again"):
            search(pattern, "c")
    assert time.monotonic() - started < 20 * SEARCH_TIMEOUT_SECONDS


def test_a_filled_in_template_is_spent_with_its_template() -> None:
    template = r"{{handle}}(e+)+$"
    with pytest.raises(PatternTimeout, match=r"'\{\{handle\}\}\(e\+\)\+\$' ran out of time"):
        search(compile_pattern(r"x(e+)+$"), "x" + "e" * 50_000 + "f", origin=template)
    with pytest.raises(PatternTimeout, match=r"ran out of time \(0\.1 s\)$"):
        search(compile_pattern(r"z(e+)+$"), "z" + "e" * 50_000 + "f", origin=template)
    with pytest.raises(PatternTimeout, match="not run again"):
        search(compile_pattern(r"y(e+)+$"), "y", origin=template)


def test_an_outcome_that_cannot_be_judged_stops_the_check() -> None:
    """A later outcome must not decide when an earlier one could not be judged."""
    slow = Matcher(MatcherType.REGEX, regexes=(r"(g+)+$",))
    with pytest.raises(PatternTimeout):
        matcher_holds(slow, ResponseView(response(body="g" * 50_000 + "h")), VARS)
    check = Check(
        RequestSpec("https://example.test/{{handle}}"),
        (
            Outcome(Verdict.TAKEN, (slow,)),
            Outcome(Verdict.AVAILABLE, (Matcher(MatcherType.STATUS, statuses=((200, 200),)),)),
        ),
    )
    decision = decide(check, response(200, "g" * 50_000 + "h"), VARS, "check 1")
    assert (decision.verdict, decision.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE)
    assert decision.evidence.startswith("check 1: status 200, pattern '(g+)+$' ran out of time (0.1 s)")


def test_a_pattern_that_would_compile_to_hundreds_of_megabytes_is_refused(platform_file: PlatformFile) -> None:
    """`regex` writes out a counted repeat inside another: this one would be a million copies."""
    bomb = BACKTRACKER.replace("(a+)+$$", "(?:a{1000}b){1000}")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_platforms(platform_file(bomb, base="http://127.0.0.1:9"))
    assert time.monotonic() - started < 0.2
    assert str(caught.value).endswith(
        ".matchers[0].regex: bad regular expression: counted repeats nested in one another make 1,000,000 copies "
        "(at most 10,000)"
    )


async def test_a_pattern_spent_in_one_run_is_tried_again_in_the_next(
    sim: Simulator, platform_file: PlatformFile
) -> None:
    """Spent is per run: a moment's load in one run must not cost a later run its verdicts."""
    bad = await sim.site(behave.always(200, "a" * 50_000 + "b"))
    path = platform_file(BACKTRACKER, base=bad.base)
    for _ in range(2):
        results = [r async for r in handlecheck.check(HANDLES[:6], path, options=OPTIONS)]
        waited = [r for r in results if "earlier in this run" not in r.evidence]
        assert 1 <= len(waited) <= STRIKES, [r.evidence for r in results]
