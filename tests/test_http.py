"""The HTTP layer's own rules: politeness keys, Retry-After, limiters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from handlecheck import HttpOptions
from handlecheck.http import HostLimiter, host_key, parse_retry_after
from handlecheck.models import RateLimit
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
