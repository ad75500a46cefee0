"""Benchmark of `check`: H handles on N simulated platforms served from another process.

Prints wall time, CPU time of this process, peak RSS, checks per CPU-second, and the wall
time floor set by latency and rate limits (the time a perfect scheduler would need):

    python bench/check_bench.py                 # 400 platforms x 5 handles: 150 ms latency,
                                                # 20 slow (500 ms), 20 rate-limited (1 req / 250 ms)
    python bench/check_bench.py --format json   # the same figures as JSON

Targets (issue 2): >= 1,000 checks per CPU-second; wall <= 1.3x the floor; peak RSS < 120 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlecheck import HttpOptions, Verdict, aio  # noqa: E402
from handlecheck.engine import Checker  # noqa: E402
from handlecheck.registry import parse_platforms  # noqa: E402

HANDLES = ("acme", "acmehq", "brandone", "brandtwo", "brandthree")
TAKEN = {"acme", "acmehq"}

OUTCOMES = {
    "status": """
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["@{{handle}}"]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]""",
    "soft404": """
        - verdict: available
          matchers: [{type: word, words: ["This page isn't available"]}]
        - verdict: taken
          matchers: [{type: regex, regex: ['og:title" content="{{handle}}"']}]""",
    "json": """
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: login, exists: true}]
        - verdict: available
          matchers: [{type: status, status: [404]}]""",
}


def platform_file(ports: list[int], styles: list[str], rate_limited: int, interval: float) -> str:
    entries = []
    for index, (port, style) in enumerate(zip(ports, styles, strict=True)):
        limit = f"\n    rate-limit: {{concurrency: 1, interval: {interval}}}" if index < rate_limited else ""
        entries.append(
            f"""  - id: sim{index:04d}
    name: Sim {index}
    handle: {{pattern: "^[a-z0-9_]{{2,30}}$"}}{limit}
    checks:
      - request: {{url: "http://127.0.0.1:{port}/u/{{{{handle}}}}"}}
        outcomes:{OUTCOMES[style]}
"""
        )
    return "version: 1\nplatforms:\n" + "".join(entries)


def floor_seconds(args: argparse.Namespace, handles: int) -> float:
    """The shortest possible wall time given latency, per-host limits and global concurrency."""
    rounds = math.ceil(handles / args.host_concurrency)
    plain = rounds * (args.slow_latency if args.slow else args.latency)
    limited = (handles - 1) * args.interval + args.latency if args.rate_limited else 0.0
    overall = math.ceil(handles * args.platforms / args.concurrency) * args.latency
    return max(plain, limited, overall)


async def run_checks(args: argparse.Namespace, text: str) -> tuple[int, int, float, float]:
    platforms = parse_platforms(text, source="bench")
    options = HttpOptions(concurrency=args.concurrency, host_concurrency=args.host_concurrency, timeout=10, retries=0)
    wrong = 0
    count = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    async with Checker(options) as checker:
        async for result in checker.run(HANDLES[: args.handles], platforms):
            count += 1
            expected = Verdict.TAKEN if result.handle in TAKEN else Verdict.AVAILABLE
            wrong += result.verdict is not expected
    return count, wrong, time.perf_counter() - wall_start, time.process_time() - cpu_start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platforms", type=int, default=400)
    parser.add_argument("--handles", type=int, default=5, choices=range(1, len(HANDLES) + 1))
    parser.add_argument("--latency", type=float, default=0.15, help="simulated seconds per response")
    parser.add_argument("--slow", type=int, default=20, help="platforms that answer after --slow-latency")
    parser.add_argument("--slow-latency", type=float, default=0.5)
    parser.add_argument("--rate-limited", type=int, default=20, help="platforms with rate-limit concurrency 1")
    parser.add_argument("--interval", type=float, default=0.25, help="their interval between requests")
    parser.add_argument("--concurrency", type=int, default=1000, help="global limit (high: hosts set the pace)")
    parser.add_argument("--host-concurrency", type=int, default=2)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()

    aio.tune_garbage_collector()  # as the handlecheck program does
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "simserver.py"),
            "--platforms",
            str(args.platforms),
            "--latency",
            str(args.latency),
            "--slow",
            str(args.slow),
            "--slow-latency",
            str(args.slow_latency),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        layout = json.loads(server.stdout.readline())
        text = platform_file(layout["ports"], layout["styles"], args.rate_limited, args.interval)
        count, wrong, wall, cpu = aio.run(run_checks(args, text))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    floor = floor_seconds(args, args.handles)
    figures = {
        "platforms": args.platforms,
        "slow_platforms": args.slow,
        "rate_limited_platforms": args.rate_limited,
        "handles": args.handles,
        "checks": count,
        "wrong_verdicts": wrong,
        "wall_seconds": round(wall, 3),
        "floor_seconds": round(floor, 3),
        "wall_over_floor": round(wall / floor, 2) if floor else None,
        "cpu_seconds": round(cpu, 3),
        "checks_per_cpu_second": round(count / cpu) if cpu else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.format == "json":
        print(json.dumps(figures))
    else:
        width = max(map(len, figures))
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
