"""Benchmark of a bulk scan: N brands x M simulated platforms through the real CLI.

    python bench/bulk_bench.py                  # 1,000 brands x 50 platforms

Runs `handlecheck scan --input brands.csv --out DIR` in a child process against a platform
simulator in another, and prints the child's peak RSS (target: under 200 MB), wall time,
checks and checks per second. Per-host limits are shared by all brands.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import platform_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--platforms", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--depth", default="quick")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "simserver.py"), "--platforms", str(args.platforms),
         "--latency", str(args.latency)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        layout = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            (folder / "platforms.yaml").write_text(platform_file(layout["ports"], layout["styles"], 0, 0.0))
            rng = random.Random(7)
            names = {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 12))) for _ in range(args.brands)}
            (folder / "brands.csv").write_text("brand\n" + "\n".join(sorted(names)) + "\n")
            command = [
                sys.executable, "-m", "handlecheck", "scan", "--input", str(folder / "brands.csv"),
                "--out", str(folder / "reports"), "--platforms", str(folder / "platforms.yaml"),
                "--db", str(folder / "history.sqlite"), "--depth", args.depth, "--no-progress",
                "--concurrency", "256", "--host-concurrency", "4", "--retries", "0", "--format", "json",
            ]  # fmt: skip
            started = time.perf_counter()
            run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            reports = len(list((folder / "reports").iterdir()))
            with sqlite3.connect(folder / "history.sqlite") as db:
                checks = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    figures = {
        "brands": len(names),
        "platforms": args.platforms,
        "exit_code": run.returncode,
        "reports_written": reports,
        "checks": checks,
        "wall_seconds": round(wall, 1),
        "checks_per_second": round(checks / wall),
        "peak_rss_mb_of_the_scan": round(peak_mb, 1),
    }
    print(json.dumps(figures, indent=2))
    if run.returncode != 0:
        print(run.stderr[-2000:], file=sys.stderr)
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
