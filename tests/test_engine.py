"""The engine against simulated platforms: each behaviour a real site shows, and its verdict."""

from __future__ import annotations

import asyncio
import resource
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

import handlecheck
from handlecheck import HttpOptions, Reason, Result, Verdict
from handlecheck.registry import load_platforms
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry, signup_entry
from tests.simulator import Simulator


async def run(path: Path, handles: Sequence[str], options: HttpOptions) -> dict[tuple[str, str], Result]:
    results = [r async for r in handlecheck.check(handles, platforms=path, options=options)]
    by_pair = {(r.handle, r.platform): r for r in results}
    assert len(by_pair) == len(results), "one result per (handle, platform)"
    return by_pair


async def test_status_200_is_taken_and_404_is_available(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("prof", site.base))
    results = await run(path, ["acme", "freename"], fast)
    taken, free = results["acme", "prof"], results["freename", "prof"]
    assert (taken.verdict, taken.reason, taken.http_status) == (Verdict.TAKEN, None, 200)
    assert taken.url == f"{site.base}/acme"
    assert "status 200" in taken.evidence
    assert (free.verdict, free.http_status) == (Verdict.AVAILABLE, 404)


SOFT_404 = """
- id: soft
  name: Soft
  urls: {profile: "$base/{{handle}}"}
  checks:
    - request: {url: "$base/{{handle}}"}
      outcomes:
        - verdict: available
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["this page isn't available"]}]
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: regex, regex: ['og:title" content="{{handle}}"']}]
"""


async def test_soft_404_reads_the_page_not_the_status(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.soft_404({"acme"}))
    results = await run(platform_file(SOFT_404, base=site.base), ["acme", "nobody"], fast)
    assert results["acme", "soft"].verdict is Verdict.TAKEN
    assert results["nobody", "soft"].verdict is Verdict.AVAILABLE


async def test_redirect_to_login_page_is_unknown(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.login_redirect())
    # Even a rule that calls any 200 "taken" must not turn a login page into a verdict.
    entry = """
    - id: walled
      name: Walled
      checks:
        - request: {url: "$base/{{handle}}"}
          outcomes:
            - verdict: taken
              matchers: [{type: status, status: [200]}]
    """
    result = (await run(platform_file(entry, base=site.base), ["acme"], fast))["acme", "walled"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.LOGIN_WALL)
    assert "/accounts/login" in result.evidence


def redirect_or_profile(taken: set[str], location: str) -> behave.Handler:
    """A profile page for a taken name; every other name is sent to `location` (which answers 200)."""
    target = location.split("?", 1)[0]

    async def handle(request: web.Request) -> web.StreamResponse:
        name = request.path.rstrip("/").rsplit("/", 1)[-1]
        if request.path == target:
            return web.Response(text="<html><form>Log in</form></html>", content_type="text/html")
        if name in taken:
            return web.Response(text=f"<html><h1>@{name}</h1></html>", content_type="text/html")
        raise web.HTTPFound(location.replace("{name}", name))

    return handle


REDIRECT_NAMED_BY_HEADER = """
- id: named
  name: Named
  known: {taken: [acme]}
  checks:
    - request: {url: "$base/u/{{handle}}", redirects: false}
      outcomes:
        - verdict: available
          matchers-condition: and
          matchers: [{type: status, status: [302]}, {type: header, name: Location, words: ["/login?next="]}]
        - verdict: taken
          matchers: [{type: status, status: [200]}]
"""

REDIRECT_NAMED_BY_URL = """
- id: named
  name: Named
  known: {taken: [acme]}
  checks:
    - request: {url: "$base/u/{{handle}}"}
      outcomes:
        - verdict: available
          matchers: [{type: url, words: ["/login?next=/u/{{handle}}"]}]
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["@{{handle}}"]}]
"""


@pytest.mark.parametrize("entry", [REDIRECT_NAMED_BY_HEADER, REDIRECT_NAMED_BY_URL], ids=["header", "url"])
async def test_a_rule_that_names_the_sign_in_redirect_decides(
    sim: Simulator, platform_file: PlatformFile, fast, entry: str
):
    site = await sim.site(redirect_or_profile({"acme"}, "/login?next=/u/{name}"))
    results = await run(platform_file(entry, base=site.base), ["acme", "freename"], fast)
    assert results["acme", "named"].verdict is Verdict.TAKEN
    free = results["freename", "named"]
    assert (free.verdict, free.reason) == (Verdict.AVAILABLE, None)
    assert "/login?next=" in free.evidence


async def test_a_rule_that_does_not_name_the_sign_in_redirect_is_overruled(
    sim: Simulator, platform_file: PlatformFile, fast
):
    site = await sim.site(redirect_or_profile({"acme"}, "/login?next=/u/{name}"))
    # "any 3xx is available" says nothing about where the redirect goes: the login guard wins.
    entry = REDIRECT_NAMED_BY_HEADER.replace(', {type: header, name: Location, words: ["/login?next="]}', "")
    results = await run(platform_file(entry, base=site.base), ["acme", "freename"], fast)
    assert results["acme", "named"].verdict is Verdict.TAKEN
    free = results["freename", "named"]
    assert (free.verdict, free.reason) == (Verdict.UNKNOWN, Reason.LOGIN_WALL)


async def test_a_challenge_page_is_never_evidence_even_when_a_rule_names_it(
    sim: Simulator, platform_file: PlatformFile, fast
):
    site = await sim.site(behave.challenge_page())
    entry = """
    - id: named
      name: Named
      checks:
        - request: {url: "$base/u/{{handle}}"}
          outcomes:
            - verdict: available
              matchers: [{type: word, words: ["Just a moment"]}, {type: url, words: ["/u/"]}]
    """
    result = (await run(platform_file(entry, base=site.base), ["acme"], fast))["acme", "named"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.CHALLENGE)


JSON_API = """
- id: api
  name: Api
  urls: {profile: "$base/{{handle}}"}
  checks:
    - request: {url: "$base/api/users/{{handle}}", headers: {Accept: application/json}}
      outcomes:
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: login, equals: "{{handle}}"}]
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: login, exists: true}]
        - verdict: available
          matchers-condition: and
          matchers: [{type: status, status: [404]}, {type: json, path: message, equals: Not Found}]
"""


async def test_json_api(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.json_api({"acme"}))
    results = await run(platform_file(JSON_API, base=site.base), ["acme", "nobody"], fast)
    assert results["acme", "api"].verdict is Verdict.TAKEN
    assert "json login exists" in results["acme", "api"].evidence
    assert results["nobody", "api"].verdict is Verdict.AVAILABLE


async def test_malformed_json_is_unknown(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.malformed_json())
    result = (await run(platform_file(JSON_API, base=site.base), ["acme"], fast))["acme", "api"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE)


async def test_signup_endpoint_behind_csrf_token(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.csrf_signup(taken={"acme"}, reserved={"admin"}))
    results = await run(platform_file(signup_entry("signup", site.base)), ["acme", "admin", "freename"], fast)
    assert results["acme", "signup"].verdict is Verdict.TAKEN
    assert results["admin", "signup"].verdict is Verdict.RESERVED
    assert results["freename", "signup"].verdict is Verdict.AVAILABLE
    assert site.hits["/signup"] == 1, "the token is fetched once per session and reused"
    assert site.methods["POST"] == 3


async def test_missing_token_is_prefetch_failed_and_next_check_runs(sim: Simulator, platform_file: PlatformFile, fast):
    broken = await sim.site(behave.always(200, "<html>no token here</html>"))
    fallback = await sim.site(behave.profiles({"acme"}))
    entry = signup_entry("fallback", broken.base) + textwrap_checks(fallback.base)
    result = (await run(platform_file(entry), ["acme"], fast))["acme", "fallback"]
    assert result.verdict is Verdict.TAKEN
    assert broken.methods["POST"] == 0


def textwrap_checks(base: str) -> str:
    """A second check (profile page) appended to a `signup_entry`'s check list."""
    return f"""    - request: {{url: "{base}/{{{{handle}}}}"}}
      outcomes:
        - verdict: taken
          matchers: [{{type: status, status: [200]}}]
        - verdict: available
          matchers: [{{type: status, status: [404]}}]"""


async def test_429_waits_for_retry_after_then_succeeds(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.rate_limited_once({"acme"}, retry_after="1"))
    result = (await run(platform_file(profile_entry("limited", site.base)), ["acme"], fast))["acme", "limited"]
    assert result.verdict is Verdict.TAKEN
    assert site.hits["/acme"] == 2
    assert site.arrivals[1] - site.arrivals[0] >= 0.95, "Retry-After: 1 was honoured"


async def test_retry_after_beyond_the_cap_gives_up_as_rate_limited(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.always(429, "slow down", {"Retry-After": "86400"}))
    result = (await run(platform_file(profile_entry("storm", site.base)), ["acme"], fast))["acme", "storm"]
    assert (result.verdict, result.reason, result.http_status) == (Verdict.UNKNOWN, Reason.RATE_LIMITED, 429)
    assert site.requests == 1


async def test_503_once_then_success(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.flaky_once({"acme"}))
    result = (await run(platform_file(profile_entry("flaky", site.base)), ["acme"], fast))["acme", "flaky"]
    assert result.verdict is Verdict.TAKEN
    assert site.hits["/acme"] == 2


async def test_5xx_on_every_retry_is_unknown(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.always(503, "down"))
    options = replace(fast, retries=2)
    result = (await run(platform_file(profile_entry("down", site.base)), ["acme"], options))["acme", "down"]
    assert (result.verdict, result.reason, result.http_status) == (Verdict.UNKNOWN, Reason.SERVER_ERROR, 503)
    assert site.requests == 3


async def test_response_slower_than_timeout_is_unknown(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.slow(5))
    options = replace(fast, timeout=0.3, retries=0)
    result = (await run(platform_file(profile_entry("slow", site.base)), ["acme"], options))["acme", "slow"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.TIMEOUT)
    assert result.elapsed_ms < 2000


async def test_50mb_body_is_not_read_whole(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.huge_body(50))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = (await run(platform_file(SOFT_404, base=site.base), ["acme"], fast))["acme", "soft"]
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.BODY_TOO_LARGE)
    assert grown_mib < 30, f"peak memory grew by {grown_mib:.0f} MiB"


async def test_200_challenge_page_is_never_a_verdict(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.challenge_page())
    entry = """
    - id: guarded
      name: Guarded
      checks:
        - request: {url: "$base/{{handle}}"}
          outcomes:
            - verdict: taken
              matchers: [{type: status, status: [200]}]
            - verdict: available
              matchers: [{type: word, words: ["Not found"], negative: true}]
    """
    result = (await run(platform_file(entry, base=site.base), ["acme"], fast))["acme", "guarded"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.CHALLENGE)
    assert "Just a moment" in result.evidence


async def test_connection_reset_is_unknown_network(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.connection_reset())
    result = (await run(platform_file(profile_entry("reset", site.base)), ["acme"], fast))["acme", "reset"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.NETWORK)
    # Our retry doubles aiohttp's own single re-send of a dropped idempotent request.
    assert 2 <= site.requests <= 4, "a network error is retried, a bounded number of times"


async def test_a_connection_closed_before_any_answer_is_unknown_network(
    sim: Simulator, platform_file: PlatformFile, fast
):
    site = await sim.raw_site(behave.half_closed())
    result = (await run(platform_file(profile_entry("lost", site.base)), ["acme"], fast))["acme", "lost"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.NETWORK), result.evidence


async def test_an_answer_cut_short_is_a_server_error_tried_again(sim: Simulator, platform_file: PlatformFile, fast):
    """The headers came, so the host was reached (no sign of a machine offline); the body may
    come whole on a second try."""
    site = await sim.raw_site(behave.cut_short())
    result = (await run(platform_file(profile_entry("cut", site.base)), ["acme"], fast))["acme", "cut"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.SERVER_ERROR), result.evidence
    assert "cut short" in result.evidence and "\n" not in result.evidence
    assert site.connections >= 2, "tried again"


@pytest.mark.parametrize("fault", [behave.garbage, behave.endless_header])
async def test_an_answer_that_is_not_http_is_a_server_error_not_the_network(
    sim: Simulator, platform_file: PlatformFile, fast, fault: Callable[[], behave.RawHandler]
):
    """The server is there and said something: no sign of a machine offline (the run's exit
    is not 3), and the evidence is one line."""
    site = await sim.raw_site(fault())
    result = (await run(platform_file(profile_entry("odd", site.base)), ["acme"], fast))["acme", "odd"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.SERVER_ERROR), result.evidence
    assert "not readable HTTP" in result.evidence and "\n" not in result.evidence


async def test_redirect_loop_is_unknown(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.redirect_loop())
    result = (await run(platform_file(profile_entry("loop", site.base)), ["acme"], fast))["acme", "loop"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.TOO_MANY_REDIRECTS)


async def test_nothing_listening_is_unknown_network(platform_file: PlatformFile, fast):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = platform_file(profile_entry("dead", f"http://127.0.0.1:{port}"))
    result = (await run(path, ["acme"], fast))["acme", "dead"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.NETWORK)


@pytest.mark.parametrize("handle", ["a/b", "a?b", "a#b", "a%2fb", "a..b", "x" * 31, "a"])
async def test_invalid_handle_sends_no_request(sim: Simulator, platform_file: PlatformFile, fast, handle):
    site = await sim.site(behave.profiles({"acme"}))
    result = (await run(platform_file(profile_entry("strict", site.base)), [handle], fast))[handle, "strict"]
    assert result.verdict is Verdict.INVALID
    assert result.reason is None and result.http_status is None
    assert site.requests == 0


async def test_handle_in_host_cannot_change_host(sim: Simulator, platform_file: PlatformFile, fast):
    entry = """
    - id: subdomain
      name: Subdomain
      urls: {profile: "http://{{handle}}.sub.localhost:9/"}
      checks:
        - request: {url: "http://{{handle}}.sub.localhost:9/"}
          outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]
    """
    result = (await run(platform_file(entry), ["evil.com@x"], fast))["evil.com@x", "subdomain"]
    assert result.verdict is Verdict.INVALID


async def test_first_check_unknown_falls_back_to_the_next(sim: Simulator, platform_file: PlatformFile, fast):
    down = await sim.site(behave.always(503))
    up = await sim.site(behave.profiles({"acme"}))
    entry = f"""
    - id: twostep
      name: Twostep
      checks:
        - name: api
          request: {{url: "{down.base}/{{{{handle}}}}"}}
          outcomes: [{{verdict: taken, matchers: [{{type: status, status: [200]}}]}}]
        - name: page
          request: {{url: "{up.base}/{{{{handle}}}}"}}
          outcomes: [{{verdict: taken, matchers: [{{type: status, status: [200]}}]}}]
    """
    result = (await run(platform_file(entry), ["acme"], fast))["acme", "twostep"]
    assert result.verdict is Verdict.TAKEN
    assert "check 2 (page)" in result.evidence


async def test_per_host_concurrency_is_never_exceeded(sim: Simulator, platform_file: PlatformFile):
    site = await sim.site(behave.profiles({"h3"}, delay=0.05))
    path = platform_file(profile_entry("polite", site.base, extra="rate-limit: {concurrency: 2}"))
    handles = [f"h{i}" for i in range(12)]
    results = await run(path, handles, HttpOptions(concurrency=50, host_concurrency=8))
    assert len(results) == 12
    assert site.peak_in_flight == 2


async def test_default_host_concurrency_applies_without_a_rate_limit(sim: Simulator, platform_file: PlatformFile):
    site = await sim.site(behave.profiles(set(), delay=0.05))
    path = platform_file(profile_entry("plain", site.base))
    await run(path, [f"h{i}" for i in range(10)], HttpOptions(concurrency=50, host_concurrency=3))
    assert site.peak_in_flight == 3


async def test_per_host_interval_spaces_requests(sim: Simulator, platform_file: PlatformFile):
    site = await sim.site(behave.profiles(set()))
    path = platform_file(profile_entry("paced", site.base, extra="rate-limit: {concurrency: 4, interval: 0.2}"))
    await run(path, ["aa", "bb", "cc", "dd"], HttpOptions())
    gaps = [b - a for a, b in zip(site.arrivals, site.arrivals[1:], strict=False)]
    # The first request also opens the connection, so its arrival may lag behind its start.
    assert len(gaps) == 3 and min(gaps[1:]) >= 0.18
    assert site.arrivals[-1] - site.arrivals[0] >= 0.55


async def test_platforms_on_one_host_share_its_limit(sim: Simulator, platform_file: PlatformFile):
    site = await sim.site(behave.profiles(set(), delay=0.05))
    path = platform_file(profile_entry("one", site.base), profile_entry("two", site.base))
    await run(path, [f"h{i}" for i in range(6)], HttpOptions(concurrency=50, host_concurrency=2))
    assert site.peak_in_flight == 2


async def test_results_stream_before_the_slowest_finishes(sim: Simulator, platform_file: PlatformFile):
    quick = await sim.site(behave.profiles({"acme"}))
    sluggish = await sim.site(behave.slow(1.5))
    path = platform_file(profile_entry("quick", quick.base), profile_entry("sluggish", sluggish.base))
    loop = asyncio.get_running_loop()
    started = loop.time()
    first_at = None
    async for result in handlecheck.check(["acme"], platforms=path, options=HttpOptions(timeout=5)):
        if first_at is None:
            first_at = loop.time() - started
            assert result.platform == "quick"
    assert first_at is not None and first_at < 1.0


async def test_user_agent_is_realistic_and_can_be_overridden(sim: Simulator, platform_file: PlatformFile):
    seen: list[str] = []

    async def record(request):
        seen.append(request.headers.get("User-Agent", ""))
        return await behave.profiles(set())(request)

    site = await sim.site(record)
    path = platform_file(profile_entry("ua", site.base))
    await run(path, ["acme"], HttpOptions())
    await run(path, ["acme"], HttpOptions(user_agent="brand-audit/1.0"))
    assert seen[0].startswith("Mozilla/5.0") and seen[1] == "brand-audit/1.0"


def test_sync_wrapper_returns_every_result(tmp_path: Path):
    entry = """version: 1
platforms:
  - id: offline
    name: Offline
    handle: {pattern: "^[a-z]+$"}
    checks:
      - request: {url: "http://127.0.0.1:9/{{handle}}"}
        outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]
"""
    path = tmp_path / "p.yaml"
    path.write_text(entry)
    results = handlecheck.check_sync(["ACME1", "ACME2"], platforms=load_platforms(path))
    assert [r.verdict for r in results] == [Verdict.INVALID, Verdict.INVALID]


async def test_case_insensitive_platform_is_asked_in_lower_case(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.profiles({"acme", "MixedCase"}))
    lower_only = """
    - id: folded
      name: Folded
      handle: {pattern: "^[a-z]+$$", case: insensitive}
      checks:
        - request: {url: "$base/{{handle}}"}
          outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]},
                     {verdict: available, matchers: [{type: status, status: [404]}]}]
    - id: exact
      name: Exact
      handle: {pattern: "^[A-Za-z]+$$", case: sensitive}
      checks:
        - request: {url: "$base/{{handle}}"}
          outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]},
                     {verdict: available, matchers: [{type: status, status: [404]}]}]
    """
    results = await run(platform_file(lower_only, base=site.base), ["ACME", "MixedCase"], fast)
    assert results["ACME", "folded"].verdict is Verdict.TAKEN, "asked for /acme, not refused as invalid"
    assert results["ACME", "exact"].verdict is Verdict.AVAILABLE
    assert results["MixedCase", "exact"].verdict is Verdict.TAKEN
    assert results["MixedCase", "folded"].url is None and results["ACME", "folded"].handle == "ACME"
    assert site.hits["/acme"] == 1 and site.hits["/ACME"] == 1


async def test_one_session_asks_each_platform_once_per_name(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(behave.profiles({"acme"}))
    platforms = load_platforms(platform_file(profile_entry("once", site.base)))
    async with handlecheck.Checker(fast) as checker:
        first = await checker.check_one("acme", platforms[0])
        again = await checker.check_one("ACME", platforms[0])
    assert site.hits["/acme"] == 1
    assert (first.verdict, again.verdict, again.handle) == (Verdict.TAKEN, Verdict.TAKEN, "ACME")


NEGATIVE_RULE = """
- id: absence
  name: Absence
  checks:
    - request: {url: "$base/{{handle}}"}
      outcomes:
        - verdict: available
          matchers: [{type: word, words: ["Not Found"]}]
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["Not Found"], negative: true}]
"""


def fixed_page(body: bytes, content_type: str | None = "text/html") -> behave.Handler:
    async def handle(request: web.Request) -> web.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(body=body, headers=headers)

    return handle


async def test_an_empty_200_proves_no_absence(sim: Simulator, platform_file: PlatformFile, fast):
    site = await sim.site(fixed_page(b""))
    result = (await run(platform_file(NEGATIVE_RULE, base=site.base), ["acme"], fast))["acme", "absence"]
    assert (result.verdict, result.reason, result.http_status) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, 200)
    assert "empty body: the absence of 'Not Found' proves nothing" in result.evidence
    page = await sim.site(fixed_page(b"<html><h1>@acme</h1></html>"))
    mislabelled = await sim.site(fixed_page(b"<html><h1>@acme</h1></html>", "application/octet-stream"))
    for base in (page.base, mislabelled.base):
        whole = (await run(platform_file(NEGATIVE_RULE, base=base), ["acme"], fast))["acme", "absence"]
        assert whole.verdict is Verdict.TAKEN, "a whole text page without the marker still proves its absence"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image/png"), (b"\x00\x01\xfe\xff" * 50, None)],
    ids=["image", "unlabelled binary"],
)
async def test_a_binary_200_proves_no_absence(
    sim: Simulator, platform_file: PlatformFile, fast, body: bytes, content_type: str | None
):
    site = await sim.site(fixed_page(body, content_type))
    result = (await run(platform_file(NEGATIVE_RULE, base=site.base), ["acme"], fast))["acme", "absence"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE)
    assert "not a text body" in result.evidence and "proves nothing" in result.evidence


async def test_a_body_cut_at_the_cap_proves_no_absence_but_a_marker_in_it_counts(
    sim: Simulator, platform_file: PlatformFile, fast
):
    site = await sim.site(fixed_page(b"<html>" + b"x" * 5000 + b"Not Found</html>"))
    early = await sim.site(fixed_page(b"<html>Not Found" + b"x" * 5000 + b"</html>"))
    capped = replace(fast, max_body_bytes=1024)
    path = platform_file(NEGATIVE_RULE, base=site.base)
    result = (await run(path, ["acme"], capped))["acme", "absence"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.BODY_TOO_LARGE)
    assert "body cut at the size cap: the absence of 'Not Found' proves nothing" in result.evidence
    found = (await run(platform_file(NEGATIVE_RULE, base=early.base), ["acme"], capped))["acme", "absence"]
    assert found.verdict is Verdict.AVAILABLE, "a marker seen in the part that was read is evidence"
    whole = (await run(path, ["acme"], fast))["acme", "absence"]
    assert whole.verdict is Verdict.AVAILABLE
