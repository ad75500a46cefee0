"""Benchmark of lookalikes: the generator against dnstwist, generation speed, and a --depth standard hunt.

    python bench/lookalike_bench.py                # all three, a compact summary
    python bench/lookalike_bench.py --quick --json # no hunt; every figure as JSON
    python bench/lookalike_bench.py --brands 5     # the comparison on the first 5 of the 20 brands

Targets (issue 4): candidates for a 12-character brand in under 20 ms; for 1,000 brands in
under 5 s; a standard-depth check of one brand on the simulated platforms bounded by the
per-host limits (wall close to the floor they set), not by CPU. The comparison (issue 15,
bench/dnstwist_compare.py) has no target: it reports coverage of dnstwist's fuzzers, the ranks
of the first same-skeleton, combo and one-edit candidates, and the candidate counts.
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
from dnstwist_compare import BRANDS, compare, read_dictionary, render

from handlecheck import HttpOptions, aio
from handlecheck.candidates import generate
from handlecheck.domain import Depth
from handlecheck.models import Priority
from handlecheck.pipeline.hunt import candidate_pairs, hunt
from handlecheck.registry import parse_platforms


def generation(brands: int) -> dict[str, float]:
    """The generator caches its last few brands' families, so every timed brand is a new one."""
    rng = random.Random(1)
    generate("warmupbrand1")
    count = len(generate("acmeanvilsco"))
    other = random.Random(2)  # not rng: the 1,000 brands stay those of the earlier measurements
    twelves = ["".join(other.choices(string.ascii_lowercase, k=12)) for _ in range(50)]
    started = time.perf_counter()
    for name in twelves:
        generate(name)
    one = (time.perf_counter() - started) / len(twelves)
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
        "ms_per_random_brand": round(many / brands * 1000, 2),
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


def _speed_lines(speed: dict[str, float]) -> list[str]:
    ms, seconds = speed["ms_12_chars"], speed["seconds_all_brands"]
    return [
        f"speed: 12-character brand {ms} ms ({speed['candidates_12_chars']} candidates; target < 20 ms: "
        f"{'met' if ms < 20 else 'MISSED'}); {speed['brands']} random brands {seconds} s "
        f"({speed['ms_per_random_brand']} ms each, {speed['candidates_all_brands']} candidates; target < 5 s: "
        f"{'met' if seconds < 5 else 'MISSED'})"
    ]


def _hunt_lines(hunt_figures: dict[str, float]) -> list[str]:
    h = hunt_figures
    return [
        f"standard hunt: {h['checks']} checks on {h['platforms']} platforms, wall {h['wall_seconds']} s over floor "
        f"{h['floor_seconds']} s = {h['wall_over_floor']}x, CPU {h['cpu_share_of_wall']:.0%} of wall"
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", type=int, default=len(BRANDS), help="real brands compared with dnstwist")
    parser.add_argument("--random-brands", type=int, default=1000, help="random brands for the speed figure")
    parser.add_argument("--dictionary", type=Path, help="dnstwist's english.dict (default: from its git mirror)")
    parser.add_argument("--quick", action="store_true", help="skip the standard hunt")
    parser.add_argument("--json", action="store_true", help="every figure as JSON instead of the summary")
    parser.add_argument("--platforms", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--host-concurrency", type=int, default=2)
    args = parser.parse_args()
    comparison = compare(BRANDS[: max(1, args.brands)], read_dictionary(args.dictionary))
    speed = generation(args.random_brands)
    hunted = None if args.quick else standard_hunt(args.platforms, args.latency, args.host_concurrency)
    if args.json:
        figures = {"dnstwist": comparison.to_dict(), "generation": speed, "standard_hunt": hunted}
        print(json.dumps(figures, indent=2))
        return 0
    lines = [render(comparison), *_speed_lines(speed), *([] if hunted is None else _hunt_lines(hunted))]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
