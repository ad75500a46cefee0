"""The history when things go wrong, with the real program in child processes: a disk that
fills up, a read-only mount, and a bulk scan killed outright again and again.

The tiny and read-only file systems are real mounts, made in a mount namespace of the child's
own (`unshare`), so nothing outside the test sees them. The platforms are simulated servers
on 127.0.0.1 in this process.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from handlecheck.models import Verdict
from handlecheck.store.history import History
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, profiles

PROGRAM = [sys.executable, "-m", "handlecheck"]
FLAGS = ["--depth", "quick", "--no-progress", "--timeout", "5", "--retries", "0"]

# Runs in the namespace: makes the mounts, then runs each command and prints what each did.
DRIVER = """
import json, subprocess, sys
spec = json.loads(sys.argv[1])
for mount in spec["mounts"]:
    subprocess.run(mount, check=True)
runs = [subprocess.run(command, capture_output=True, text=True) for command in spec["commands"]]
print(json.dumps([[run.returncode, run.stdout, run.stderr] for run in runs]))
"""

# Fills a history on a tiny file system from the library: what record and finish_scan raise.
FILL = """
import sys
from datetime import UTC, datetime, timedelta
from handlecheck.errors import StorageError
from handlecheck.models import Result, Verdict
from handlecheck.store.history import History
history = History(sys.argv[1])
scan_id = history.start_scan("Acme", resume_within=timedelta(hours=1))
try:
    for n in range(10_000):
        history.record(scan_id, Result(f"acme{n}", "alpha", Verdict.TAKEN, None, None, 200, 1, "x" * 500,
                                       datetime.now(UTC)))
except StorageError as exc:
    print(f"record {n}: {exc}")
try:
    history.finish_scan(scan_id)
except StorageError as exc:
    print(f"finish: {exc}")
try:
    History(sys.argv[2])
except StorageError as exc:
    print(f"open: {exc}")
"""

Run = tuple[int, str, str]


def namespace() -> list[str]:
    """The command prefix for a child in a mount namespace of its own, where it may mount."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "-rm", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount in a namespace of our own here: {probe.stderr.decode().strip()[:120]}")
    return [unshare, "-rm"]


def tiny(folder: Path) -> list[list[str]]:
    folder.mkdir()
    return [["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)]]


def read_only(folder: Path) -> list[list[str]]:
    return [["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,bind,ro", str(folder)]]


async def in_namespace(mounts: list[list[str]], *commands: list[str]) -> list[Run]:
    """Run `commands` one after another where `mounts` are made; each one's exit code and output."""
    spec = json.dumps({"mounts": mounts, "commands": commands})
    child = await asyncio.create_subprocess_exec(
        *namespace(), sys.executable, "-c", DRIVER, spec, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode == 0, err.decode()
    return [(code, stdout, stderr) for code, stdout, stderr in json.loads(out)]


def one_error(stderr: str) -> str:
    """The one line the program says, checked to be the only thing it said."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("handlecheck: error: "), stderr
    return lines[0].removeprefix("handlecheck: error: ")


@pytest.fixture
async def platforms(sim: Simulator, platform_file: PlatformFile) -> Path:
    """One platform where acme is taken, a little slow, as a real one is."""
    site = await sim.site(profiles({"acme", "brand03"}, delay=0.01))
    return platform_file(profile_entry("alpha", site.base, extra="priority: high"))


# --- a full disk ---------------------------------------------------------------------------


async def test_a_full_disk_is_a_storage_error_from_every_write(tmp_path: Path) -> None:
    db, other = tmp_path / "tiny" / "h.sqlite", tmp_path / "tiny" / "new.sqlite"
    ((code, out, err),) = await in_namespace(tiny(tmp_path / "tiny"), [sys.executable, "-c", FILL, str(db), str(other)])
    assert code == 0 and "Traceback" not in err, err

    def full(path: Path) -> str:
        return f"cannot write the history {path}: the disk is full (free some space, or give another --db, or --no-db)"

    record, *finish, new = out.splitlines()
    assert record.startswith("record ") and record.endswith(f": {full(db)}")
    assert 0 < int(record.split()[1].rstrip(":")) < 1000, "it filled up part of the way"
    # Finishing the scan may still fit in the space the failed write had taken (SQLite reuses it):
    # when it does not, it is the same one-line error.
    assert finish in ([], [f"finish: {full(db)}"])
    assert new == f"open: {full(other)}", "a new history cannot be made"


async def test_a_scan_whose_history_fills_the_disk_writes_its_partial_report(tmp_path: Path, platforms: Path) -> None:
    db = tmp_path / "tiny" / "h.sqlite"
    report = tmp_path / "acme.json"
    scan = [*PROGRAM, "scan", "acme", "--platforms", str(platforms), "--db", str(db), *FLAGS, "-f", "json"]
    (code, _, err), (read_code, listing, read_err) = await in_namespace(
        tiny(tmp_path / "tiny"), [*scan, "-o", str(report)], [*PROGRAM, "history", "acme", "--db", str(db)]
    )
    full = f"cannot write the history {db}: the disk is full (free some space, or give another --db, or --no-db)"
    assert (code, one_error(err)) == (3, f"{full}; partial reports written for 1 brand")
    partial = json.loads(report.read_text())
    assert partial["brand"] == "acme" and partial["results"], "what was gathered is in the report"
    assert read_code == 0 and read_err == "", "a full disk can still be read"
    assert "running" in listing


# --- a read-only mount ---------------------------------------------------------------------


def good_history(db: Path, *, killed: bool) -> None:
    """Two finished scans of Acme (alpha free, then taken); `killed` leaves the write-ahead log
    beside the file, as a writer killed outright does."""
    script = f"""
import os
from datetime import UTC, datetime, timedelta
from handlecheck.models import Result, Verdict
from handlecheck.store.history import History
history = History({str(db)!r})
for verdict in (Verdict.AVAILABLE, Verdict.TAKEN):
    scan_id = history.start_scan("Acme", resume_within=timedelta(0))
    history.record(scan_id, Result("acme", "alpha", verdict, None, None, 200, 1, "", datetime.now(UTC)))
    history.finish_scan(scan_id)
if {killed}:
    os._exit(0)
history.close()
"""
    subprocess.run([sys.executable, "-c", script], check=True)
    assert (db.parent / f"{db.name}-wal").exists() is killed


@pytest.mark.parametrize("killed", [False, True], ids=["closed", "left-with-its-log"])
async def test_a_good_history_on_a_read_only_mount_is_read_and_not_written(tmp_path: Path, killed: bool) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "h.sqlite"
    good_history(db, killed=killed)
    platforms = tmp_path / "platforms.yaml"  # never asked: the history is refused first
    platforms.write_text("version: 1\nplatforms:\n" + profile_entry("alpha", "http://127.0.0.1:9"))
    scan = [*PROGRAM, "scan", "acme", "--platforms", str(platforms), *FLAGS, "-o", str(tmp_path / "out.txt")]
    listing, changes, existing, new = await in_namespace(
        read_only(folder),
        [*PROGRAM, "history", "Acme", "--db", str(db), "--format", "json"],
        [*PROGRAM, "diff", "Acme", "--db", str(db), "--format", "json"],
        [*scan, "--db", str(db)],
        [*scan, "--db", str(folder / "new.sqlite")],
    )
    assert listing[0] == 0 and listing[2] == "", listing
    assert [s["status"] for s in json.loads(listing[1])] == ["done", "done"]
    assert changes[0] == 0, changes
    assert [c["kind"] for c in json.loads(changes[1])["changes"]] == ["name-taken"]
    for path, (code, _, err) in ((db, existing), (folder / "new.sqlite", new)):
        why = "the file system is read-only (give a writable --db, or --no-db)"
        assert (code, one_error(err)) == (2, f"cannot write the history {path}: {why}")
    assert not (tmp_path / "out.txt").exists()
    with History(db, readonly=True) as history:
        assert [r.verdict for r in history.results(history.scans("Acme")[0].id)] == [Verdict.TAKEN]


# --- a bulk scan killed outright, again and again -------------------------------------------


BRANDS = [f"Brand{n:02d}" for n in range(30)]


def progress(db: Path) -> tuple[int, int]:
    """(results stored, scans finished) so far, read as another process would."""
    if not db.exists():
        return 0, 0
    raw = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        results = raw.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        done = raw.execute("SELECT COUNT(*) FROM scans WHERE status = 'done'").fetchone()[0]
        return int(results), int(done)
    except sqlite3.OperationalError:  # not made yet
        return 0, 0
    finally:
        raw.close()


async def test_a_bulk_scan_killed_again_and_again_records_one_scan_per_brand(tmp_path: Path, platforms: Path) -> None:
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\n" + "\n".join(BRANDS) + "\n", encoding="utf-8")
    db, out = tmp_path / "agency.sqlite", tmp_path / "reports"
    argv = [*PROGRAM, "scan", "--input", str(brands), "--out", str(out), "--platforms", str(platforms),
            "--db", str(db), *FLAGS, "--host-concurrency", "4"]  # fmt: skip
    # Killed before any brand is done, then each time just after one more has finished.
    for results_needed, done_needed in ((20, 0), (0, 3), (0, 9), (0, 16), (0, 24)):
        child = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.DEVNULL)
        for _ in range(3000):
            results, done = progress(db)
            if results >= results_needed and done >= done_needed and results:
                break
            await asyncio.sleep(0.01)
        assert child.returncode is None, f"it ended by itself at {progress(db)}"
        child.send_signal(signal.SIGKILL)
        await child.wait()
        assert progress(db)[1] < len(BRANDS), "killed before the end"
    child = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(child.wait(), timeout=120) == 0
    raw = sqlite3.connect(db)
    scans = raw.execute("SELECT brand, status FROM scans ORDER BY brand").fetchall()
    raw.close()
    assert scans == [(name, "done") for name in BRANDS], "one scan per brand, each finished"
    reports = [p for p in out.iterdir() if not p.name.startswith(".")]  # a kill may leave a hidden .part file
    assert len(reports) == len(BRANDS), "every brand's report"
    diff = await asyncio.create_subprocess_exec(
        *PROGRAM, "diff", "Brand00", "--db", str(db), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await diff.communicate()
    assert diff.returncode == 2, "not compared with a copy of itself"
    assert err.decode() == "handlecheck: error: only one scan of Brand00: nothing to compare with yet\n"
