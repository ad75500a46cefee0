"""Fault injection: a whole scan against simulated platforms that misbehave in every way we know.

Each faulty platform below breaks one promise of HTTP (or of good manners). The scan must
still finish within its deadline, give every (handle, platform) pair exactly one result,
never draw a conclusion the evidence does not support, and keep its memory bounded however
much a server tries to send.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

import handlecheck
from handlecheck import HttpOptions, Reason, Result, Verdict
from handlecheck.candidates import skeleton
from handlecheck.cli import main
from handlecheck.config import Config
from handlecheck.domain import Depth, ScanReport
from handlecheck.pipeline.scan import scan
from handlecheck.registry import load_platforms
from handlecheck.report.scan import render_csv, render_html, render_json, render_markdown, render_table
from handlecheck.todo import variants
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry, signup_entry
from tests.simulator import Simulator

# 32 in flight overall, as the suite was written for: its 0.5 s timeout is meant for the
# servers' faults, not for a loaded event loop.
OPTIONS = HttpOptions(
    concurrency=32,
    timeout=0.5,
    retries=1,
    backoff=0.01,
    max_retry_after=2.0,
    rate_limit_budget=2.0,
    host_concurrency=4,
    max_body_bytes=256 * 2**10,
)
DEADLINE = 30.0
# Bodies are cut at the cap, so memory is bounded by requests in flight x cap (a reader that
# took whole bodies would hold 50 MB per request and the bombs a gibibyte each).
MEMORY_CEILING = 40 * 2**20
BRAND = "Acme"
TAKEN = ("acme", "acmehq")

JSON_ENTRY = """
- id: $id
  name: $id
  priority: high
  urls: {profile: "$base/{{handle}}"}
  checks:
    - request: {url: "$base/api/users/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers: [{type: json, path: login, exists: true}]
        - verdict: available
          matchers: [{type: json, path: message, equals: "Not Found"}]
"""


def profile_page(platform_id: str, base: str) -> str:
    return profile_entry(platform_id, base, extra="priority: high")


def json_api(platform_id: str, base: str) -> str:
    return JSON_ENTRY.replace("$id", platform_id).replace("$base", base)


def signup_form(platform_id: str, base: str) -> str:
    return signup_entry(platform_id, base, extra="priority: high")


def absence_rule(platform_id: str, base: str) -> str:
    """A soft-404 site: taken when the page lacks its 'not found' marker (a negative matcher)."""
    return ABSENCE_ENTRY.replace("$id", platform_id).replace("$base", base)


ABSENCE_ENTRY = """
- id: $id
  name: $id
  priority: high
  checks:
    - request: {url: "$base/{{handle}}"}
      outcomes:
        - verdict: available
          matchers: [{type: word, words: ["Not Found"]}]
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["Not Found"], negative: true}]
"""


@dataclass(frozen=True)
class Fault:
    """A misbehaving platform, the reasons an honest `unknown` may give for it, and the kind
    of platform entry that asks it."""

    reasons: frozenset[Reason]
    entry: Callable[[str, str], str] = profile_page


# A reset or a half-closed connection is `network` on its own (test_engine.py); in this world
# the loop is busy with bombs and storms, and the reset may come after the 0.5 s deadline.
CONNECTION_LOST = frozenset({Reason.NETWORK, Reason.TIMEOUT})
FAULTS: dict[str, Fault] = {
    "reset": Fault(CONNECTION_LOST),
    "half_closed": Fault(CONNECTION_LOST),
    "cut_short": Fault(frozenset({Reason.SERVER_ERROR, Reason.TIMEOUT})),
    "garbage": Fault(frozenset({Reason.NETWORK, Reason.SERVER_ERROR})),
    "endless_header": Fault(frozenset({Reason.NETWORK, Reason.TIMEOUT, Reason.SERVER_ERROR})),
    "slowloris": Fault(frozenset({Reason.TIMEOUT})),
    "silent": Fault(frozenset({Reason.TIMEOUT})),
    "gzip_bomb": Fault(frozenset({Reason.BODY_TOO_LARGE})),
    "deflate_bomb": Fault(frozenset({Reason.BODY_TOO_LARGE})),
    "body_50mb": Fault(frozenset({Reason.BODY_TOO_LARGE})),
    "redirect_loop": Fault(frozenset({Reason.TOO_MANY_REDIRECTS})),
    "redirect_file": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "redirect_javascript": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "invalid_utf8": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "unknown_charset": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "malformed_json": Fault(frozenset({Reason.UNEXPECTED_RESPONSE}), json_api),
    "untrusted_tls": Fault(frozenset({Reason.TLS})),
    "storm_429_seconds": Fault(frozenset({Reason.RATE_LIMITED})),
    "storm_429_date": Fault(frozenset({Reason.RATE_LIMITED})),
    "storm_429_bare": Fault(frozenset({Reason.RATE_LIMITED})),
    "always_503": Fault(frozenset({Reason.SERVER_ERROR})),
    "maintenance_503": Fault(frozenset({Reason.SERVER_ERROR})),
    "challenge": Fault(frozenset({Reason.CHALLENGE})),
    "login_wall": Fault(frozenset({Reason.LOGIN_WALL})),
    "csrf_header_injection": Fault(frozenset({Reason.PREFETCH_FAILED, Reason.UNSAFE_REQUEST}), signup_form),
    "csrf_bomb": Fault(frozenset({Reason.PREFETCH_FAILED}), signup_form),
    "empty_200": Fault(frozenset({Reason.UNEXPECTED_RESPONSE}), absence_rule),
    "binary_200": Fault(frozenset({Reason.UNEXPECTED_RESPONSE}), absence_rule),
    "brotli_unasked": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "zstd_unasked": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
    "redirect_elsewhere": Fault(frozenset({Reason.UNEXPECTED_RESPONSE})),
}


def untrusted_tls_context() -> ssl.SSLContext:
    """A server certificate from a CA that the client has never heard of."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return behave.gzip_bomb_body(1)


@pytest.fixture(scope="module")
def deflate_bomb() -> bytes:
    return behave.deflate_bomb_body()


@pytest.fixture
async def hostile_world(sim: Simulator, platform_file: PlatformFile, gzip_bomb: bytes, deflate_bomb: bytes) -> Path:
    """Every fault in FAULTS on its own host, plus one healthy platform as a control."""
    never = "Wed, 01 Jan 2099 00:00:00 GMT"
    handlers: dict[str, behave.Handler] = {
        "reset": behave.connection_reset(),
        "slowloris": behave.slowloris(),
        "silent": behave.slow(60),
        "gzip_bomb": behave.compressed(gzip_bomb, "gzip"),
        "deflate_bomb": behave.compressed(deflate_bomb, "deflate"),
        "body_50mb": behave.huge_body(50),
        "redirect_loop": behave.redirect_loop(),
        "redirect_file": behave.redirect_to("file:///etc/passwd"),
        "redirect_javascript": behave.redirect_to("javascript:alert(1)"),
        "invalid_utf8": behave.raw_bytes(b"<html>\xff\xfe\xc3\x28 \xed\xa0\x80 profile</html>"),
        "unknown_charset": behave.raw_bytes(b"<html>\x81\x82 page</html>", "text/html; charset=x-no-such-charset"),
        "malformed_json": behave.malformed_json(),
        "storm_429_seconds": behave.always(429, "slow down", {"Retry-After": "86400"}),
        "storm_429_date": behave.always(429, "slow down", {"Retry-After": never}),
        "storm_429_bare": behave.always(429, "slow down"),
        "always_503": behave.always(503, "Service Unavailable"),
        "maintenance_503": behave.always(503, "back tomorrow", {"Retry-After": "86400"}),
        "challenge": behave.challenge_page(),
        "login_wall": behave.login_redirect(),
        "control": behave.profiles(TAKEN),
        # A sign-up form whose token would smuggle a header in, and one that is a bomb.
        "csrf_header_injection": behave.raw_bytes(
            b'<form><input name="csrf" value="t1\r\nX-Evil: 1\r\n\r\nGET /steal HTTP/1.1"></form>'
        ),
        "csrf_bomb": behave.compressed(gzip_bomb, "gzip"),
        "empty_200": behave.raw_bytes(b""),
        "binary_200": behave.raw_bytes(bytes(range(256)) * 4, "image/png"),
        "brotli_unasked": behave.compressed(b"\x1b\x0b\x00\xf8<html>", "br"),
        "zstd_unasked": behave.compressed(b"\x28\xb5\x2f\xfd<html>", "zstd"),
        # Another host (localhost is not 127.0.0.1), where nothing listens: never asked.
        "redirect_elsewhere": behave.redirect_to("http://localhost:9/acme"),
    }
    raw: dict[str, Callable[[], behave.RawHandler]] = {
        "half_closed": behave.half_closed,
        "cut_short": behave.cut_short,
        "garbage": behave.garbage,
        "endless_header": behave.endless_header,
    }
    entries = []
    for platform_id, handler in handlers.items():
        site = await sim.site(handler)
        entries.append(_entry(platform_id, site.base))
    for platform_id, factory in raw.items():
        raw_site = await sim.raw_site(factory())
        entries.append(_entry(platform_id, raw_site.base))
    tls_site = await sim.site(behave.profiles(TAKEN), tls=untrusted_tls_context())
    entries.append(_entry("untrusted_tls", tls_site.base))
    return platform_file(*entries)


def _entry(platform_id: str, base: str) -> str:
    fault = FAULTS.get(platform_id, Fault(frozenset()))
    return fault.entry(platform_id, base)


async def timed_scan(path: Path) -> tuple[ScanReport, list[Result], int]:
    """The scan (its deadline enforced), every result it produced including the lookalike
    hunt's, and the peak of memory Python allocated during it (after the one-time load of
    the Unicode confusables table)."""
    platforms = load_platforms(path)
    seen: list[Result] = []
    skeleton("warm up")
    tracemalloc.start()
    try:
        async with asyncio.timeout(DEADLINE):
            report = await scan(
                Config(brand=BRAND), platforms, options=OPTIONS, depth=Depth.QUICK, on_result=seen.append
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, seen, peak


async def test_a_scan_survives_every_fault(hostile_world: Path, sim: Simulator):
    report, everything, peak = await timed_scan(hostile_world)

    handles = variants(BRAND)
    platforms = {p.id for p in report.platforms}
    pairs = Counter((r.handle, r.platform) for r in report.results)
    assert set(pairs) == {(h, p) for h in handles for p in platforms}, "a result for every pair"
    assert set(pairs.values()) == {1}, "exactly one result per pair"

    assert len(everything) > len(report.results), "the lookalike hunt ran on the faulty platforms too"
    for result in everything:
        if result.platform == "control" and result.handle in handles:
            expected = Verdict.TAKEN if result.handle in TAKEN else Verdict.AVAILABLE
            assert result.verdict is expected, result
            continue
        if result.platform == "control":
            continue
        allowed = FAULTS[result.platform].reasons
        assert result.verdict is Verdict.UNKNOWN, f"{result.platform}: {result.verdict} from {result.evidence!r}"
        assert result.reason in allowed, f"{result.platform}: {result.reason} ({result.evidence})"
        assert result.evidence and "\n" not in result.evidence

    assert peak < MEMORY_CEILING, f"peak Python memory {peak / 2**20:.1f} MiB while servers sent bombs"
    assert report.incomplete, "a scan where most high-priority platforms gave no answer is incomplete"
    for render in (render_markdown, render_csv, render_json, render_html, render_table):
        assert render(report)


async def test_retries_are_bounded_and_a_long_retry_after_stops_further_requests(sim: Simulator, platform_file):
    storm = await sim.site(behave.always(429, "slow down", {"Retry-After": "86400"}))
    flaky = await sim.site(behave.always(503, "Service Unavailable"))
    platforms = platform_file(_entry("storm_429_seconds", storm.base), _entry("always_503", flaky.base))
    async with asyncio.timeout(10):
        report = await handlecheck.scan(
            config=Config(brand=BRAND), platforms=platforms, options=OPTIONS, depth=Depth.QUICK
        )
    assert storm.requests <= OPTIONS.host_concurrency, "once told to wait a day, ask no more"
    assert set(flaky.hits.values()) == {1 + OPTIONS.retries}, "every handle asked once and retried once"
    told = [r for r in report.results if r.platform == "storm_429_seconds"]
    assert {r.reason for r in told} == {Reason.RATE_LIMITED}
    assert any("not asked again" in r.evidence for r in told)


async def test_cli_scan_on_hostile_platforms_exits_incomplete_and_keeps_its_report(
    hostile_world: Path, tmp_path: Path, capsys
):
    out = tmp_path / "report.json"
    argv = [
        "scan", BRAND, "--platforms", str(hostile_world), "--depth", "quick", "--timeout", "0.5",
        "--retries", "1", "--max-retry-after", "2", "--rate-limit-budget", "2", "--host-concurrency", "4",
        "--concurrency", "32", "--no-progress",
        "--format", "json", "-o", str(out), "--db", str(tmp_path / "history.db"),
    ]  # fmt: skip
    code = await asyncio.wait_for(asyncio.to_thread(main, argv), DEADLINE)
    captured = capsys.readouterr()
    assert code == 3, captured.err
    assert "Traceback" not in captured.err
    document = json.loads(out.read_text())
    assert len(document["results"]) == len(variants(BRAND)) * (len(FAULTS) + 1)
    assert all(r["verdict"] == "unknown" for r in document["results"] if r["platform"] != "control")
