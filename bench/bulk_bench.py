"""Benchmark of memory in a big bulk run: does `handlecheck scan --input` stay flat in the number of brands?

    .venv/bin/python bench/bulk_bench.py                          # 10,000 and 100,000 brands, no history
    .venv/bin/python bench/bulk_bench.py --brands 2000 10000 --history
    .venv/bin/python bench/bulk_bench.py --format json

For each brand count, bench/simserver.py serves 5 platforms on loopback (a few ms latency) in a
process of its own, a generated CSV lists the brands, and the real program runs as a child:

    handlecheck scan --input brands.csv --out DIR --format json --depth quick --no-db [...]

(with --history, once more with a history database instead of --no-db). While it runs, its
resident memory (VmRSS in /proc/PID/status) is sampled every second; when it ends its peak
(ru_maxrss from wait4, the child's own figure, not the simulator's) is read. Reported per run:
brands, report files written, wall seconds, brands per second, RSS at a tenth and at nine
tenths of the run (flat memory: the two are close) and peak RSS.

Target (issue 13): 100,000 brands x 5 platforms under 150 MB peak RSS, and the same peak
(within noise) for 10,000 brands as for 100,000. On a small machine 100,000 brands take a
long while (each brand is 50 checks at quick depth): run smaller counts and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import platform_file

PLATFORMS = 5


def brand_names(count: int) -> list[str]:
    """`count` distinct made-up brand names, some of several words and mixed case."""
    rng = random.Random(13)
    names: set[str] = set()
    while len(names) < count:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 10)))
        names.add(word.title() + (" Corp" if rng.random() < 0.2 else ""))
    return sorted(names)


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(folder: Path, brands: int, history: bool) -> dict[str, object]:
    reports = folder / f"reports-{brands}-{'db' if history else 'nodb'}"
    storage = ["--db", str(folder / f"history-{brands}.sqlite")] if history else ["--no-db"]
    command = [
        sys.executable, "-m", "handlecheck", "scan", "--input", str(folder / f"brands-{brands}.csv"),
        "--out", str(reports), "--platforms", str(folder / "platforms.yaml"), "--format", "json",
        "--depth", "quick", "--no-progress", "--retries", "0", "--timeout", "10",
        "--host-concurrency", "8", "--host-interval", "0", "-o", str(folder / f"summary-{brands}.txt"), *storage,
    ]  # fmt: skip
    started = time.perf_counter()
    log = folder / f"stderr-{brands}.txt"
    with log.open("wb") as errors_out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors_out)
    samples: list[int] = []
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # the child's own figures, not the simulator's
        if pid == child.pid:
            break
        rss = _rss_kb(child.pid)
        if rss is not None:
            samples.append(rss)
        time.sleep(1.0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = usage.ru_maxrss  # kB on Linux
    if child.returncode != 0:
        print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
    written = sum(1 for _ in os.scandir(reports)) if reports.exists() else 0
    tenth = samples[len(samples) // 10] if samples else 0
    ninth = samples[len(samples) * 9 // 10] if samples else 0
    return {
        "brands": brands,
        "history": history,
        "exit_code": child.returncode,
        "report_files": written,
        "wall_seconds": round(wall, 1),
        "brands_per_second": round(brands / wall, 1),
        "rss_at_10pct_mb": round(tenth / 1024, 1),
        "rss_at_90pct_mb": round(ninth / 1024, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| brands x platforms | history | report files | wall | brands/s | RSS at 10% | RSS at 90% | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['brands']:,} x {PLATFORMS} | {'yes' if row['history'] else 'no'} | {row['report_files']:,} "
            f"| {row['wall_seconds']} s | {row['brands_per_second']} | {row['rss_at_10pct_mb']} MB "
            f"| {row['rss_at_90pct_mb']} MB | {row['peak_rss_mb']} MB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", type=int, nargs="+", default=[10_000, 100_000], metavar="N")
    parser.add_argument("--latency", type=float, default=0.002, help="the simulated platforms' latency (s)")
    parser.add_argument("--history", action="store_true", help="also run each count with a history database")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "simserver.py"), "--platforms", str(PLATFORMS),
         "--latency", str(args.latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    rows = []
    try:
        assert server.stdout is not None
        layout = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="bulk-bench-") as scratch:
            folder = Path(scratch)
            (folder / "platforms.yaml").write_text(platform_file(layout["ports"], layout["styles"], 0, 0.0))
            for count in args.brands:
                (folder / f"brands-{count}.csv").write_text("brand\n" + "\n".join(brand_names(count)) + "\n")
                for history in (False, True) if args.history else (False,):
                    rows.append(measure(folder, count, history))
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows))
    return 0 if all(row["exit_code"] == 0 and row["report_files"] == row["brands"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
