"""Output files are written whole or not at all: to a temporary file in the target's folder,
renamed over the target once complete. A full disk or a read-only folder is one line, exit 2
(3 when a scan's results were gathered and its reports written), and never a traceback.

The program-level tests run the real program in a mount namespace of its own (`unshare -rm`)
on a tiny or read-only tmpfs; they are skipped where namespaces cannot be made.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from handlecheck.errors import StorageError
from handlecheck.files import atomic_output, write_atomic
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator

OLD_REPORT = "the report of the run before\n"


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_the_new_content_replaces_the_old_only_when_complete(tmp_path: Path):
    target = tmp_path / "report.json"
    target.write_text(OLD_REPORT)
    target.chmod(0o640)
    with atomic_output(target, "report") as stream:
        stream.write('{"half": ')
        stream.flush()
        assert target.read_text() == OLD_REPORT, "the target is untouched while it is written"
        stream.write("true}\n")
    assert target.read_text() == '{"half": true}\n'
    assert target.stat().st_mode & 0o777 == 0o640, "the file keeps its permissions"
    assert not _leftovers(tmp_path)


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary_one(tmp_path: Path):
    target = tmp_path / "report.json"
    target.write_text(OLD_REPORT)
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as stream:
        stream.write("half a rep")
        raise KeyboardInterrupt
    assert target.read_text() == OLD_REPORT
    assert not _leftovers(tmp_path)


def test_a_link_is_followed_and_kept(tmp_path: Path):
    real = tmp_path / "reports" / "today.md"
    real.parent.mkdir()
    real.write_text(OLD_REPORT)
    link = tmp_path / "latest.md"
    link.symlink_to(real)
    write_atomic(link, "new\n", "report")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert not _leftovers(tmp_path) and not _leftovers(real.parent)


def test_a_pipe_is_written_in_place(tmp_path: Path):
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "streamed\n", "report")
    reader.join(timeout=5)
    assert received == ["streamed\n"]
    assert fifo.is_fifo() and not _leftovers(tmp_path)


def test_an_impossible_path_is_one_line_that_says_what_and_where(tmp_path: Path):
    missing = tmp_path / "no" / "such" / "out.json"
    with pytest.raises(StorageError) as caught:
        write_atomic(missing, "x", "report")
    assert str(caught.value) == f"cannot write report {missing}: No such file or directory (check the path)"
    with pytest.raises(StorageError, match=rf"^cannot write baseline {tmp_path}: Is a directory"):
        write_atomic(tmp_path, "x", "baseline")


# --- the real program on a full disk or a read-only folder ---------------------------------


def _namespace() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(
        [unshare, "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a namespace here: {probe.stderr.decode().strip()[:120]}")
    return [unshare, "-rm", "sh", "-c"]


async def _in_namespace(script: str, tmp_path: Path, **values: Path | str) -> tuple[int, str, str]:
    """Run `script` (sh; $PY runs handlecheck, $NAME the values given) in a mount namespace."""
    environment = {**os.environ, "PY": f"{sys.executable} -m handlecheck", **{k: str(v) for k, v in values.items()}}
    process = await asyncio.create_subprocess_exec(
        *_namespace(), script, cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


FULL_DISK = 'mount -t tmpfs -o size=200k tmpfs "$DISK" && echo "$OLD" > "$DISK/out.json" && ' \
            '{ dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null; true; } && '  # fmt: skip
AFTERWARDS = 'code=$?; ls -A "$DISK"; cat "$DISK/out.json"; exit $code'


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
async def test_check_on_a_full_disk_is_one_line_and_keeps_the_old_report(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, fmt: str
):
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    disk = tmp_path / "disk"
    disk.mkdir()
    script = FULL_DISK + f'$PY check acme --platforms "$PLATFORMS" --format {fmt} -o "$DISK/out.json"; ' + AFTERWARDS
    code, out, err = await _in_namespace(script, tmp_path, DISK=disk, PLATFORMS=path, OLD=OLD_REPORT.strip())
    assert code == 2, err
    assert err.splitlines() == [
        f"handlecheck: error: cannot write results {disk}/out.json: No space left on device "
        "(free some space or write elsewhere)"
    ]
    assert out.splitlines() == ["filler", "out.json", OLD_REPORT.strip()], "no temporary file, the old report intact"


async def test_check_into_a_read_only_folder_says_so_before_asking_anything(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    folder = tmp_path / "ro"
    folder.mkdir()
    script = 'mount -t tmpfs -o ro tmpfs "$RO" && $PY check acme --platforms "$PLATFORMS" -o "$RO/out.txt"'
    code, _, err = await _in_namespace(script, tmp_path, RO=folder, PLATFORMS=path)
    assert code == 2, err
    assert err.splitlines() == [
        f"handlecheck: error: cannot write results {folder}/out.txt: Read-only file system "
        "(the file system is read-only: write elsewhere)"
    ]
    assert site.requests == 0, "nothing was asked that could not be written"


async def test_scan_report_folder_read_only_is_one_line(sim: Simulator, platform_file: PlatformFile, tmp_path: Path):
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    folder = tmp_path / "ro"
    folder.mkdir()
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\nAcme\n")
    script = 'mount -t tmpfs -o ro tmpfs "$RO" && $PY scan --input "$BRANDS" --out "$RO/reports" --no-db ' \
             '--platforms "$PLATFORMS" --no-progress'  # fmt: skip
    code, _, err = await _in_namespace(script, tmp_path, RO=folder, PLATFORMS=path, BRANDS=brands)
    assert code == 2, err
    assert err.splitlines() == [
        f"handlecheck: error: cannot write reports into {folder}/reports: Read-only file system "
        "(the file system is read-only: write elsewhere)"
    ]


async def test_scan_whose_history_fills_the_disk_writes_the_partial_report_and_exits_3(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    """The history database fills its disk mid-scan: the results gathered so far still reach
    the report (on another disk), with one line naming the database, and exit 3."""
    gate = asyncio.Event()
    quick = await sim.site(behave.profiles({"acme"}))
    stuck = await sim.site(behave.gated({"acme"}, gate))
    path = platform_file(profile_entry("quick", quick.base), profile_entry("stuck", stuck.base))
    disk, signals = tmp_path / "disk", tmp_path / "signals"
    disk.mkdir()
    signals.mkdir()
    report = tmp_path / "report.json"
    script = (
        'mount -t tmpfs -o size=2m tmpfs "$DISK" && { '
        '$PY scan acme --platforms "$PLATFORMS" --db "$DISK/h.sqlite" --depth quick --format json '
        '-o "$REPORT" --no-progress --timeout 30 & '
        'until [ -e "$SIGNALS/fill" ]; do sleep 0.05; done; '
        '{ dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null; true; }; touch "$SIGNALS/full"; wait $!; }'
    )
    running = asyncio.create_task(
        _in_namespace(script, tmp_path, DISK=disk, PLATFORMS=path, REPORT=report, SIGNALS=signals)
    )
    await _wait_for(lambda: quick.requests > 0 and not quick.in_flight and stuck.in_flight > 0, "quick's answers")
    await asyncio.sleep(0.5)  # quick's answers are stored
    (signals / "fill").touch()
    await _wait_for((signals / "full").exists, "the disk to be filled")
    gate.set()  # stuck answers now, and storing that answer meets the full disk
    code, _, err = await running
    assert code == 3, err
    [line] = err.splitlines()
    assert line.startswith(f"handlecheck: error: cannot write the history {disk}/h.sqlite: the disk is full"), line
    assert line.endswith("; partial reports written for 1 brand"), line
    assert "Traceback" not in err
    partial = json.loads(report.read_text())
    assert partial["brand"] == "acme" and "quick" in {r["platform"] for r in partial["results"]}


# --- standard output, and a report that cannot be written after the checks ----------------


def _program(*args: str, stdout: int | Path = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    if isinstance(stdout, Path):
        with stdout.open("w") as sink:
            return subprocess.run([sys.executable, "-m", "handlecheck", *args], stdout=sink,
                                  stderr=subprocess.PIPE, text=True, timeout=60, check=False)  # fmt: skip
    return subprocess.run([sys.executable, "-m", "handlecheck", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ["platforms", "list"],
        ["lookalikes", "paypal", "--max", "5"],
        ["lookalikes", "paypal", "--format", "json"],
        ["--help"],
        ["scan", "--help"],
        ["--version"],
    ],
)
def test_standard_output_on_a_full_disk_is_one_line(command: list[str]):
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full on this system")
    run = _program(*command, stdout=full)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == ["handlecheck: error: cannot write to standard output: No space left on device"]


def test_standard_output_closed_by_its_reader_is_quiet():
    process = subprocess.Popen([sys.executable, "-m", "handlecheck", "platforms", "list"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""


def _with_closed(*descriptors: int) -> Callable[[], None]:
    """For the child, between fork and exec: as a shell's `<&-`, `>&-` or `2>&-` leaves it."""

    def close() -> None:
        for descriptor in descriptors:
            os.close(descriptor)

    return close


async def test_a_closed_standard_input_or_error_changes_nothing_the_program_writes(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    """A closed descriptor is held on the null device: without that, the report would open as
    descriptor 2 and error lines would be written into it (and uvloop aborts on a closed 0)."""
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    for closed in (0, 2):
        report = tmp_path / f"closed-{closed}.json"
        run = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "handlecheck", "check", "acme", "--platforms", str(path), "--no-progress",
             "--format", "json", "-o", str(report)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE if closed != 2 else None, text=True, timeout=60,
            check=False, preexec_fn=_with_closed(closed),
        )  # fmt: skip
        assert run.returncode == 0, (closed, run.stderr)
        assert [r["verdict"] for r in json.loads(report.read_text())["results"]] == ["taken"], closed


async def test_a_closed_standard_output_fails_in_one_line_unless_the_report_goes_to_a_file(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    command = [sys.executable, "-m", "handlecheck", "check", "acme", "--platforms", str(path), "--no-progress"]

    def program(*more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *more], stderr=subprocess.PIPE, text=True, timeout=60, check=False,
                              preexec_fn=_with_closed(1))  # fmt: skip

    on_screen = await asyncio.to_thread(program)
    assert on_screen.returncode == 2
    assert on_screen.stderr.splitlines() == ["handlecheck: error: cannot write to standard output: Bad file descriptor"]
    report = tmp_path / "report.json"
    into_file = await asyncio.to_thread(program, "--format", "json", "-o", str(report))
    assert into_file.returncode == 0 and into_file.stderr == ""
    assert json.loads(report.read_text())["results"][0]["verdict"] == "taken"


async def test_a_scan_report_that_cannot_be_written_is_one_line_after_the_checks(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    """The checks ran, then the report's path is a folder: one line, exit 2, and no noise from
    the checks' machinery being torn down (each stream of results is closed where it is read)."""
    site = await sim.site(behave.profiles({"acme"}))
    path = platform_file(profile_entry("one", site.base))
    folder = tmp_path / "report.json"
    folder.mkdir()
    run = await asyncio.to_thread(
        _program, "scan", "acme", "--platforms", str(path), "--no-db", "--depth", "quick", "--no-progress",
        "-o", str(folder),
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [
        f"handlecheck: error: cannot write report {folder}: Is a directory (check the path)"
    ]
    assert site.requests > 0, "the report is written after the checks"
