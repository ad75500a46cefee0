"""The HTTP layer's own rules: politeness keys, Retry-After, limiters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import web

from handlecheck import HttpOptions, Reason, Verdict
from handlecheck.models import RateLimit
from handlecheck.net.politeness import HostLimiter, host_key, parse_retry_after
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator
from tests.test_engine import run


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("https://api.github.com/users/{{handle}}", "https://api.github.com:443"),
        ("https://{{handle}}.tumblr.com/", "https://*.tumblr.com:443"),
        ("HTTP://Example.test:8080?u={{handle}}", "http://example.test:8080"),
        ("http://127.0.0.1:9/{{handle}}", "http://127.0.0.1:9"),
    ],
)
def test_host_key_groups_every_handle_of_a_template(template: str, key: str) -> None:
    assert host_key(template) == key


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0", 0.0), ("Sat, 21 Nov 2026 12:00:30 GMT", 30.0), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now) == seconds


async def test_limiter_tightens_in_place() -> None:
    limiter = HostLimiter(RateLimit(4))
    peak = in_flight = 0

    async def request() -> None:
        nonlocal peak, in_flight
        async with limiter:
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1

    limiter.tighten(RateLimit(1))
    await asyncio.gather(*(request() for _ in range(6)))
    assert peak == 1 and limiter.policy == RateLimit(1, 0.0)


async def test_stricter_platform_on_a_shared_host_wins(sim: Simulator, platform_file: PlatformFile) -> None:
    site = await sim.site(behave.profiles(set(), delay=0.05))
    path = platform_file(
        profile_entry("loose", site.base, extra="rate-limit: {concurrency: 4}"),
        profile_entry("strict", site.base, extra="rate-limit: {concurrency: 1}"),
    )
    await run(path, [f"h{i}" for i in range(6)], HttpOptions(concurrency=50))
    assert site.peak_in_flight == 1


def paced(taken: set[str], gap: float, *, retry_after: str | None) -> behave.Handler:
    """A host that serves one request per `gap` seconds and answers 429 to any sooner one,
    with or without a Retry-After header (real platforms often send none)."""
    last = [-1e9]

    async def handle(request: web.Request) -> web.StreamResponse:
        now = asyncio.get_running_loop().time()
        if now - last[0] < gap:
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            return web.Response(status=429, text="slow down", headers=headers)
        last[0] = now
        return await behave.profiles(taken)(request)

    return handle


@pytest.mark.parametrize("retry_after", [None, "1"], ids=["bare-429", "retry-after"])
async def test_a_host_that_paces_with_429_is_learnt_and_every_check_waits_its_turn(
    sim: Simulator, platform_file: PlatformFile, retry_after: str | None
) -> None:
    site = await sim.site(paced({"acme"}, 0.1, retry_after=retry_after))
    handles = ["acme", *(f"free{i}" for i in range(9))]
    # One retry only: a 429 must not spend it (ten 429-prone checks would run out at once).
    options = HttpOptions(retries=1, backoff=0.01, rate_limit_budget=20.0)
    results = await run(platform_file(profile_entry("paced", site.base)), handles, options)
    verdicts = {h: results[h, "paced"].verdict for h in handles}
    assert verdicts == {h: Verdict.TAKEN if h == "acme" else Verdict.AVAILABLE for h in handles}
    refused = site.requests - len(handles)
    assert refused <= len(handles), f"{refused} requests refused: the host's pace was not learnt"


async def test_a_host_that_never_stops_saying_429_ends_rate_limited_when_its_budget_is_spent(
    sim: Simulator, platform_file: PlatformFile
) -> None:
    site = await sim.site(behave.always(429, "slow down"))
    options = HttpOptions(retries=1, backoff=0.01, rate_limit_budget=1.0)
    started = asyncio.get_running_loop().time()
    results = await run(platform_file(profile_entry("storm", site.base)), [f"n{i}" for i in range(8)], options)
    elapsed = asyncio.get_running_loop().time() - started
    assert {(r.verdict, r.reason) for r in results.values()} == {(Verdict.UNKNOWN, Reason.RATE_LIMITED)}
    assert elapsed < 1.0 + 2.5, f"{elapsed:.1f}s: the budget bounds the wait"
    assert site.peak_in_flight == 1 or site.requests <= 3, "after the first 429 one request at a time"


async def test_a_host_that_keeps_asking_to_wait_with_503_ends_server_error_in_its_own_words(
    sim: Simulator, platform_file: PlatformFile
) -> None:
    """A 503 with Retry-After slows the host as a 429 does; its budget spent, the evidence
    names the 503 it kept sending and the reason is server_error, not a 429 it never sent."""
    site = await sim.site(behave.always(503, "busy", headers={"Retry-After": "1"}))
    options = HttpOptions(retries=1, backoff=0.01, rate_limit_budget=1.0)
    results = await run(platform_file(profile_entry("busy", site.base)), [f"n{i}" for i in range(6)], options)
    assert {(r.verdict, r.reason) for r in results.values()} == {(Verdict.UNKNOWN, Reason.SERVER_ERROR)}
    assert all("429" not in r.evidence for r in results.values()), [r.evidence for r in results.values()]
    assert any("kept answering 503 (slow down)" in r.evidence for r in results.values())


def test_a_429_halves_the_rate_and_answers_win_it_back() -> None:
    async def scenario() -> None:
        limiter = HostLimiter(RateLimit(2, 0.0), budget=30.0)
        for _ in range(4):
            async with limiter:
                await asyncio.sleep(0.01)
        limiter.slowed_down(None)
        slowed = limiter.current
        assert slowed.concurrency == 1 and slowed.interval >= 0.05
        assert limiter.rate_limited_since is not None
        limiter.answered()
        assert limiter.rate_limited_since is None, "an answer: the budget starts again at the next 429"
        for _ in range(40):
            limiter.answered()
        assert limiter.current.concurrency == 2, "a run of answers wins back the slots the file allows"
        assert limiter.current.interval < slowed.interval / 4, "and most of the rate"

    asyncio.run(scenario())


async def test_redirects_are_followed_hop_by_hop_and_file_headers_stay_on_their_host(
    sim: Simulator, platform_file: PlatformFile
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def landing(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("X-Api-Key")))
        return web.Response(text="<html>@acme</html>", content_type="text/html")

    other = await sim.site(landing)

    async def moved(request: web.Request) -> web.StreamResponse:
        seen.append((request.path, request.headers.get("X-Api-Key")))
        if request.path.startswith("/u/"):
            raise web.HTTPFound(f"/v/{request.path.rsplit('/', 1)[-1]}")
        raise web.HTTPFound(f"{other.base}/w/acme")

    site = await sim.site(moved)
    entry = profile_entry("moved", site.base).replace(
        'request: {url: "' + site.base + '/{{handle}}"}',
        'request: {url: "' + site.base + '/u/{{handle}}", headers: {X-Api-Key: k1}}',
    )
    results = await run(platform_file(entry), ["acme"], HttpOptions(retries=0))
    assert results["acme", "moved"].verdict is Verdict.TAKEN
    assert seen == [("/u/acme", "k1"), ("/v/acme", "k1"), ("/w/acme", None)], "the key never leaves its host"
