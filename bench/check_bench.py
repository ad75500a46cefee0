"""Benchmark of `check` on the seeded farm (tests/farm.py), against Sherlock and Maigret (issue 11).

For each latency, a fresh farm process serves N platforms on 127.0.0.1 (seed 11, 400 platforms:
status, soft-404, JSON, redirect and sign-up sites with the farm's default shares of slow hosts
(0.5-1.0 s), rate-limited hosts (429 with and without Retry-After, 503 with Retry-After), flaky
hosts (a 503 first) and challenge pages). This process checks 5 handles on every site through
the library with default `HttpOptions()` and the program's garbage-collector setting, and
measures:

    wall s            from opening the session to the last result
    checks per CPU-s  checks / this process's CPU seconds over the run (the farm runs elsewhere)
    peak RSS MB       this process's high-water mark (ru_maxrss) after the run: a mark over the
                      process's life, so a later row can only show the same or more
    wrong             conclusive verdicts that differ from `tests.farm.expected`
    unknown           where the platform answered (every site but the challenge ones), and
                      separately behind a challenge page (the right answer there)
    peak in flight    the most requests any one site saw at once (the farm's count; the default
                      host concurrency is 2)
    floor s           `politeness_floor(specs, handles)`: the wall time a perfect polite
                      scheduler would need (latency, host concurrency 2, the servers' limits)

With --reference (the default), Sherlock 0.16.2 and Maigret 0.6.6 (bench/.venv-reference, see
bench/reference.py; loopback only) each get a fresh farm with the same seed (same sites, new
ports, clean rate limiters and flaky state), the sites `reference_entries` describes (all but
the sign-up sites, which need a POST body neither tool can send) and the same 5 usernames.
Their answers (found = taken) are scored against `expected`; on a challenge site, where the
right answer is unknown, a claim counts as wrong and no claim is not scored. The speed-ups are
the tool's wall time over handlecheck's on the full farm (which has more sites).

    .venv/bin/python bench/check_bench.py                     # latencies 0 and 0.15 s, markdown
    .venv/bin/python bench/check_bench.py --latencies 0.15 --no-reference
    .venv/bin/python bench/check_bench.py --format json
    .venv/bin/python bench/check_bench.py --latencies 0.15 --farm unthrottled   # the engines alone

Exit status 1 if handlecheck gave any wrong verdict.

Targets (issue 11):

    wall <= 1.2x the floor, at 0 and at 150 ms latency
    at 150 ms, >= 10x faster than Sherlock 0.16.2 and than Maigret 0.6.6
    >= 1,500 checks per CPU-second
    peak RSS < 100 MB
    0 wrong verdicts, 0 unknown where the platform answered
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reference import ToolRun, ensure_venv, run_maigret, run_sherlock

from handlecheck import aio
from handlecheck.models import Reason, Verdict
from handlecheck.net.checker import Checker
from handlecheck.net.http import HttpOptions
from handlecheck.registry import parse_platforms
from tests.farm import (
    TAKEN,
    UNCLAIMED,
    SiteSpec,
    expected,
    handle_is_invalid,
    platform_yaml,
    politeness_floor,
    reference_entries,
)

HANDLES: tuple[str, ...] = (*TAKEN, UNCLAIMED, "nobodyhere42", "zq9unclaimed")
"""Two accounts every site has, and three names no site has that fit every site's handle rule."""
FARM_SCRIPT = ROOT / "tests" / "farm.py"
TARGETS = {"wall_over_floor": 1.2, "speedup_at_150ms": 10.0, "checks_per_cpu_second": 1500, "peak_rss_mb": 100.0}


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# --- the farm in its own process ------------------------------------------------------------


@dataclass
class FarmProcess:
    """A running `tests/farm.py`: its sites and ports, and (once closed) what each site saw."""

    specs: list[SiteSpec]
    ports: list[int]
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)


FARMS = {
    "standard": (),
    "unthrottled": ("--slow-share", "0", "--rate-limited-share", "0"),
}
"""`--farm`: the issue's farm, or the same farm without its slow and rate-limited hosts (flaky
and challenge sites stay), where the politeness floor is a few round trips and the tools'
wall times measure the engines themselves."""


@contextmanager
def farm_process(seed: int, platforms: int, latency: float, farm: str = "standard") -> Iterator[FarmProcess]:
    command = [sys.executable, str(FARM_SCRIPT), "--seed", str(seed), "--platforms", str(platforms), *FARMS[farm]]
    proc = subprocess.Popen(
        [*command, "--latency", str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        layout = json.loads(proc.stdout.readline())
        running = FarmProcess([SiteSpec.from_dict(site) for site in layout["sites"]], list(layout["ports"]))
        yield running
        proc.stdin.close()
        for line in proc.stdout:
            if line.strip():
                running.stats = json.loads(line)["stats"]
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def peak_in_flight(stats: dict[str, dict[str, Any]]) -> int:
    return max((site["peak_in_flight"] for site in stats.values()), default=0)


# --- handlecheck ----------------------------------------------------------------------------


@dataclass
class EngineRun:
    checks: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mb: float = 0.0
    wrong: list[str] = field(default_factory=list)
    unknown_answered: list[str] = field(default_factory=list)
    unknown_challenge: int = 0
    off_challenge: list[str] = field(default_factory=list)
    """results on challenge sites other than unknown/challenge that are not wrong either"""
    finished: dict[str, float] = field(default_factory=dict)
    """site id -> seconds from the start to the site's last result"""
    reasons: Counter[str] = field(default_factory=Counter)


async def run_engine(specs: Sequence[SiteSpec], text: str, handles: Sequence[str]) -> EngineRun:
    platforms = parse_platforms(text, source="farm")
    by_id = {spec.id: spec for spec in specs}
    run = EngineRun()
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    async with Checker(HttpOptions()) as checker:
        async for result in checker.run(handles, platforms):
            run.finished[result.platform] = time.perf_counter() - wall_start
            run.checks += 1
            spec = by_id[result.platform]
            want, why = expected(spec, result.handle)
            got = f"{result.verdict.value}/{result.reason.value if result.reason else '-'}"
            line = f"{spec.describe()} | {result.handle}: {got} | {result.evidence[:160]}"
            if result.verdict is Verdict.UNKNOWN:
                run.reasons[result.reason.value if result.reason else "-"] += 1
                if not spec.challenge:
                    run.unknown_answered.append(line)
                elif result.reason is Reason.CHALLENGE:
                    run.unknown_challenge += 1
                else:
                    run.unknown_challenge += 1
                    run.off_challenge.append(line)
            elif result.verdict is not want:
                run.wrong.append(f"{line} (want {want.value}/{why.value if why else '-'})")
    run.wall, run.cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    run.peak_rss_mb = _peak_rss_mb()
    return run


# --- the reference tools --------------------------------------------------------------------


@dataclass
class ToolScore:
    tool: str
    version: str
    wall: float
    sites: int
    checks: int
    right: int
    wrong: int
    unscored: int
    """checks on challenge sites where the tool claimed nothing (the right answer is unknown)"""
    peak_in_flight: int
    error: str | None
    wrong_examples: list[str]


def score(run: ToolRun, specs: Sequence[SiteSpec], site_names: Sequence[str], handles: Sequence[str]) -> ToolScore:
    by_id = {spec.id: spec for spec in specs}
    right = wrong = unscored = 0
    examples: list[str] = []
    for name in site_names:
        spec = by_id[name]
        for handle in handles:
            claimed = name in run.found.get(handle, set())
            want = expected(spec, handle)[0]
            if want is Verdict.UNKNOWN and not claimed:
                unscored += 1
            elif claimed == (want is Verdict.TAKEN):
                right += 1
            else:
                wrong += 1
                if len(examples) < 5:
                    examples.append(f"{spec.describe()} | {handle}: {'claimed' if claimed else 'not claimed'}")
    return ToolScore(
        run.tool, run.version, run.wall_seconds, len(site_names), len(site_names) * len(handles), right, wrong,
        unscored, 0, run.error, examples,
    )  # fmt: skip


def run_reference(tool: str, args: argparse.Namespace, latency: float, workdir: Path) -> ToolScore:
    runner = run_sherlock if tool == "sherlock" else run_maigret
    with farm_process(args.seed, args.platforms, latency, args.farm) as running:
        entries = reference_entries(running.specs, running.ports)
        run = runner(entries, HANDLES, workdir / f"{latency:g}")
    scored = score(run, running.specs, [entry["name"] for entry in entries], HANDLES)
    scored.peak_in_flight = peak_in_flight(running.stats)
    return scored


# --- one latency ------------------------------------------------------------------------------


def measure(args: argparse.Namespace, latency: float, workdir: Path) -> dict[str, Any]:
    with farm_process(args.seed, args.platforms, latency, args.farm) as running:
        specs = running.specs
        unfit = [(spec.id, handle) for spec in specs for handle in HANDLES if handle_is_invalid(spec, handle)]
        if unfit:
            raise SystemExit(f"handles that a site's rule refuses (pick others): {unfit[:5]}")
        engine = aio.run(run_engine(specs, platform_yaml(specs, running.ports), HANDLES))
    stats = running.stats
    floor = politeness_floor(specs, HANDLES)
    site_floor = {spec.id: politeness_floor([spec], HANDLES) for spec in specs}
    by_id = {spec.id: spec for spec in specs}
    slowest = sorted(engine.finished, key=engine.finished.__getitem__, reverse=True)[:5]
    row: dict[str, Any] = {
        "latency_s": latency,
        "farm": args.farm,
        "seed": args.seed,
        "platforms": len(specs),
        "handles": len(HANDLES),
        "checks": engine.checks,
        "floor_s": round(floor, 3),
        "floor_set_by": by_id[max(site_floor, key=site_floor.__getitem__)].describe(),
        "wall_s": round(engine.wall, 3),
        "wall_over_floor": round(engine.wall / floor, 3) if floor else None,
        "cpu_s": round(engine.cpu, 3),
        "checks_per_cpu_s": round(engine.checks / engine.cpu) if engine.cpu else None,
        "peak_rss_mb": round(engine.peak_rss_mb, 1),
        "wrong": len(engine.wrong),
        "unknown_answered": len(engine.unknown_answered),
        "unknown_challenge": engine.unknown_challenge,
        "unknown_reasons": dict(engine.reasons),
        "peak_in_flight": peak_in_flight(stats),
        "host_concurrency": HttpOptions().host_concurrency,
        "farm_requests": sum(site["requests"] for site in stats.values()),
        "farm_throttled": sum(site["throttled"] for site in stats.values()),
        "farm_flaky": sum(site["flaky"] for site in stats.values()),
        "wrong_details": engine.wrong,
        "unknown_answered_details": engine.unknown_answered,
        "challenge_off_details": engine.off_challenge,
        "slowest_sites": [
            {
                "site": by_id[site].describe(),
                "finished_s": round(engine.finished[site], 3),
                "site_floor_s": round(site_floor[site], 3),
            }
            for site in slowest
        ],
    }
    if args.reference:
        for tool in ("sherlock", "maigret"):
            scored = run_reference(tool, args, latency, workdir)
            row[tool] = {
                "version": scored.version,
                "wall_s": round(scored.wall, 3),
                "sites": scored.sites,
                "checks": scored.checks,
                "right": scored.right,
                "wrong": scored.wrong,
                "unscored_challenge": scored.unscored,
                "peak_in_flight": scored.peak_in_flight,
                "error": scored.error,
                "wrong_examples": scored.wrong_examples,
                "speedup": round(scored.wall / engine.wall, 1) if engine.wall else None,
            }
    return row


# --- output -------------------------------------------------------------------------------------


def _tool_cell(row: dict[str, Any], tool: str, key: str) -> str:
    figures = row.get(tool)
    if figures is None:
        return "-"
    if key == "wall":
        return f"{figures['wall_s']:.2f} ({figures['wrong']} wrong)"
    return f"{figures['speedup']:.1f}x"


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    header = (
        "| latency | platforms | handles | checks | floor s | handlecheck wall s | wall/floor | checks per CPU-s "
        "| peak RSS MB | wrong | unknown (answered) | unknown (challenge) | peak in flight | Sherlock wall s "
        "| Maigret wall s | speed-up vs Sherlock | vs Maigret |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for row in rows:
        cells = [
            f"{row['latency_s'] * 1000:g} ms",
            str(row["platforms"]),
            str(row["handles"]),
            str(row["checks"]),
            f"{row['floor_s']:.2f}",
            f"{row['wall_s']:.2f}",
            f"{row['wall_over_floor']:.2f}x",
            f"{row['checks_per_cpu_s']:,}",
            f"{row['peak_rss_mb']:.1f}",
            str(row["wrong"]),
            str(row["unknown_answered"]),
            str(row["unknown_challenge"]),
            f"{row['peak_in_flight']} (limit {row['host_concurrency']})",
            _tool_cell(row, "sherlock", "wall"),
            _tool_cell(row, "maigret", "wall"),
            _tool_cell(row, "sherlock", "speedup"),
            _tool_cell(row, "maigret", "speedup"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for row in rows:
        lines += notes(row)
    return "\n".join(lines)


def notes(row: dict[str, Any]) -> list[str]:
    at = f"{row['latency_s'] * 1000:g} ms"
    lines = [
        f"- At {at} ({row['farm']} farm, seed {row['seed']}): CPU {row['cpu_s']:.2f} s; "
        f"the farm saw {row['farm_requests']} requests, "
        f"{row['farm_throttled']} refused by a rate limit, {row['farm_flaky']} flaky 503s; floor set by "
        f"{row['floor_set_by']}."
    ]
    lines.append("  - last sites to finish: " + "; ".join(
        f"{s['site']} at {s['finished_s']:.2f} s (its floor {s['site_floor_s']:.2f} s)" for s in row["slowest_sites"]
    ))  # fmt: skip
    if row["unknown_reasons"]:
        lines.append(f"  - unknown by reason: {row['unknown_reasons']}")
    for label, key in (
        ("WRONG", "wrong_details"),
        ("unknown where the site answered", "unknown_answered_details"),
        ("on a challenge site but not unknown/challenge", "challenge_off_details"),
    ):
        for line in row[key]:
            lines.append(f"  - {label}: {line}")
    for tool in ("sherlock", "maigret"):
        figures = row.get(tool)
        if figures is None:
            continue
        error = f"; ERROR {figures['error']}" if figures["error"] else ""
        lines.append(
            f"  - {tool} {figures['version']}: given {figures['sites']} of {row['platforms']} sites "
            f"(no sign-up sites) x {row['handles']} = {figures['checks']} checks: {figures['right']} right, "
            f"{figures['wrong']} wrong, {figures['unscored_challenge']} on challenge sites not claimed "
            f"(not scored); peak in flight per site {figures['peak_in_flight']}{error}"
        )
        for example in figures["wrong_examples"]:
            lines.append(f"    - wrong: {example}")
    lines += [f"  - target missed: {miss}" for miss in missed_targets(row)]
    lines.append("")
    return lines


def missed_targets(row: dict[str, Any]) -> list[str]:
    misses = []
    if row["wall_over_floor"] is not None and row["wall_over_floor"] > TARGETS["wall_over_floor"]:
        misses.append(f"wall/floor {row['wall_over_floor']:.2f}x > {TARGETS['wall_over_floor']}x")
    if row["checks_per_cpu_s"] is not None and row["checks_per_cpu_s"] < TARGETS["checks_per_cpu_second"]:
        misses.append(f"{row['checks_per_cpu_s']} checks per CPU-s < {TARGETS['checks_per_cpu_second']}")
    if row["peak_rss_mb"] >= TARGETS["peak_rss_mb"]:
        misses.append(f"peak RSS {row['peak_rss_mb']} MB >= {TARGETS['peak_rss_mb']:g} MB")
    if row["wrong"] or row["unknown_answered"]:
        misses.append(f"{row['wrong']} wrong, {row['unknown_answered']} unknown where the site answered")
    if row["peak_in_flight"] > row["host_concurrency"]:
        misses.append(f"peak in flight {row['peak_in_flight']} > {row['host_concurrency']}")
    if abs(row["latency_s"] - 0.15) < 1e-9:
        for tool in ("sherlock", "maigret"):
            figures = row.get(tool)
            if figures and figures["speedup"] is not None and figures["speedup"] < TARGETS["speedup_at_150ms"]:
                misses.append(f"speed-up vs {tool} {figures['speedup']}x < {TARGETS['speedup_at_150ms']:g}x")
    return misses


# --- kept for bench/scan_bench.py and bench/lookalike_bench.py (bench/simserver.py's layout) ----------

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
    """A platform file for bench/simserver.py's sites (the first `rate_limited` declare a limit)."""
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


# --- main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.0, 0.15], metavar="S")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--platforms", type=int, default=400)
    parser.add_argument("--farm", choices=tuple(FARMS), default="standard",
                        help="standard (slow and rate-limited hosts too) or unthrottled (without them)")  # fmt: skip
    parser.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True,
                        help="also run Sherlock and Maigret, each on a fresh farm (default: on)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="keep the reference tools' files here (default: a temp dir)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)

    aio.tune_garbage_collector()  # as the handlecheck program does
    if args.reference:
        ensure_venv()
    with tempfile.TemporaryDirectory(prefix="check-bench-") as scratch:
        workdir = args.workdir.resolve() if args.workdir else Path(scratch)
        rows = [measure(args, latency, workdir) for latency in args.latencies]
    print(json.dumps(rows, indent=1) if args.format == "json" else markdown(rows))
    return 1 if any(row["wrong"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
