"""Many machines, one fleet: `scan --broker` over three real `handlecheck worker` processes and a
real redis-server gives the reports one process gives, holds each platform to one budget
across the workers, stores each result once, and finishes when a worker is killed and when a
worker cannot reach the platforms, and when the broker is restarted mid-run."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

import handlecheck
from handlecheck.broker import Broker
from handlecheck.cli import main
from tests.conftest import PlatformFile
from tests.redis_server import FLEET_KEY, Fleet, RedisServer, broker, fleet, fleet_env, free_port, needs_redis
from tests.simulator import Simulator
from tests.test_pool import BRANDS, assert_live_answered, bulk, dead_first_world, paced_world, reports

__all__ = ["broker", "fleet"]  # fixtures
T = TypeVar("T")
pytestmark = needs_redis


def fleet_scan(tmp_path: Path, platforms: Path, server: RedisServer, name: str) -> list[str]:
    argv = bulk(tmp_path, platforms, 1, name)
    at = argv.index("--workers")
    return [*argv[:at], "--broker", server.url, *argv[at + 2 :]]


def run_main(argv: list[str]) -> int:
    saved = dict(os.environ)
    os.environ.update(fleet_env())
    try:
        return main(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def test_the_fleet_gives_the_reports_one_process_gives(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, broker: RedisServer, fleet: Fleet
):
    _, platforms = await paced_world(sim, platform_file)
    fleet.start(3)
    assert await asyncio.to_thread(main, bulk(tmp_path, platforms, 1, "one")) == 0
    assert await asyncio.to_thread(run_main, fleet_scan(tmp_path, platforms, broker, "fleet")) == 0
    one, three = reports(tmp_path / "one"), reports(tmp_path / "fleet")
    assert len(one) == len(BRANDS) and one == three
    assert any(f["handle"] == "globex_support" for r in three.values() for f in r["findings"])
    with sqlite3.connect(tmp_path / "fleet.sqlite") as db:
        twice = db.execute("SELECT COUNT(*) FROM (SELECT scan_id, platform, handle, COUNT(*) AS n FROM results "
                           "GROUP BY scan_id, platform, handle HAVING n > 1)").fetchone()[0]  # fmt: skip
    assert twice == 0
    said = fleet.stop()
    assert all("taking checks from redis://127.0.0.1" in text for text in said)
    assert all("worker stopped" in text and "Traceback" not in text for text in said)
    assert broker.client().keys("handlecheck:run:*") == [], "the run leaves nothing behind in the broker"


async def test_the_fleet_keeps_each_platform_s_budget(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, broker: RedisServer, fleet: Fleet
):
    """Concurrency 2 and one start per 0.1 s on every platform: three workers together never have
    three requests in flight at one, nor start more than 10 in any second (limits' moving
    window, which counts starts; arrivals may bunch by the jitter of a loaded machine between a
    start and its arrival, so three more are allowed: three workers each keeping the pace on
    their own would send 30)."""
    sites, platforms = await paced_world(sim, platform_file, count=3, interval=0.1)
    fleet.start(3)
    assert await asyncio.to_thread(run_main, fleet_scan(tmp_path, platforms, broker, "fleet")) == 0
    for site in sites:
        assert site.requests > 30, "enough requests to see the pace"
        assert site.peak_in_flight <= 2, "the platform's concurrency, across all the workers"
        starts = sorted(site.arrivals)
        busiest = max(sum(1 for t in starts[i:] if t < start + 1.0) for i, start in enumerate(starts))
        assert busiest <= 13, f"at most 10 starts a second across the workers, saw {busiest}"
        assert (len(starts) - 1) / (starts[-1] - starts[0]) <= 10 * 1.05


async def _scan_with(
    platforms: Path, history: handlecheck.History, server: RedisServer, on_result: object
) -> list[handlecheck.BrandOutcome]:
    fleet_broker = Broker(server.url, FLEET_KEY.encode())
    brands = [handlecheck.Config(brand=b, depth=handlecheck.Depth.QUICK) for b in BRANDS]

    async def scan() -> list[handlecheck.BrandOutcome]:
        return [
            o async for o in handlecheck.scan_many(
                brands, platforms=platforms, history=history, broker=fleet_broker, on_result=on_result
            )
        ]  # fmt: skip

    return await _within(scan(), RUN_LIMIT)


RUN_LIMIT = 180.0


async def _within(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """`work`'s result, or a failure that shows what every task was waiting for when it hung."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait([task], timeout=seconds)
    if not done:
        stacks = io.StringIO()
        for waiting in asyncio.all_tasks():
            waiting.print_stack(file=stacks)
        task.cancel()
        pytest.fail(f"the fleet's run did not finish in {seconds:.0f} s; its tasks:\n{stacks.getvalue()}")
    return task.result()


def _all_answered_once(outcomes: list[handlecheck.BrandOutcome], database: Path) -> None:
    assert len(outcomes) == len(BRANDS)
    results = [r for o in outcomes for r in o.report.results]
    unanswered = [
        (r.platform, r.handle, r.reason, r.evidence) for r in results if r.verdict is handlecheck.Verdict.UNKNOWN
    ]
    assert results and not unanswered, f"every request answered; not: {unanswered[:5]}"
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        distinct = db.execute("SELECT COUNT(*) FROM (SELECT DISTINCT scan_id, platform, handle FROM results)")
        unknown = db.execute("SELECT COUNT(*) FROM results WHERE verdict = 'unknown'").fetchone()[0]
        assert stored == distinct.fetchone()[0] >= len(results), "each result stored once"
        assert unknown == 0


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
async def test_a_worker_killed_or_stopped_mid_run_has_its_checks_taken_over(
    signum: int, sim: Simulator, platform_file: PlatformFile, tmp_path: Path, broker: RedisServer, fleet: Fleet
):
    """SIGKILL (a machine lost) or SIGTERM (a `docker stop`) to a worker answering checks: the
    requests it had taken stay unacknowledged and go to another worker; a stopped worker says
    so in one line, not a traceback."""
    _, platforms = await paced_world(sim, platform_file, interval=0.05)
    fleet.start(3, redeliver_after=2.0)
    done: list[handlecheck.Result] = []

    def signaller(result: handlecheck.Result) -> None:
        done.append(result)
        if len(done) == 40:
            os.kill(fleet.workers[0].pid, signum)

    with handlecheck.History(tmp_path / "h.sqlite") as history:
        outcomes = await _scan_with(platforms, history, broker, signaller)
    _all_answered_once(outcomes, tmp_path / "h.sqlite")
    said = fleet.stop()[0]
    if signum == signal.SIGKILL:
        assert fleet.workers[0].returncode == -signal.SIGKILL
    else:
        assert fleet.workers[0].returncode == 0, "a worker asked to stop ends as it should"
        assert "Traceback" not in said and "go to another worker" in said, said


async def test_a_worker_that_cannot_reach_the_platforms_leaves_them_to_the_others(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, broker: RedisServer, fleet: Fleet
):
    """One worker's way out is a proxy that is down: what it could not reach goes to the other
    two, every check is answered, and the run is not offline."""
    _, platforms = await paced_world(sim, platform_file)
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    fleet.start(3, ["--proxy", dead_proxy])
    with handlecheck.History(tmp_path / "h.sqlite") as history:
        outcomes = await _scan_with(platforms, history, broker, None)
    _all_answered_once(outcomes, tmp_path / "h.sqlite")


async def test_dead_hosts_that_fail_first_do_not_make_the_fleet_offline(
    sim: Simulator, platform_file: PlatformFile, broker: RedisServer, fleet: Fleet
):
    """As in one process: each worker waits for the hosts it is asking before it tells the
    coordinator that it reaches nothing, so refusals that come first do not stop the run."""
    path = await dead_first_world(sim, platform_file)
    fleet.start(2)
    fleet_broker = Broker(broker.url, FLEET_KEY.encode())
    options = handlecheck.HttpOptions(retries=0)
    scan = handlecheck.scan_many(["acme"], platforms=path, options=options, broker=fleet_broker)
    outcomes = await _within(_collect(scan), RUN_LIMIT)
    assert_live_answered(outcomes[0].report.results)


async def _collect(outcomes: AsyncIterator[handlecheck.BrandOutcome]) -> list[handlecheck.BrandOutcome]:
    return [o async for o in outcomes]


def test_a_broker_needs_the_fleet_s_key_and_a_redis_url(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(handlecheck.InputError, match="HANDLECHECK_BROKER_KEY"):
        Broker.from_environment("redis://127.0.0.1:6379/0", {})
    with pytest.raises(handlecheck.InputError, match="give a Redis URL"):
        Broker.from_environment("http://127.0.0.1:6379", {"HANDLECHECK_BROKER_KEY": FLEET_KEY})
    assert Broker.from_environment("redis://u:secret@h:1/0", {"HANDLECHECK_BROKER_KEY": FLEET_KEY}).shown == (
        "redis://u:***@h:1/0"
    )
    assert main(["worker", "--broker", "redis://127.0.0.1:1/0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


async def test_an_unreachable_broker_is_one_line_and_exit_2(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    _, platforms = await paced_world(sim, platform_file, count=1)
    nowhere = RedisServer(tmp_path)  # never started: nothing listens on its port
    assert await asyncio.to_thread(run_main, fleet_scan(tmp_path, platforms, nowhere, "nowhere")) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the broker {nowhere.url}" in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_sealed_value_opens_only_with_the_fleet_s_key():
    from handlecheck.broker.wire import Seal, Tampered

    sealed = Seal(b"k" * 16).dumps({"a": 1})
    assert Seal(b"k" * 16).loads(sealed) == {"a": 1}
    with pytest.raises(Tampered):
        Seal(b"x" * 16).loads(sealed)
    with pytest.raises(Tampered):
        Seal(b"k" * 16).loads(sealed[:-1] + b"\x00")


def test_a_gap_between_starts_becomes_a_moving_window():
    from handlecheck.broker.budget import per_window

    assert per_window(0) is None
    assert (per_window(0.25).amount, per_window(0.25).multiples) == (4, 1)  # type: ignore[union-attr]
    assert (per_window(0.3).amount, per_window(0.3).multiples) == (3, 1)  # type: ignore[union-attr]
    assert (per_window(2.5).amount, per_window(2.5).multiples) == (1, 3)  # type: ignore[union-attr]


async def test_a_broker_restarted_mid_run_is_waited_for_and_the_run_finishes(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, broker: RedisServer, fleet: Fleet
):
    """The broker killed in the middle of a run and started again, empty, three seconds later:
    the workers wait for it and listen again, the coordinator puts its run back and sends what
    was unanswered, and every check is answered once."""
    _, platforms = await paced_world(sim, platform_file, interval=0.05)
    fleet.start(3, redeliver_after=2.0)
    done: list[handlecheck.Result] = []
    comeback = threading.Timer(3.0, broker.start)

    def restarter(result: handlecheck.Result) -> None:
        done.append(result)
        if len(done) == 40:
            broker.stop()
            comeback.start()

    with handlecheck.History(tmp_path / "h.sqlite") as history:
        outcomes = await _scan_with(platforms, history, broker, restarter)
    comeback.join()
    _all_answered_once(outcomes, tmp_path / "h.sqlite")
    said = fleet.stop()
    assert all(worker.returncode == 0 for worker in fleet.workers), "no worker died of the outage"
    assert all("is back: taking checks again" in text and "Traceback" not in text for text in said), said
