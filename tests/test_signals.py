"""Stop signals: SIGTERM and SIGHUP (a CI timeout, `docker stop`, a closed terminal) stop a run
as Ctrl-C does: the work stops, the partial report is written, the history stays resumable and
the exit code is 128 + the signal. An existing report is replaced only once the new one is
whole, and no temporary file is left behind.

Each test runs the real program as a child process against real servers on loopback, and sends
it a real signal once some results are in.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable, Collection
from pathlib import Path

import pytest

from handlecheck import aio
from handlecheck.store.history import History
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, Site

OLD_REPORT = "the report of the run before\n"


async def _start(tmp_path: Path, *argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlecheck", *argv, "--no-progress", "--timeout", "60",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _until(
    process: asyncio.subprocess.Process, condition: Callable[[], bool], what: str, seconds: float = 15.0
) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        if process.returncode is not None:
            assert process.stderr is not None
            pytest.fail(f"exited {process.returncode} before {what}: {(await process.stderr.read()).decode()}")
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


async def _stop(process: asyncio.subprocess.Process, signum: int) -> tuple[str, str]:
    process.send_signal(signum)
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    return out.decode(), err.decode()


def _parts(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.part")]


def _stored(db: Path, brands: Collection[str]) -> Callable[[], bool]:
    """True once every brand has a result in the history database."""

    def check() -> bool:
        if not db.exists():
            return False
        with History(db) as history:
            return all(any(history.count_results(s.id) for s in history.scans(b)) for b in brands)

    return check


async def _two_platforms(sim: Simulator, platform_file: PlatformFile, gate: asyncio.Event) -> tuple[Site, Site, Path]:
    """A platform that answers at once and one that hangs until `gate` opens; @acme is on both
    (and the platform file says so, for selfcheck)."""
    quick = await sim.site(behave.profiles({"acme"}))
    stuck = await sim.site(behave.gated({"acme"}, gate))
    known = "known: {taken: [acme]}"
    entries = [profile_entry("quick", quick.base, extra=known), profile_entry("stuck", stuck.base, extra=known)]
    return quick, stuck, platform_file(*entries)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["TERM", "HUP"])
async def test_check_stopped_by_a_signal_keeps_the_streamed_results(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, signum: int, code: int
):
    gate = asyncio.Event()
    _, _, path = await _two_platforms(sim, platform_file, gate)
    out = tmp_path / "out.jsonl"
    out.write_text(OLD_REPORT)
    process = await _start(tmp_path, "check", "acme", "--platforms", str(path), "--format", "jsonl", "-o", str(out))

    def streamed() -> bool:
        return any(p.read_text().count("\n") == 1 for p in tmp_path.glob(".out.jsonl.*.part"))

    await _until(process, streamed, "the first result in the temporary file")
    assert out.read_text() == OLD_REPORT, "the existing report is untouched while the run goes on"
    _, err = await _stop(process, signum)
    gate.set()
    assert process.returncode == code, err
    assert [json.loads(line)["platform"] for line in out.read_text().splitlines()] == ["quick"]
    name = signal.Signals(signum).name
    assert err.splitlines() == [f"handlecheck: stopped by {name} after 1 of 2 checks; those results are kept"]
    assert not _parts(tmp_path)


async def test_check_json_report_survives_sigterm(sim: Simulator, platform_file: PlatformFile, tmp_path: Path):
    """The case of the issue: `check -o out.json`, then SIGTERM, used to leave out.json empty."""
    gate = asyncio.Event()
    quick, stuck, path = await _two_platforms(sim, platform_file, gate)
    out = tmp_path / "out.json"
    out.write_text(OLD_REPORT)
    process = await _start(tmp_path, "check", "acme", "--platforms", str(path), "--format", "json", "-o", str(out))
    await _until(
        process, lambda: quick.requests == 1 and not quick.in_flight and stuck.in_flight == 1, "the first answer"
    )
    await asyncio.sleep(0.5)  # the answer travels back and is recorded
    assert out.read_text() == OLD_REPORT
    _, err = await _stop(process, signal.SIGTERM)
    gate.set()
    assert process.returncode == 143, err
    report = json.loads(out.read_text())
    assert [r["platform"] for r in report["results"]] == ["quick"]
    assert "stopped by SIGTERM after 1 of 2 checks" in err and "Traceback" not in err
    assert not _parts(tmp_path)


async def test_scan_stopped_by_sigterm_writes_the_partial_report_and_resumes(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    gate = asyncio.Event()
    quick, _, path = await _two_platforms(sim, platform_file, gate)
    out = tmp_path / "acme.json"
    out.write_text(OLD_REPORT)
    db = tmp_path / "history.sqlite"
    argv = ["scan", "acme", "--platforms", str(path), "--db", str(db), "--depth", "quick", "--format", "json",
            "-o", str(out)]  # fmt: skip
    process = await _start(tmp_path, *argv)
    await _until(process, _stored(db, ["acme"]), "a stored result")
    assert out.read_text() == OLD_REPORT
    _, err = await _stop(process, signal.SIGTERM)
    assert process.returncode == 143, err
    partial = json.loads(out.read_text())
    assert partial["brand"] == "acme" and "quick" in {r["platform"] for r in partial["results"]}
    assert "stopped by SIGTERM; partial reports written for 1 brand; the next run resumes from the history" in err
    assert "Traceback" not in err and not _parts(tmp_path)
    with History(db) as history:
        [stopped] = history.scans("acme")
        assert stopped.status == "running", "left resumable"

    gate.set()
    rerun = await _start(tmp_path, *argv)
    _, err_bytes = await asyncio.wait_for(rerun.communicate(), timeout=30)
    assert rerun.returncode == 0, err_bytes.decode()
    with History(db) as history:
        [resumed] = history.scans("acme")
        assert (resumed.id, resumed.status) == (stopped.id, "done"), "the stopped scan was resumed, not restarted"
    assert quick.hits["/acme"] == 1, "the answer stored before the stop was not asked again"
    assert {r["platform"] for r in json.loads(out.read_text())["results"]} == {"quick", "stuck"}


async def test_a_scan_without_history_stopped_promises_no_resume(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    gate = asyncio.Event()
    quick, _, path = await _two_platforms(sim, platform_file, gate)
    out = tmp_path / "acme.json"
    process = await _start(tmp_path, "scan", "acme", "--platforms", str(path), "--no-db", "--depth", "quick",
                           "--format", "json", "-o", str(out))  # fmt: skip
    await _until(process, lambda: quick.hits["/acme"] == 1, "the quick platform asked")
    _, err = await _stop(process, signal.SIGTERM)
    gate.set()
    assert process.returncode == 143, err
    assert err.endswith("partial reports written for 1 brand; --no-db kept nothing to resume from\n"), err
    assert json.loads(out.read_text())["status"] == "partial"


async def test_bulk_scan_stopped_by_sighup_writes_partial_reports_and_resumes(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    gate = asyncio.Event()
    _, _, path = await _two_platforms(sim, platform_file, gate)
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\nAcme\nGlobex\n")
    reports = tmp_path / "reports"
    db = tmp_path / "agency.sqlite"
    argv = ["scan", "--input", str(brands), "--out", str(reports), "--platforms", str(path), "--db", str(db),
            "--depth", "quick", "--format", "json"]  # fmt: skip
    process = await _start(tmp_path, *argv)
    await _until(process, _stored(db, ["Acme", "Globex"]), "a stored result of each brand")
    _, err = await _stop(process, signal.SIGHUP)
    assert process.returncode == 129, err
    assert "handlecheck: stopped by SIGHUP; partial reports written for 2 brands" in err and "Traceback" not in err
    written = {json.loads(p.read_text())["brand"]: p for p in reports.iterdir()}
    assert sorted(written) == ["Acme", "Globex"]
    assert all("quick" in {r["platform"] for r in json.loads(p.read_text())["results"]} for p in written.values())
    assert not _parts(tmp_path)
    with History(db) as history:
        stopped = {b: [(s.id, s.status) for s in history.scans(b)] for b in ("Acme", "Globex")}
    assert all(len(scans) == 1 and scans[0][1] == "running" for scans in stopped.values()), stopped

    gate.set()
    rerun = await _start(tmp_path, *argv)
    _, err_bytes = await asyncio.wait_for(rerun.communicate(), timeout=30)
    assert rerun.returncode == 0, err_bytes.decode()
    with History(db) as history:
        for brand, [(scan_id, _)] in stopped.items():
            assert [(s.id, s.status) for s in history.scans(brand)] == [(scan_id, "done")]


async def test_lookalike_check_stopped_by_sigterm_keeps_the_accounts_found(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    """`lookalikes --check` stopped (like Ctrl-C) writes the accounts found so far, judged by
    their names since no profile was read yet, marked partial; it exits 143."""
    gate = asyncio.Event()
    quick = await sim.site(behave.profiles({"acme_support"}))
    stuck = await sim.site(behave.gated({"acme"}, gate))
    path = platform_file(profile_entry("quick", quick.base), profile_entry("stuck", stuck.base))
    out = tmp_path / "findings.json"
    out.write_text(OLD_REPORT)
    process = await _start(tmp_path, "lookalikes", "acme", "--check", "--depth", "deep", "--platforms", str(path),
                           "--host-interval", "0", "--format", "json", "-o", str(out))  # fmt: skip
    await _until(process, lambda: stuck.in_flight > 0 and quick.requests > 20 and not quick.in_flight, "quick done")
    await asyncio.sleep(0.5)
    _, err = await _stop(process, signal.SIGTERM)
    gate.set()
    assert process.returncode == 143, err
    [line] = err.splitlines()
    assert line.startswith("handlecheck: stopped by SIGTERM after ") and "the accounts found so far are kept" in line
    report = json.loads(out.read_text())
    assert report["partial"] is True
    assert [(f["platform"], f["handle"]) for f in report["findings"]] == [("quick", "acme_support")]
    assert not _parts(tmp_path)


async def test_selfcheck_stopped_by_sigterm_reports_the_platforms_checked(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
):
    gate = asyncio.Event()
    quick, stuck, path = await _two_platforms(sim, platform_file, gate)
    out = tmp_path / "health.json"
    out.write_text(OLD_REPORT)
    process = await _start(tmp_path, "platforms", "selfcheck", "--platforms", str(path), "--format", "json",
                           "-o", str(out))  # fmt: skip
    await _until(
        process, lambda: quick.requests == 2 and not quick.in_flight and stuck.in_flight, "quick's canary and control"
    )
    await asyncio.sleep(0.5)
    _, err = await _stop(process, signal.SIGTERM)
    gate.set()
    assert process.returncode == 143, err
    assert err.splitlines() == ["handlecheck: stopped by SIGTERM after 1 of 2 platforms; those results are kept"]
    report = json.loads(out.read_text())
    assert [(p["platform"], p["health"]) for p in report["platforms"]] == [("quick", "working")]
    assert not _parts(tmp_path)


# --- the signal handling itself, in this process -------------------------------------------


@pytest.fixture
def program_signals():
    """This process handles the stop signals as the program does, for one test."""
    before = {s: signal.getsignal(s) for s in aio.STOP_SIGNALS}
    aio.stop_on_signals()
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_a_stop_signal_cancels_the_running_coroutine_and_then_raises_stopped(program_signals):
    unwound: list[str] = []

    async def work() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(30)
        finally:
            unwound.append("cleaned up")

    with pytest.raises(aio.Stopped) as stopped:
        aio.run(work())
    assert stopped.value.signum == signal.SIGTERM and isinstance(stopped.value, KeyboardInterrupt)
    assert unwound == ["cleaned up"], "the coroutine was cancelled and ran its clean-up"
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, "outside the loop the signal still raises"
    with pytest.raises(aio.Stopped) as outside:
        os.kill(os.getpid(), signal.SIGHUP)
    assert outside.value.name == "SIGHUP"


def test_a_library_caller_keeps_its_own_signal_handlers():
    seen: list[int] = []
    before = signal.signal(signal.SIGHUP, lambda signum, frame: seen.append(signum))
    try:

        async def work() -> str:
            os.kill(os.getpid(), signal.SIGHUP)
            await asyncio.sleep(0.05)
            return "done"

        assert aio.run(work()) == "done"
        assert seen == [signal.SIGHUP]
    finally:
        signal.signal(signal.SIGHUP, before)
