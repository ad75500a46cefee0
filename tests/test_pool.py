"""Checks on every core: a bulk scan over three worker processes gives the reports one process
gives, keeps every platform's concurrency and pace across the workers together, stores each
result once, and finishes when a worker is killed mid-run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

import handlecheck
from handlecheck.cli import main
from tests.conftest import PlatformFile
from tests.simulator import Simulator
from tests.test_api import comparable

PACED = """
- id: $id
  name: $id
  priority: high
  handle: {pattern: "^[a-z0-9_.]{2,30}$$"}
  rate-limit: {concurrency: 2, interval: $interval}
  urls: {profile: "$base/@{{handle}}"}
  checks:
    - request: {url: "$base/u/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers: [{type: status, status: [200]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""
BRANDS = ("acme", "globex", "initech", "umbrella", "hooli", "stark")
HELD = {"acme", "globex_support", "initech", "hooli_", "stark"}


def held(delay: float = 0.02):
    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        name = request.path.rsplit("/", 1)[-1].lstrip("@")
        return web.Response(text=f"@{name}") if name in HELD else web.Response(status=404)

    return handle


async def paced_world(sim: Simulator, platform_file: PlatformFile, count: int = 9, interval: float = 0.02):
    sites, entries = [], []
    for n in range(count):
        site = await sim.site(held())
        sites.append(site)
        entries.append(PACED.replace("$id", f"p{n}").replace("$base", site.base).replace("$interval", str(interval)))
    return sites, platform_file(*entries)


def bulk(tmp_path: Path, platforms: Path, workers: int, name: str) -> list[str]:
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\n" + "\n".join(BRANDS) + "\n", encoding="utf-8")
    return ["scan", "--input", str(brands), "--out", str(tmp_path / name), "--platforms", str(platforms),
            "--db", str(tmp_path / f"{name}.sqlite"), "--depth", "quick", "--no-progress", "--timeout", "5",
            "--workers", str(workers), "--no-evidence", "--format", "json", "-o", os.devnull]  # fmt: skip


def reports(folder: Path) -> dict[str, Any]:
    return {p.name: comparable(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))}


async def test_three_workers_give_the_reports_one_gives(sim: Simulator, platform_file: PlatformFile, tmp_path: Path):
    _, platforms = await paced_world(sim, platform_file)
    assert await asyncio.to_thread(main, bulk(tmp_path, platforms, 1, "one")) == 0
    assert await asyncio.to_thread(main, bulk(tmp_path, platforms, 3, "three")) == 0
    one, three = reports(tmp_path / "one"), reports(tmp_path / "three")
    assert len(one) == len(BRANDS) and one == three
    assert any(f["handle"] == "globex_support" for r in three.values() for f in r["findings"])


async def test_the_workers_together_keep_each_platform_s_budget(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    interval = 0.05
    sites, platforms = await paced_world(sim, platform_file, count=4, interval=interval)
    assert await asyncio.to_thread(main, bulk(tmp_path, platforms, 3, "three")) == 0
    for site in sites:
        assert site.requests > 100, "enough requests to see the pace"
        assert site.peak_in_flight <= 2, "the platform's concurrency, across all the workers"
        starts = sorted(site.arrivals)
        # One start per interval at most, whichever worker sent it: any twenty arrivals span
        # nineteen intervals, less the jitter of a loaded machine between a send and its arrival
        # (0.1 s; three workers pacing on their own would span a third of it).
        spans = [starts[i + 19] - starts[i] for i in range(len(starts) - 19)]
        assert min(spans) >= 19 * interval - 0.1, "the pace, across all the workers"
        assert len(starts) / (starts[-1] - starts[0]) <= 1 / interval * 1.05


async def test_each_result_is_stored_once(sim: Simulator, platform_file: PlatformFile, tmp_path: Path):
    _, platforms = await paced_world(sim, platform_file)
    argv = bulk(tmp_path, platforms, 3, "three")
    assert await asyncio.to_thread(main, argv) == 0
    assert await asyncio.to_thread(main, argv) == 0, "a rerun continues the same scans"
    with sqlite3.connect(tmp_path / "three.sqlite") as db:
        scans = db.execute("SELECT COUNT(*) FROM scans").fetchone()[0]
        twice = db.execute("SELECT COUNT(*) FROM (SELECT scan_id, platform, handle, COUNT(*) AS n FROM results "
                           "GROUP BY scan_id, platform, handle HAVING n > 1)").fetchone()[0]  # fmt: skip
        unknown = db.execute("SELECT COUNT(*) FROM results WHERE verdict = 'unknown'").fetchone()[0]
    assert (scans, twice, unknown) == (len(BRANDS), 0, 0)


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in children:
        try:
            if b"handlecheck.net.worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task").exists(), reason="needs Linux's /proc")
async def test_a_worker_killed_mid_run_is_replaced_and_the_run_finishes(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    _, platforms = await paced_world(sim, platform_file, interval=0.05)
    done: list[handlecheck.Result] = []
    killed: list[int] = []

    def killer(result: handlecheck.Result) -> None:
        done.append(result)
        if len(done) == 40 and not killed:
            victim = _workers_of(os.getpid())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with handlecheck.History(tmp_path / "h.sqlite") as history:
        outcomes = [
            o async for o in handlecheck.scan_many(
                list(BRANDS), platforms=platforms, history=history, workers=3, on_result=killer
            )
        ]  # fmt: skip
    assert killed and killed[0] not in _workers_of(os.getpid())
    assert len(outcomes) == len(BRANDS)
    results = [r for o in outcomes for r in o.report.results]
    assert results and all(r.verdict is not handlecheck.Verdict.UNKNOWN for r in results), "every request answered"
    assert len(_workers_of(os.getpid())) == 0, "the workers are gone with the run"


class SomeNamesFail(AbstractResolver):
    """`live*.test` resolves to 127.0.0.1; any other name fails after `delay`, as a lookup on a
    broken resolver does. A module-level class: the options travel to the workers by pickle."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.startswith("live"):
            return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET, "proto": 0,
                     "flags": socket.AI_NUMERICHOST}]  # fmt: skip
        await asyncio.sleep(self.delay)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


async def test_a_worker_whose_hosts_are_all_down_does_not_make_the_run_offline(
    sim: Simulator, platform_file: PlatformFile
):
    """Twenty hosts whose names do not resolve and four that answer, over three workers: a worker
    given only dead hosts must not decide alone that the run is offline (one process would not:
    it hears from the live hosts first); the dead ones are down, not "offline"."""
    live = await sim.site(held())
    entries = []
    for n in range(24):
        name = f"live{n}" if n % 6 == 5 else f"dead{n}"
        base = f"http://{name}.test:{live.base.rsplit(':', 1)[1]}"
        entries.append(PACED.replace("$id", f"p{n}").replace("$base", base).replace("$interval", "0"))
    platforms = platform_file(*entries)
    options = handlecheck.HttpOptions(resolver=SomeNamesFail(0.3), timeout=5, retries=0)
    outcomes = [o async for o in handlecheck.scan_many(["acme"], platforms=platforms, options=options, workers=3)]
    results = outcomes[0].report.results
    assert {r.reason for r in results if r.platform in {"p5", "p11", "p17", "p23"}} == {None}, "the live ones answer"
    reasons = {r.reason for r in results if r.verdict is handlecheck.Verdict.UNKNOWN}
    assert reasons == {handlecheck.Reason.NETWORK}, "down, not offline"


async def dead_first_world(sim: Simulator, platform_file: PlatformFile) -> Path:
    """Eight platforms on ports that refuse at once and four live ones that answer in 0.3 s: on
    a network that works, the first failures come before the first answers."""
    from tests import simulator as behave
    from tests.conftest import profile_entry

    dead = [profile_entry(f"dead{index}", f"http://127.0.0.1:{sim.closed_port()}") for index in range(8)]
    live = [await sim.site(behave.profiles({"acme"}, delay=0.3)) for _ in range(4)]
    return platform_file(*dead, *(profile_entry(f"live{i}", site.base) for i, site in enumerate(live)))


def assert_live_answered(results: list[handlecheck.Result]) -> None:
    on_live = {(r.platform, r.handle): r.verdict for r in results if r.platform.startswith("live")}
    wanted = {(p, h): handlecheck.Verdict.TAKEN if h == "acme" else handlecheck.Verdict.AVAILABLE for p, h in on_live}
    unanswered = [(r.platform, r.handle, r.evidence) for r in results if r.platform.startswith("live") and r.reason]
    assert len(on_live) >= 4 and on_live == wanted, f"every live platform answers; not: {unanswered[:3]}"
    assert {r.reason for r in results if r.platform.startswith("dead")} == {handlecheck.Reason.NETWORK}


async def test_dead_hosts_that_fail_first_do_not_make_the_workers_offline(sim: Simulator, platform_file: PlatformFile):
    """As in one process (see test_offline): each worker's view waits for the hosts it is asking
    before it tells the coordinator that it reaches nothing."""
    path = await dead_first_world(sim, platform_file)
    options = handlecheck.HttpOptions(retries=0)
    outcomes = [o async for o in handlecheck.scan_many(["acme"], platforms=path, options=options, workers=2)]
    assert_live_answered(outcomes[0].report.results)


async def test_with_no_network_the_workers_together_give_up_at_once(sim: Simulator, platform_file: PlatformFile):
    """Nothing resolves: the coordinator decides from all the workers' failures and tells them all."""
    entries = [PACED.replace("$id", f"p{n}").replace("$base", f"http://dead{n}.test").replace("$interval", "0")
               for n in range(24)]  # fmt: skip
    options = handlecheck.HttpOptions(resolver=SomeNamesFail(0.3), timeout=5, retries=0)
    started = asyncio.get_running_loop().time()
    outcomes = [
        o async for o in handlecheck.scan_many(["acme"], platforms=platform_file(*entries), options=options, workers=3)
    ]
    assert asyncio.get_running_loop().time() - started < 15
    reasons = {r.reason for r in outcomes[0].report.results}
    assert handlecheck.Reason.OFFLINE in reasons and reasons <= {handlecheck.Reason.OFFLINE, handlecheck.Reason.NETWORK}
