"""Benchmark of `handlecheck platforms validate` on large platform files (issue 13).

For each size, a native platform file is generated from the bundled catalogue: its entries,
repeated with fresh ids (`github-3`, ...) until the file is that large, so the file holds the
same mix of block and flow style, matchers, prefetches and profiles as the real one. Each file
is validated by the real CLI in a fresh process, and the bench prints:

    MiB          the file's size
    platforms    how many entries it holds
    seconds      wall time of `python -m handlecheck platforms validate FILE`
    peak RSS MB  that process's high-water mark (VmHWM, read as it exits)
    exit         its exit status (2: refused)
    says         the first line it printed (stdout, else stderr)

    .venv/bin/python bench/big_file_bench.py                     # 1, 4, 7.9 and 20 MiB
    .venv/bin/python bench/big_file_bench.py --sizes 2,20 --format json

Targets (issue 13): a 20 MB file is validated in under 10 s and 300 MB, or refused at once
with one line; a file under the size cap is validated well inside those bounds.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "handlecheck" / "data" / "platforms.yaml"
ENTRY_START = re.compile(r"(?m)^(?=  - id: )")
ID_LINE = re.compile(r"^  - id: (\S+)")


def generate(target_bytes: int) -> tuple[str, int]:
    """A native platform file of about `target_bytes`, and how many entries it holds."""
    _, _, body = BUNDLED.read_text("utf-8").partition("platforms:\n")
    entries = [block for block in ENTRY_START.split(body) if block.startswith("  - id: ")]
    parts = ["version: 1\nplatforms:\n"]
    size, copies = len(parts[0]), 0
    while size < target_bytes:
        for block in entries:
            renamed = ID_LINE.sub(rf"  - id: \g<1>-{copies}", block, count=1)
            parts.append(renamed)
            size += len(renamed.encode("utf-8"))
            if size >= target_bytes:
                break
        copies += 1
    text = "".join(parts)
    return text, text.count("\n  - id: ")


# The CLI as `python -m handlecheck` runs it, reporting its peak RSS (VmHWM) as it exits. The
# process's own figure: ru_maxrss would also count the parent's pages it was forked with.
_MEASURED = """
import atexit, sys
from handlecheck.cli import console
def peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"peak-rss-kib {kib}", file=sys.stderr)
atexit.register(peak)
sys.exit(console())
"""


@dataclass(frozen=True)
class Run:
    exit: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_cli(*args: str) -> Run:
    """Run `handlecheck ARGS...` in a fresh process: its exit status, wall time, peak RSS and output."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    *lines, last = done.stderr.splitlines() or [""]
    peak = int(last.split()[1]) / 1024 if last.startswith("peak-rss-kib ") else float("nan")
    stderr = "".join(line + "\n" for line in lines)
    return Run(done.returncode, seconds, peak, done.stdout, stderr)


def measure(path: Path) -> dict[str, object]:
    run = run_cli("platforms", "validate", str(path))
    said = (run.stdout.strip() or run.stderr.strip()).splitlines()
    return {
        "seconds": round(run.seconds, 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "exit": run.exit,
        "says": said[0][:110] if said else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,4,7.9,20", help="file sizes in MiB, comma-separated")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in (float(s) for s in args.sizes.split(",")):
            text, platforms = generate(int(size * 2**20))
            path = Path(scratch) / f"big-{size:g}.yaml"
            path.write_text(text, encoding="utf-8")
            rows.append({"mib": round(path.stat().st_size / 2**20, 2), "platforms": platforms, **measure(path)})
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    print("| MiB | platforms | seconds | peak RSS MB | exit | says |")
    print("|---:|---:|---:|---:|---:|---|")
    for row in rows:
        cells = [row[key] for key in ("mib", "platforms", "seconds", "peak_rss_mb", "exit", "says")]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
