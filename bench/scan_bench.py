"""Benchmark of the real `handlecheck scan` on simulated platforms, for both kinds of user.

    python bench/scan_bench.py                      # brand and agency, as a markdown table
    python bench/scan_bench.py --workload brand     # 1 brand x 400 platforms
    python bench/scan_bench.py --workload agency    # 1,000 brands x 50 platforms (about 5 minutes)
    python bench/scan_bench.py --format json
    python bench/scan_bench.py --workload agency --workers 1 2   # one process, then two workers
    python bench/scan_bench.py --workload fleet --fleet 1 2 3      # scan --broker over 1, 2, 3 workers

Each workload runs the CLI in a child process (`scan --input brands.csv --out DIR --db ...`)
against a simulator in another, and reports what the scan process cost: checks (from the
history database), wall time, the floor (the wall time a perfect scheduler would need given
latency, per-host limits and rate limits), CPU seconds, checks per CPU-second and peak RSS.

    brand   1 brand x 400 platforms, 150 ms latency, the last 20 slow (500 ms), the first 20
            rate-limited (one request at a time, 250 ms apart), two requests in flight per host
    agency  1,000 brands x 50 platforms, 10 ms latency, four requests in flight per host

    fleet   30 brands x 50 platforms, 100 ms latency, for `--fleet N`: a redis-server and N
            `handlecheck worker --broker --tasks 24` processes on this machine, and `scan
            --broker`. Each worker stands for a machine that can keep 24 checks in flight, so
            the fleet's capacity grows with its workers while the cores stay shared

With `--fleet`, CPU and peak RSS are those of every process of the fleet summed (the scan,
the workers, Redis), and `--brands` runs the workload at other sizes too (flat memory: the
workers' RSS does not grow with the brands).

All run at `--depth quick` (the brand's name and its variants: the lookalike hunt has its own
benchmark, bench/lookalike_bench.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import platform_file


@dataclass(frozen=True)
class Workload:
    brands: int
    platforms: int
    latency: float
    slow: int
    slow_latency: float
    rate_limited: int
    interval: float
    concurrency: int
    host_concurrency: int
    worker_tasks: int = 256


WORKLOADS = {
    "brand": Workload(1, 400, 0.15, 20, 0.5, 20, 0.25, 256, 2),
    "agency": Workload(1000, 50, 0.01, 0, 0.0, 0, 0.0, 256, 4),
    "fleet": Workload(30, 50, 0.1, 0, 0.0, 0, 0.0, 256, 4, worker_tasks=24),
}
FLEET_KEY = "the-benchmark-fleet-key"


def floor_seconds(work: Workload, per_host: int, fleet_size: int = 0) -> float:
    """The shortest possible wall time for `per_host` requests to every platform (over a fleet,
    no more in flight than its workers' tasks together)."""
    in_flight = min(work.concurrency, fleet_size * work.worker_tasks) if fleet_size else work.concurrency
    plain = math.ceil(per_host / work.host_concurrency) * (work.slow_latency if work.slow else work.latency)
    limited = (per_host - 1) * work.interval + work.latency if work.rate_limited else 0.0
    overall = math.ceil(per_host * work.platforms / in_flight) * work.latency
    return max(plain, limited, overall)


def brand_names(count: int) -> list[str]:
    if count == 1:
        return ["acme"]
    rng = random.Random(7)
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 12))))
    return sorted(names)


def tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants (Linux /proc), in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            pending += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


class PeakTreeRss:
    """Samples the summed RSS of process trees every 0.2 s in a thread: with worker processes,
    the peak of the sum is what the machine must hold (ru_maxrss gives one process's peak only)."""

    def __init__(self, *pids: int) -> None:
        self.pids, self.peak, self._stop = pids, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(tree_rss_mb(pid) for pid in self.pids))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


@dataclass
class Fleet:
    url: str
    processes: list[subprocess.Popen[bytes]]


@contextmanager
def fleet(workers: int, tasks: int, folder: Path) -> Iterator[Fleet]:
    """A redis-server on a free loopback port and `workers` `handlecheck worker` processes on it;
    the workers are stopped (SIGTERM) and waited for when the block ends, Redis after them."""
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("--fleet needs redis-server (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    running = Fleet(url, [server])
    try:
        time.sleep(0.5)
        command = [sys.executable, "-m", "handlecheck", "worker", "--broker", url, "--tasks", str(tasks)]
        environment = {**os.environ, "HANDLECHECK_BROKER_KEY": FLEET_KEY}
        running.processes += [
            subprocess.Popen(command, cwd=ROOT, env=environment, stderr=subprocess.DEVNULL) for _ in range(workers)
        ]
        time.sleep(3)  # the workers' interpreters start and take the queue
        yield running
    finally:
        for worker in running.processes[:0:-1]:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def run(name: str, work: Workload, workers: int = 1, fleet_size: int = 0) -> dict[str, object]:
    """One scan: with `workers` processes (`--workers`), or over a fleet of `fleet_size`."""
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "simserver.py"), "--platforms", str(work.platforms),
         "--latency", str(work.latency), "--slow", str(work.slow), "--slow-latency", str(work.slow_latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        layout = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            platforms = platform_file(layout["ports"], layout["styles"], work.rate_limited, work.interval)
            (folder / "platforms.yaml").write_text(platforms)
            (folder / "brands.csv").write_text("brand\n" + "\n".join(brand_names(work.brands)) + "\n")
            command = [
                sys.executable, "-m", "handlecheck", "scan", "--input", str(folder / "brands.csv"),
                "--out", str(folder / "reports"), "--platforms", str(folder / "platforms.yaml"),
                "--db", str(folder / "history.sqlite"), "--depth", "quick", "--no-progress",
                "--concurrency", str(work.concurrency), "--host-concurrency", str(work.host_concurrency),
                "--retries", "0", "--format", "json", "--no-evidence",
            ]  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with ExitStack() as stack:
                others: list[int] = []
                if fleet_size:
                    running = stack.enter_context(fleet(fleet_size, work.worker_tasks, folder))
                    command += ["--broker", running.url]
                    others = [process.pid for process in running.processes]
                else:
                    command += ["--workers", str(workers)]
                started = time.perf_counter()
                child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                         env={**os.environ, "HANDLECHECK_BROKER_KEY": FLEET_KEY})  # fmt: skip
                sampler = PeakTreeRss(child.pid, *others)
                _, stderr = child.communicate()
                wall = time.perf_counter() - started
                summed_rss = sampler.stop()
            # The simulator is still running and the fleet has ended, so the children's figures
            # are the scan's and its fleet's alone.
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # Time spent checking, from the reports: the wall time less process start, loading
            # the platform file and writing reports (brands overlap in a bulk run: the longest).
            checking = max(
                json.loads(report.read_text())["timings"]["checks_seconds"]
                for report in (folder / "reports").glob("*.json")
            )
            with sqlite3.connect(folder / "history.sqlite") as db:
                checks = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                wrong = db.execute(
                    "SELECT COUNT(*) FROM results WHERE verdict NOT IN ('taken', 'available')"
                ).fetchone()[0]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    if child.returncode != 0:
        print(stderr[-2000:], file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    floor = floor_seconds(work, checks // work.platforms, fleet_size)
    return {
        "workload": name,
        "workers": fleet_size or workers,
        "fleet": bool(fleet_size),
        "brands": work.brands,
        "platforms": work.platforms,
        "exit_code": child.returncode,
        "checks": checks,
        "not_conclusive": wrong,
        "wall_seconds": round(wall, 1),
        "floor_seconds": round(floor, 1),
        "wall_over_floor": round(wall / floor, 2),
        "checking_seconds": round(checking, 1),
        "checking_over_floor": round(checking / floor, 2),
        "cpu_seconds": round(cpu, 1),
        "checks_per_cpu_second": round(checks / cpu),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "peak_rss_summed_mb": round(summed_rss, 1),
    }


def table(rows: list[dict[str, object]]) -> str:
    head = (
        "| workload | workers | checks | wall (checking) | floor | wall / floor (checking / floor) | CPU "
        "| checks per CPU-second | peak RSS (one process / all summed) |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['brands']:,} brand(s) x {row['platforms']} platforms "
            f"| {row['workers']}{' (fleet)' if row['fleet'] else ''} | {row['checks']:,} "
            f"| {row['wall_seconds']} s ({row['checking_seconds']} s) | {row['floor_seconds']} s "
            f"| {row['wall_over_floor']}x ({row['checking_over_floor']}x) | {row['cpu_seconds']} s "
            f"| {row['checks_per_cpu_second']:,} | {row['peak_rss_mb']} / {row['peak_rss_summed_mb']} MB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=(*WORKLOADS, "all"), default="all")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        metavar="N",
        help="run each workload with each of these numbers of worker processes (e.g. 1 2)",
    )
    parser.add_argument(
        "--fleet",
        type=int,
        nargs="+",
        default=[],
        metavar="N",
        help="instead, run each over a fleet of N `handlecheck worker` processes on a redis-server",
    )
    parser.add_argument("--brands", type=int, nargs="+", default=[], metavar="COUNT",
                        help="run each workload with these numbers of brands instead of its own")  # fmt: skip
    args = parser.parse_args()
    names = ["brand", "agency"] if args.workload == "all" else [args.workload]
    works = [(name, replace(WORKLOADS[name], brands=count)) for name in names for count in args.brands] or [
        (name, WORKLOADS[name]) for name in names
    ]
    if args.fleet:
        rows = [run(name, work, fleet_size=size) for name, work in works for size in args.fleet]
    else:
        rows = [run(name, work, workers) for name, work in works for workers in args.workers]
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows))
    return 0 if all(row["exit_code"] == 0 and row["not_conclusive"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
