"""Benchmark of lookalikes: candidate generation speed, and a --depth standard hunt.

    python bench/lookalike_bench.py

Targets (issue 4): candidates for a 12-character brand in under 20 ms; for 1,000 brands in
under 5 s; a standard-depth check of one brand on the simulated platforms bounded by the
per-host limits (wall close to the floor they set), not by CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import string
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from check_bench import platform_file

from handlecheck import HttpOptions, aio
from handlecheck.candidates import generate
from handlecheck.domain import Depth
from handlecheck.models import Priority
from handlecheck.pipeline.hunt import candidate_pairs, hunt
from handlecheck.registry import parse_platforms


def generation(brands: int) -> dict[str, float]:
    rng = random.Random(1)
    generate("warmupbrand1")
    runs = 50
    started = time.perf_counter()
    for _ in range(runs):
        count = len(generate("acmeanvilsco"))
    one = (time.perf_counter() - started) / runs
    names = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 14))) for _ in range(brands)]
    started = time.perf_counter()
    total = sum(len(generate(name)) for name in names)
    many = time.perf_counter() - started
    return {
        "candidates_12_chars": count,
        "ms_12_chars": round(one * 1000, 2),
        "brands": brands,
        "candidates_all_brands": total,
        "seconds_all_brands": round(many, 2),
    }


def standard_hunt(platforms: int, latency: float, host_concurrency: int) -> dict[str, float]:
    command = [sys.executable, str(ROOT / "bench" / "simserver.py"), "--platforms", str(platforms)]
    server = subprocess.Popen(
        [*command, "--latency", str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        layout = json.loads(server.stdout.readline())
        catalogue = parse_platforms(platform_file(layout["ports"], layout["styles"], 0, 0.0), source="bench")
        catalogue = tuple(replace(p, priority=Priority.HIGH) for p in catalogue)
        checks = len(candidate_pairs("acme", catalogue, Depth.STANDARD))
        options = HttpOptions(concurrency=1000, host_concurrency=host_concurrency, retries=0)
        wall, cpu = time.perf_counter(), time.process_time()
        report = aio.run(hunt("acme", catalogue, depth=Depth.STANDARD, options=options))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    per_platform = checks / platforms
    floor = math.ceil(per_platform / host_concurrency) * latency
    return {
        "platforms": platforms,
        "checks": checks,
        "findings": len(report.findings),
        "wall_seconds": round(wall, 2),
        "floor_seconds": round(floor, 2),
        "wall_over_floor": round(wall / floor, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_share_of_wall": round(cpu / wall, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--platforms", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--host-concurrency", type=int, default=2)
    args = parser.parse_args()
    figures = {
        "generation": generation(args.brands),
        "standard_hunt": standard_hunt(args.platforms, args.latency, args.host_concurrency),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
