"""The engine against seeded farms of platforms it has never seen (`tests/farm.py`).

For each seed a farm of sites is drawn (profile paths, redirect targets, JSON shapes,
soft-404 wording, what each status means, rate limits, flaky and slow hosts, challenge
pages), served on loopback with one correct rule per site, and checked through the public
API. Every seed must give: one result per pair, no wrong conclusive verdict, a conclusive
verdict wherever the site answered at all (rate-limited and flaky sites included: the
engine has to wait its turn), unknown/challenge behind a challenge page, and never more
requests in flight per host than the engine's host concurrency.

The seeds run concurrently in one module-scoped event loop (each with its own farm, platform
file and session): a rate-limited site makes its seed wait whole seconds of Retry-After, and
forty of them one after the other would take a minute.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

import handlecheck
from handlecheck import HttpOptions, Reason, Result, Verdict
from handlecheck.registry import load_platforms, parse_platforms
from tests import farm
from tests.farm import Farm, SiteSpec, SiteStats

SEEDS = range(40)
SITES = 12
LATENCY = 0.02
SLOW_LATENCY = (0.2, 0.3)
BUDGET = (2, 2)
"""Two requests per window: three handles on a rate-limited site always meet a refusal."""
OPTIONS = HttpOptions(timeout=5.0, backoff=0.05, max_retry_after=10.0)
"""A short backoff keeps the run short; waiting out a rate limit is the engine's job, not the
luck of a long jittered backoff."""
ROOT = Path(__file__).resolve().parent.parent

in_module_loop = pytest.mark.asyncio(loop_scope="module")


def handles_for(seed: int) -> tuple[str, ...]:
    return (*farm.TAKEN, f"free{seed}nobody")


def farm_for(seed: int) -> list[SiteSpec]:
    return farm.generate(seed, SITES, latency=LATENCY, slow_latency=SLOW_LATENCY, budget=BUDGET)


@dataclass
class SeedRun:
    """One seed's farm, what the engine answered, and what the sites saw."""

    seed: int
    specs: list[SiteSpec]
    handles: tuple[str, ...]
    results: list[Result] = field(default_factory=list)
    stats: dict[str, SiteStats] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def by_id(self) -> dict[str, SiteSpec]:
        return {spec.id: spec for spec in self.specs}

    def line(self, result: Result) -> str:
        spec = self.by_id[result.platform]
        want, why = farm.expected(spec, result.handle)
        got = f"{result.verdict.value}/{result.reason.value if result.reason else '-'}"
        return (
            f"{spec.describe()} | {result.handle}: got {got} want {want.value}/{why.value if why else '-'} "
            f"| {result.evidence[:160]}"
        )

    def report(self, results: Iterable[Result]) -> str:
        lines = [self.line(r) for r in sorted(results, key=lambda r: (r.platform, r.handle))]
        return f"seed {self.seed} ({self.elapsed:.2f}s):\n  " + "\n  ".join(lines)


async def run_seed(seed: int, directory: Path) -> SeedRun:
    specs = farm_for(seed)
    run = SeedRun(seed, specs, handles_for(seed))
    loop = asyncio.get_running_loop()
    async with Farm(specs) as running:
        path = directory / f"farm-{seed}.yaml"
        path.write_text(farm.platform_yaml(specs, running.ports), encoding="utf-8")
        started = loop.time()
        run.results = [r async for r in handlecheck.check(run.handles, platforms=path, options=OPTIONS)]
        run.elapsed = loop.time() - started
        run.stats = running.all_stats()
    return run


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seed_runs(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[int, asyncio.Task[SeedRun]]]:
    """Every seed's run, started at once; each test awaits the one it needs."""
    directory = tmp_path_factory.mktemp("farm")
    tasks = {seed: asyncio.create_task(run_seed(seed, directory)) for seed in SEEDS}
    yield tasks
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)


# --- the engine, seed by seed ---------------------------------------------------------------


@in_module_loop
@pytest.mark.parametrize("seed", SEEDS)
async def test_one_result_per_pair(seed_runs: dict[int, asyncio.Task[SeedRun]], seed: int) -> None:
    run = await seed_runs[seed]
    pairs = Counter((r.handle, r.platform) for r in run.results)
    wanted = {(handle, spec.id) for handle in run.handles for spec in run.specs}
    assert set(pairs) == wanted, f"missing {sorted(wanted - set(pairs))}, extra {sorted(set(pairs) - wanted)}"
    assert [pair for pair, n in pairs.items() if n > 1] == []


@in_module_loop
@pytest.mark.parametrize("seed", SEEDS)
async def test_no_wrong_conclusive_verdict(seed_runs: dict[int, asyncio.Task[SeedRun]], seed: int) -> None:
    run = await seed_runs[seed]
    by_id = run.by_id
    wrong = [
        r
        for r in run.results
        if r.verdict.conclusive and r.verdict is not farm.expected(by_id[r.platform], r.handle)[0]
    ]
    assert not wrong, run.report(wrong)


@in_module_loop
@pytest.mark.parametrize("seed", SEEDS)
async def test_every_site_that_answers_ends_conclusive(seed_runs: dict[int, asyncio.Task[SeedRun]], seed: int) -> None:
    """Rate-limited and flaky sites included: the truth is there for an engine that waits."""
    run = await seed_runs[seed]
    by_id = run.by_id
    unknown = [r for r in run.results if not by_id[r.platform].challenge and not r.verdict.conclusive]
    assert not unknown, run.report(unknown)


@in_module_loop
@pytest.mark.parametrize("seed", SEEDS)
async def test_challenge_sites_end_unknown_challenge(seed_runs: dict[int, asyncio.Task[SeedRun]], seed: int) -> None:
    run = await seed_runs[seed]
    by_id = run.by_id
    behind = [r for r in run.results if by_id[r.platform].challenge]
    off = [r for r in behind if (r.verdict, r.reason) != (Verdict.UNKNOWN, Reason.CHALLENGE)]
    assert not off, run.report(off)


@in_module_loop
@pytest.mark.parametrize("seed", SEEDS)
async def test_hosts_are_asked_politely(seed_runs: dict[int, asyncio.Task[SeedRun]], seed: int) -> None:
    """Never more in flight per host than the host concurrency; every site is asked; and no run
    beats the politeness floor (which would mean a Retry-After was not honoured, or a floor
    that is no floor)."""
    run = await seed_runs[seed]
    limit = OPTIONS.host_concurrency
    crowded = {spec.id: run.stats[spec.id].peak_in_flight for spec in run.specs}
    assert all(peak <= limit for peak in crowded.values()), f"peak in flight per site (limit {limit}): {crowded}"
    assert all(run.stats[spec.id].requests > 0 for spec in run.specs), "every site is asked"
    floor = farm.politeness_floor(run.specs, run.handles, host_concurrency=limit)
    assert run.elapsed >= 0.98 * floor, f"{run.elapsed:.3f}s is below the floor {floor:.3f}s"


# --- the farm itself ---------------------------------------------------------------------------


def test_generator_is_deterministic_for_a_seed() -> None:
    for seed in (0, 7, 123):
        assert farm.generate(seed, 60) == farm.generate(seed, 60)
        assert farm.platform_yaml(farm.generate(seed, 60), range(1000, 1060)) == farm.platform_yaml(
            farm.generate(seed, 60), range(1000, 1060)
        )
    assert farm.generate(1, 60) != farm.generate(2, 60)
    # A site's detection details depend on (seed, index) alone: a small farm is the start of a big one.
    small, big = farm.generate(5, 12), farm.generate(5, 400)
    assert [(s.style, s.path, s.taken_html, s.redirect_to) for s in small] == [
        (s.style, s.path, s.taken_html, s.redirect_to) for s in big[:12]
    ]


def test_generator_varies_what_real_platforms_vary() -> None:
    specs = [spec for seed in SEEDS for spec in farm_for(seed)]
    of = Counter(spec.style for spec in specs)
    assert set(of) == set(farm.STYLES) and min(of.values()) >= 30, of
    pages = [s for s in specs if s.style in ("status", "soft404", "redirect")]
    assert len({s.path for s in pages}) >= 12
    assert len({s.taken_html for s in pages}) >= 10
    assert len({s.path for s in specs if s.style == "json"}) >= 7
    assert {s.missing_status for s in specs if s.style == "status"} == {400, 404, 410}
    soft = {s.missing_text for s in specs if s.style == "soft404"}
    assert len(soft) >= 15 and any(not text.isascii() for text in soft)
    redirects = [s for s in specs if s.style == "redirect"]
    assert len({s.redirect_to for s in redirects}) >= 10
    assert {s.login_target for s in redirects} == {True, False}
    assert {s.follow_redirects for s in redirects} == {True, False}
    assert {(s.login_target, s.follow_redirects) for s in redirects} == {(a, b) for a in (1, 0) for b in (1, 0)}
    assert len({s.missing_status for s in redirects}) >= 4
    apis = [s for s in specs if s.style == "json"]
    assert {s.json_shape for s in apis} == set(farm.JSON_SHAPES)
    assert {s.json_missing for s in apis} == {"404", "error", "empty"}
    assert len({s.json_key for s in apis}) >= 5
    signups = [s for s in specs if s.style == "signup"]
    assert {s.body_format for s in signups} == {"json", "form"}
    assert len({s.answer_path for s in signups}) >= 5 and {s.true_means_free for s in signups} == {True, False}
    limited = [s for s in specs if s.rate_limit]
    assert {s.rate_limit for s in limited} == set(farm.RATE_LIMIT_STYLES)
    assert {s.limiter for s in limited} == set(farm.LIMITERS)
    assert sum(s.flaky for s in specs) >= 10 and sum(s.challenge for s in specs) >= 4
    assert sum(s.slow for s in specs) >= 30
    assert {s.challenge_status for s in specs if s.challenge} == {200, 403}


def test_shares_are_exact_on_a_large_farm_and_overlays_disjoint() -> None:
    specs = farm.generate(11, 400)
    assert sum(s.slow for s in specs) == 40
    assert sum(bool(s.rate_limit) for s in specs) == 40
    assert sum(s.flaky for s in specs) == 20
    assert sum(s.challenge for s in specs) == 8
    assert all(bool(s.rate_limit) + s.flaky + s.challenge <= 1 for s in specs)
    assert all(0.5 <= s.latency <= 1.0 for s in specs if s.slow)
    assert all(s.latency == 0.15 for s in specs if not s.slow)
    assert sorted(Counter(s.rate_limit for s in specs if s.rate_limit).values()) == [13, 13, 14]


def test_expected_follows_the_handle_rule_and_the_challenge() -> None:
    plain = farm.SiteSpec(id="farm9999", style="status", path="/{h}", latency=0.01, handle_pattern="^[a-z]{3,}$")
    assert farm.expected(plain, "acme") == (Verdict.TAKEN, None)
    assert farm.expected(plain, "ACMEHQ") == (Verdict.TAKEN, None)
    assert farm.expected(plain, "zzzz") == (Verdict.AVAILABLE, None)
    assert farm.expected(plain, "ab") == (Verdict.INVALID, None)
    assert farm.expected(plain, "a/b") == (Verdict.INVALID, None)
    walled = replace(plain, challenge=True, challenge_status=403, challenge_title="Just a moment...")
    assert farm.expected(walled, "acme") == (Verdict.UNKNOWN, Reason.CHALLENGE)
    assert farm.expected(walled, "ab") == (Verdict.INVALID, None)


def test_platform_file_loads_with_one_rule_per_site() -> None:
    specs = farm.generate(3, 120)
    path_text = farm.platform_yaml(specs, list(range(20000, 20120)))
    assert "rate-limit" not in path_text, "the server's limits are for the engine to learn"
    platforms = parse_platforms(path_text, source="farm")
    assert [p.id for p in platforms] == [s.id for s in specs]
    assert all(len(p.checks) == 1 for p in platforms)
    for spec, platform in zip(specs, platforms, strict=True):
        request = platform.checks[0].request
        assert request.method == spec.method
        if spec.style == "redirect":
            assert request.redirects is spec.follow_redirects


async def test_farm_answers_as_its_specs_say() -> None:
    """Below the engine: each style's raw answers for a taken and a missing name."""
    specs = farm.generate(21, 60, latency=0.005, slow_share=0, rate_limited_share=0, flaky_share=0, challenge_share=0)
    async with Farm(specs) as running, aiohttp.ClientSession() as session:
        for spec in specs:
            base = running.base(spec.id)
            for name in ("acme", "zzfree"):
                url = base + spec.path.replace("{h}", name)
                if spec.style == "signup":
                    if spec.body_format == "json":
                        sent = session.post(url, json={spec.request_field: name})
                    else:
                        sent = session.post(url, data={spec.request_field: name})
                else:
                    sent = session.get(url, allow_redirects=False)
                async with sent as response:
                    body = await response.text()
                    status, location = response.status, response.headers.get("Location")
                where = f"{spec.describe()} {name}: {status} {body[:120]!r}"
                if spec.style == "signup":
                    answer = json.loads(body)
                    for key in spec.answer_path.split("."):
                        answer = answer[key]
                    assert answer is ((name == "zzfree") == spec.true_means_free), where
                elif name == "acme":
                    assert status == 200, where
                    if spec.style == "json":
                        assert '"acme"' in body, where
                    else:
                        assert spec.taken_html.replace("{h}", name) in body, where
                elif spec.style == "redirect":
                    assert status == spec.missing_status and location is not None, where
                    assert location.endswith(spec.redirect_to.replace("{h}", name)), where
                elif spec.style == "soft404":
                    assert status == 200 and spec.missing_text in body and spec.present_text not in body, where
                else:
                    assert status == spec.missing_status, where
                    assert spec.present_text is None or spec.present_text not in body, where


async def test_overlays_rate_limit_flaky_challenge() -> None:
    plain = farm.SiteSpec(
        id="farm0000", style="status", path="/{h}", latency=0.005, taken_html="<h1>@{h}</h1>", missing_status=404
    )
    limited = [
        replace(plain, id=f"farm{i:04d}", rate_limit=style, limiter=kind, budget=2, window=0.3)
        for i, (style, kind) in enumerate((s, k) for s in farm.RATE_LIMIT_STYLES for k in farm.LIMITERS)
    ]
    flaky = replace(plain, id="farm0100", flaky=True)
    walled = replace(plain, id="farm0101", challenge=True, challenge_status=403, challenge_title="Just a moment...")
    async with Farm([*limited, flaky, walled]) as running, aiohttp.ClientSession() as session:

        async def get(spec: SiteSpec, name: str) -> tuple[int, str | None, str]:
            async with session.get(f"{running.base(spec.id)}/{name}", allow_redirects=False) as response:
                return response.status, response.headers.get("Retry-After"), await response.text()

        async def exhaust(spec: SiteSpec) -> None:
            answers = [await get(spec, name) for name in ("acme", "bb", "cc")]
            assert [a[0] for a in answers[:2]] == [200, 404]
            status, retry_after, _ = answers[2]
            assert status == (503 if spec.rate_limit == "503-retry-after" else 429), spec.overlay
            assert (retry_after is None) == (spec.rate_limit == "429-bare"), spec.overlay
            assert retry_after is None or int(retry_after) >= 1
            assert running.stats(spec.id).throttled == 1 and running.stats(spec.id).rejected == 1
            await asyncio.sleep(0.35)
            assert (await get(spec, "cc"))[0] == 404, f"{spec.overlay}: the budget comes back"

        await asyncio.gather(*(exhaust(spec) for spec in limited))
        assert [(await get(flaky, "acme"))[0] for _ in range(3)] == [503, 200, 200]
        assert (await get(flaky, "bb"))[0] == 503
        status, _, body = await get(walled, "acme")
        assert status == 403 and "<title>Just a moment...</title>" in body


async def test_stats_count_requests_in_flight_and_arrivals() -> None:
    spec = farm.SiteSpec(id="farm0000", style="status", path="/u/{h}", latency=0.15, missing_status=410)
    async with Farm([spec]) as running, aiohttp.ClientSession() as session:

        async def get(name: str) -> int:
            async with session.get(f"{running.base(spec.id)}/u/{name}") as response:
                await response.read()
                return response.status

        assert await asyncio.gather(*(get(f"n{i}") for i in range(3))) == [410, 410, 410]
        assert await get("n9") == 410
    stats = running.stats(spec.id)
    assert (stats.requests, stats.peak_in_flight, stats.in_flight) == (4, 3, 0)
    assert len(stats.arrivals) == 4 and stats.arrivals[3] - stats.arrivals[0] >= 0.14
    assert stats.statuses == Counter({410: 4})


def test_reference_entries_describe_every_get_site() -> None:
    specs = farm.generate(8, 200)
    ports = list(range(30000, 30200))
    entries = farm.reference_entries(specs, ports)
    keys = {"name", "url", "main", "detect", "absent_text", "present_text", "absent_url", "claimed", "unclaimed"}
    assert all(set(entry) == keys for entry in entries)
    assert [e["name"] for e in entries] == [s.id for s in specs if s.style != "signup"]
    by_id = {s.id: s for s in specs}
    for entry in entries:
        spec = by_id[entry["name"]]
        assert entry["url"].count("{}") == 1 and entry["url"].startswith("http://127.0.0.1:")
        assert entry["main"].endswith("/") and (entry["claimed"], entry["unclaimed"]) == ("acme", "noonenothere7")
        assert entry["detect"] == {"status": "status", "soft404": "message", "redirect": "redirect"}.get(
            spec.style, "status" if spec.json_missing == "404" else "message"
        )
        if entry["detect"] == "message":
            assert entry["absent_text"]
        if entry["detect"] == "redirect":
            assert entry["absent_url"].startswith(entry["main"][:-1])
    json.dumps(entries)


def test_politeness_floor() -> None:
    plain = farm.SiteSpec(id="farm0000", style="status", path="/{h}", latency=0.1)
    three = ("acme", "acmehq", "free")
    assert farm.politeness_floor([plain], three) == pytest.approx(0.2)
    assert farm.politeness_floor([plain], three, host_concurrency=1) == pytest.approx(0.3)
    assert farm.politeness_floor([plain], three, host_interval=0.5) == pytest.approx(1.1)
    assert farm.politeness_floor([replace(plain, flaky=True)], three) == pytest.approx(0.3)
    assert farm.politeness_floor([replace(plain, flaky=True)], three, host_interval=0.5) == pytest.approx(2.6)
    followed = replace(plain, style="redirect", redirect_to="/", follow_redirects=True)
    assert farm.politeness_floor([followed], three) == pytest.approx(0.2)
    assert farm.politeness_floor([followed], ("free",)) == pytest.approx(0.2)
    window = replace(plain, rate_limit="429-retry-after", limiter="window", budget=2, window=1.0)
    # The third request leaves at 0.1 s, is refused with Retry-After 1, asked again at 1.2 s.
    assert farm.politeness_floor([window], three) == pytest.approx(1.3)
    bare = replace(window, rate_limit="429-bare")
    assert farm.politeness_floor([bare], three) == pytest.approx(1.1)
    assert farm.politeness_floor([window], three[:2]) == pytest.approx(0.1)
    slow = replace(plain, latency=0.8)
    assert farm.politeness_floor([plain, slow, window], three) == pytest.approx(1.6)


async def test_script_mode_serves_until_stdin_closes() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests" / "farm.py"),
        "--seed",
        "4",
        "--platforms",
        "6",
        "--latency",
        "0.01",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        layout = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
        specs = [SiteSpec.from_dict(site) for site in layout["sites"]]
        assert specs == farm.generate(4, 6, latency=0.01)
        assert len(layout["ports"]) == 6
        reader, writer = await asyncio.open_connection("127.0.0.1", layout["ports"][0])
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert status_line.split()[1] in (b"200", b"403", b"429", b"503")
        process.stdin.close()
        stats = json.loads(await asyncio.wait_for(process.stdout.readline(), 10))["stats"]
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert set(stats) == {spec.id for spec in specs}
    assert stats[specs[0].id]["requests"] == 1
    assert sum(site["requests"] for site in stats.values()) == 1


def test_platform_file_round_trips_through_the_loader(tmp_path: Path) -> None:
    specs = farm_for(0)
    path = tmp_path / "farm.yaml"
    path.write_text(farm.platform_yaml(specs, list(range(40000, 40000 + len(specs)))), encoding="utf-8")
    assert [p.id for p in load_platforms(path)] == [s.id for s in specs]
