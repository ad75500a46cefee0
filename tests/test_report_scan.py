"""Scan reports: golden files for markdown and csv; html rendered in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlecheck.domain import (
    Action,
    BestHandle,
    Candidate,
    Classification,
    Depth,
    Finding,
    Owned,
    ScanReport,
    Technique,
    Tier,
    TodoItem,
)
from handlecheck.models import Platform, Priority, Profile, Reason, Result, Urls, Verdict
from handlecheck.report.scan import render_csv, render_html, render_json, render_markdown, render_table
from handlecheck.todo import SECURITY_STEPS

GOLDEN = Path(__file__).parent / "golden"
WHEN = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
HOSTILE_NAME = "<script>document.title='pwned'</script>ACME"
HOSTILE_BIO = '=HYPERLINK("http://evil.test","click") [free](http://evil.test) DM us \x1b[31mnow'


def _platform(pid: str, name: str, priority: Priority) -> Platform:
    base = f"https://{pid}.test"
    return Platform(
        id=pid, name=name, checks=(), priority=priority,
        urls=Urls(profile=base + "/{{handle}}", signup=base + "/signup", report=base + "/report"),
    )  # fmt: skip


def _result(platform: str, handle: str, verdict: Verdict, reason: Reason | None = None) -> Result:
    return Result(
        handle, platform, verdict, reason, f"https://{platform}.test/{handle}", 200, 10, "check 1: status 200", WHEN
    )


@pytest.fixture
def report() -> ScanReport:
    platforms = (
        _platform("tiktok", "TikTok", Priority.CRITICAL),
        _platform("github", "GitHub", Priority.HIGH),
        _platform("forum", "Forum", Priority.LOW),
    )
    results = (
        _result("tiktok", "acme", Verdict.AVAILABLE),
        _result("tiktok", "acmehq", Verdict.AVAILABLE),
        _result("github", "acme", Verdict.TAKEN),
        _result("github", "acmehq", Verdict.AVAILABLE),
        _result("forum", "acme", Verdict.UNKNOWN, Reason.CHALLENGE),
        _result("forum", "acmehq", Verdict.INVALID),
    )
    impostor = Finding(
        platform="github", handle="acme_support", url="https://github.test/acme_support",
        candidate=Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme"),
        classification=Classification.IMPERSONATOR, risk=85,
        reasons=("handle 'acme_support': phishing affix (affix)", f"display name {HOSTILE_NAME!r} reads as the brand"),
        profile=Profile(display_name=HOSTILE_NAME, bio=HOSTILE_BIO), seen_at=WHEN,
    )  # fmt: skip
    todo = (
        TodoItem(Action.REPORT, Priority.CRITICAL, "github", "GitHub", "acme_support", "https://github.test/report",
                 "impersonator, risk 85", owner="Trust & Safety",
                 evidence=("profile: https://github.test/acme_support", f"display name {HOSTILE_NAME!r}")),
        TodoItem(Action.REGISTER, Priority.CRITICAL, "tiktok", "TikTok", "acme", "https://tiktok.test/signup",
                 "the name is free", owner="Social team", email_alias="social+tiktok@acme.example",
                 steps=SECURITY_STEPS),
        TodoItem(Action.CLAIM, Priority.HIGH, "github", "GitHub", "acme", "https://github.test/report",
                 "someone else holds the name", suggestion="acmehq"),
        TodoItem(Action.RETRY, Priority.LOW, "forum", "Forum", "acme", None, "no answer (challenge): run again later"),
    )  # fmt: skip
    return ScanReport(
        brand="Acme", handle="acme", depth=Depth.STANDARD, platforms=platforms, handles=("acme", "acmehq"),
        results=results, findings=(impostor,), todo=todo,
        best_handle=BestHandle("acmehq", 12, 13, ("tiktok", "github")), lookalike_checks=40,
        started_at=WHEN, finished_at=WHEN, timings={"total_seconds": 1.5},
    )  # fmt: skip


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path} (UPDATE_GOLDEN=1 rewrites it)"


def test_markdown_golden(report: ScanReport):
    text = render_markdown(report)
    _golden("scan.md", text)
    assert "- [ ] Register acme on TikTok: <https://tiktok.test/signup>" in text
    assert "<script>" not in text and "](http" not in text and "\x1b" not in text


def test_csv_golden(report: ScanReport):
    text = render_csv(report)
    _golden("scan.csv", text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["report", "register", "claim", "retry"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_json_is_the_whole_report(report: ScanReport):
    document = json.loads(render_json(report))
    assert document["best_handle"]["handle"] == "acmehq" and document["best_handle"]["coverage"] == 0.923
    assert document["findings"][0]["profile"]["display_name"] == HOSTILE_NAME
    assert document["summary"]["todo"] == {"report": 1, "register": 1, "claim": 1, "retry": 1}


def test_table_is_printable(report: ScanReport):
    text = render_table(report)
    assert "Best common handle: acmehq" in text and "\x1b" not in text


def test_html_escapes_scraped_text(report: ScanReport):
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="http://evil.test' not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *flags, (tmp_path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_html_renders_in_a_browser(report: ScanReport, tmp_path: Path):
    """The page as a browser shows it: the summary band, the grid with the brand's own account
    as "ours", the checklist with linked profiles; a screenshot (SCREENSHOT=path keeps one)."""
    ours = replace(report, owned=(Owned("github", "acme"),), todo=tuple(i for i in report.todo if i.action != "claim"))
    (tmp_path / "report.html").write_text(render_html(ours), encoding="utf-8")
    run = _chromium(tmp_path, "--dump-dom")
    dom = run.stdout
    assert '<table id="grid">' in dom, run.stderr[-2000:]
    assert dom.count('<tr data-platform="') == 3, "one grid row per platform"
    assert dom.count('class="todo-item"') == 3, "one checklist item per action"
    assert '<td class="available"' in dom and '<td class="ours"' in dom and '<td class="taken"' not in dom
    band = dom.split('id="summary"')[1].split("</div></div>")[0]
    assert re.findall(r"<strong>(\d+)</strong>([a-z ]+)</div>", band + "</div>") == [
        ("1", "to register"), ("1", "to report"), ("0", "to claim"), ("1", "unknown")]  # fmt: skip
    assert 'profile: <a href="https://github.test/acme_support"' in dom
    assert "pwned" not in dom.split("<title>")[1].split("</title>")[0], "scraped script never runs"
    assert "<script>" not in dom
    shot = Path(os.environ.get("SCREENSHOT") or tmp_path / "report.png").resolve()
    run = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1100,1300", "--hide-scrollbars")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", run.stderr[-2000:]
