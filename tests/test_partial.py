"""Issue 14 item 3: a scan a stop interrupted is partial everywhere, and `diff` leaves it out.

Each scan here is the real program as a child process against real servers on loopback, stopped
with a real SIGINT once one answer is stored; one platform hangs so that the scan cannot end.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlecheck.cli import main
from handlecheck.domain import Candidate, Classification, Finding, Technique, Tier
from handlecheck.models import Result, Verdict
from handlecheck.store.history import History
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator

UNFINISHED = re.compile(
    r"the scan was stopped before the end: \d+ of \d+ handle checks not done; lookalikes not checked"
)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


async def interrupted_scan(sim: Simulator, platform_file: PlatformFile, tmp_path: Path, fmt: str) -> tuple[Path, Path]:
    """Scan Acme until one answer is stored, then Ctrl-C it; the report and the history."""
    quick = await sim.site(behave.profiles({"acme"}))
    stuck = await sim.site(behave.gated({"acme"}, asyncio.Event()))
    platforms = platform_file(profile_entry("quick", quick.base), profile_entry("stuck", stuck.base))
    db, out = tmp_path / "history.sqlite", tmp_path / f"report.{fmt}"
    with History(db, readonly=True) as history:
        before = {s.id for s in history.scans("Acme")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlecheck", "scan", "Acme", "--platforms", str(platforms), "--db", str(db),
        "--depth", "quick", "--format", fmt, "-o", str(out), "--no-progress", "--timeout", "60",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    for _ in range(300):
        if db.exists():
            with History(db) as history:  # as a second scan would: it waits while the first migrates
                if any(s.results for s in history.scans("Acme") if s.id not in before):
                    break
        await asyncio.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 130, err.decode()
    return out, db


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "csv", "junit"])
async def test_every_format_of_a_partial_report_says_so_and_what_was_not_checked(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, fmt: str
) -> None:
    out, _ = await interrupted_scan(sim, platform_file, tmp_path, fmt)
    text = out.read_text(encoding="utf-8")
    assert UNFINISHED.search(text), text
    assert "0 lookalike checks" not in text
    first = text.splitlines()[0]
    if fmt in ("table", "markdown"):
        assert first.strip("*").startswith("PARTIAL SCAN: the scan was stopped before the end"), first
    if fmt == "html":
        assert '<p class="warn" id="partial"><strong>PARTIAL SCAN:' in text.split("<h1>")[0]
    if fmt == "csv":
        assert text.splitlines()[1].startswith("critical,retry,,acme,,the scan was stopped before the end")
    if fmt == "junit":
        assert '<property name="status" value="partial" />' in text


def seed_complete_scans(db: Path) -> list[int]:
    """Two complete scans of Acme two days ago, each of which found the impersonator acme_support."""
    ids = []
    with History(db) as history:
        for _ in range(2):
            scan_id = history.start_scan("Acme", resume_within=timedelta(0))
            history.record(scan_id, Result("acme", "quick", Verdict.TAKEN, None, None, 200, 5, "", datetime.now(UTC)))
            history.record_findings(
                scan_id,
                [Finding("quick", "acme_support", None, SUPPORT, Classification.IMPERSONATOR, 80, (), None,
                         datetime.now(UTC))],
            )  # fmt: skip
            history.finish_scan(scan_id)
            ids.append(scan_id)
        history.db.execute("UPDATE scans SET started_at = ?", ((datetime.now(UTC) - timedelta(days=2)).isoformat(),))
    return ids


async def test_diff_and_history_leave_out_or_mark_the_interrupted_scan(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite"
    first, second = seed_complete_scans(db)
    out, _ = await interrupted_scan(sim, platform_file, tmp_path, "json")
    report = json.loads(out.read_text())
    assert (report["status"], report["summary"]["partial"]) == ("partial", True)
    assert report["unfinished"]["lookalikes_checked"] is False and UNFINISHED.fullmatch(
        report["unfinished"]["description"]
    )
    with History(db, readonly=True) as history:
        partial = history.scans("Acme")[0].id
    assert partial not in (first, second)

    assert main(["diff", "acme", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"Acme: scan {first} \(.+\) -> scan {second} \(.+\)", lines[0]), lines[0]
    assert re.fullmatch(
        rf"left out, newer but partial: scan {partial} \(.+, partial\); --include-partial compares partial scans too",
        lines[1],
    ), lines[1]
    assert lines[2:] == ["no changes"], "no false vanished-lookalike rows"

    assert main(["diff", "acme", "--db", str(db), "--include-partial", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["from_scan"], document["to_scan"], document["to_complete"]) == (second, partial, False)
    assert [c["kind"] for c in document["changes"]] == ["vanished-lookalike"], "asked for, and marked partial"

    assert main(["history", "acme", "--db", str(db), "--format", "json"]) == 0
    assert [(s["id"], s["complete"]) for s in json.loads(capsys.readouterr().out)] == [
        (partial, False), (second, True), (first, True),
    ]  # fmt: skip
    assert main(["history", "acme", "--db", str(db)]) == 0
    table = capsys.readouterr().out
    assert f"{partial}  " in table and "partial (running, or stopped)" in table
