"""Benchmark of the real `handlecheck scan` on simulated platforms, for both kinds of user.

    python bench/scan_bench.py                      # both workloads, as a markdown table
    python bench/scan_bench.py --workload brand     # 1 brand x 400 platforms
    python bench/scan_bench.py --workload agency    # 1,000 brands x 50 platforms (about 5 minutes)
    python bench/scan_bench.py --format json
    python bench/scan_bench.py --workload agency --workers 1 2   # one process, then two workers

Each workload runs the CLI in a child process (`scan --input brands.csv --out DIR --db ...`)
against a simulator in another, and reports what the scan process cost: checks (from the
history database), wall time, the floor (the wall time a perfect scheduler would need given
latency, per-host limits and rate limits), CPU seconds, checks per CPU-second and peak RSS.

    brand   1 brand x 400 platforms, 150 ms latency, the last 20 slow (500 ms), the first 20
            rate-limited (one request at a time, 250 ms apart), two requests in flight per host
    agency  1,000 brands x 50 platforms, 10 ms latency, four requests in flight per host

Both run at `--depth quick` (the brand's name and its variants: the lookalike hunt has its own
benchmark, bench/lookalike_bench.py).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
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


WORKLOADS = {
    "brand": Workload(1, 400, 0.15, 20, 0.5, 20, 0.25, 256, 2),
    "agency": Workload(1000, 50, 0.01, 0, 0.0, 0, 0.0, 256, 4),
}


def floor_seconds(work: Workload, per_host: int) -> float:
    """The shortest possible wall time for `per_host` requests to every platform."""
    plain = math.ceil(per_host / work.host_concurrency) * (work.slow_latency if work.slow else work.latency)
    limited = (per_host - 1) * work.interval + work.latency if work.rate_limited else 0.0
    overall = math.ceil(per_host * work.platforms / work.concurrency) * work.latency
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
    """Samples a process tree's summed RSS every 0.2 s in a thread: with worker processes, the
    peak of the sum is what the machine must hold (ru_maxrss gives one process's peak only)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def run(name: str, work: Workload, workers: int = 1) -> dict[str, object]:
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
                "--retries", "0", "--format", "json", "--workers", str(workers), "--no-evidence",
            ]  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            sampler = PeakTreeRss(child.pid)
            _, stderr = child.communicate()
            wall = time.perf_counter() - started
            summed_rss = sampler.stop()
            # The simulator is still running, so the children's figures are the scan's alone.
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
    floor = floor_seconds(work, checks // work.platforms)
    return {
        "workload": name,
        "workers": workers,
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
            f"| {row['brands']:,} brand(s) x {row['platforms']} platforms | {row['workers']} | {row['checks']:,} "
            f"| {row['wall_seconds']} s ({row['checking_seconds']} s) | {row['floor_seconds']} s "
            f"| {row['wall_over_floor']}x ({row['checking_over_floor']}x) | {row['cpu_seconds']} s "
            f"| {row['checks_per_cpu_second']:,} | {row['peak_rss_mb']} / {row['peak_rss_summed_mb']} MB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=(*WORKLOADS, "all"), default="all")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], metavar="N",
                        help="run each workload with each of these numbers of worker processes (e.g. 1 2)")  # fmt: skip
    args = parser.parse_args()
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    rows = [run(name, WORKLOADS[name], workers) for name in names for workers in args.workers]
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows))
    return 0 if all(row["exit_code"] == 0 and row["not_conclusive"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
