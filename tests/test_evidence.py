"""Evidence, end to end: a scan with a planted impersonator archives its page as a WARC record
whose payload hash matches, keeps secrets and cookies out, writes the report text that names
the evidence, and `evidence verify` finds any file that changed."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

import handlecheck
from handlecheck.cli import main
from handlecheck.config import Config
from handlecheck.domain import Owned
from handlecheck.evidence.keeper import EvidencePlan, Scope
from handlecheck.evidence.screenshot import find_browser
from tests.conftest import PlatformFile
from tests.evidence_world import COOKIE, TOKEN, TOKEN_ENV, delta_platforms
from tests.simulator import Simulator

FLAGS = ["--depth", "quick", "--no-progress", "--timeout", "5", "--retries", "0", "--owned", "delta:acme"]


@pytest.fixture
async def world(sim: Simulator, platform_file: PlatformFile, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return await delta_platforms(sim, platform_file)


async def scan(tmp_path: Path, platforms: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    argv = ["scan", "acme", "--platforms", str(platforms), "--db", str(tmp_path / "h.sqlite"),
            "--evidence", str(tmp_path / "evidence"), *FLAGS, "-f", "json", "-o", str(report), *extra]  # fmt: skip
    code = await asyncio.to_thread(main, argv)
    return code, json.loads(report.read_text())


def records(archive: Path) -> list[tuple[str, dict[str, str], bytes]]:
    """Each record of a WARC file: its type, its WARC headers, its payload."""
    with archive.open("rb") as stream:
        return [(r.rec_type, dict(r.rec_headers.headers), r.content_stream().read()) for r in ArchiveIterator(stream)]


def the_finding(document: dict[str, Any], handle: str = "acme_support") -> dict[str, Any]:
    return next(f for f in document["findings"] if f["handle"] == handle)


async def test_an_impersonator_s_page_is_archived_with_its_hash(world: tuple[Path, str], tmp_path: Path) -> None:
    platforms, base = world
    code, document = await scan(tmp_path, platforms)
    assert code == 0, "no policy asked to fail"
    found = the_finding(document)
    assert found["classification"] == "impersonator"
    evidence = found["evidence"]
    archive = Path(evidence["folder"]) / evidence["archive"]
    kinds = records(archive)
    assert [kind for kind, _, _ in kinds] == ["warcinfo", "request", "response", "metadata"]
    _, response_headers, payload = kinds[2]
    assert hashlib.sha256(payload).hexdigest() == evidence["payload_sha256"]
    assert response_headers["WARC-Payload-Digest"].startswith("sha256:")
    assert response_headers["WARC-Target-URI"] == f"{base}/api/acme_support"
    assert json.loads(payload)["name"] == "ACME", "the page as it was fetched"
    metadata = json.loads(kinds[3][2])
    assert metadata["classification"] == "impersonator" and metadata["profile"]["display_name"] == "ACME"
    assert kinds[3][1]["WARC-Refers-To"] == response_headers["WARC-Record-ID"]
    assert any(reason.startswith("display name 'ACME' reads as the brand") for reason in metadata["reasons"])
    others = [f for f in document["findings"] if f["classification"] != "impersonator"]
    assert all(f["evidence"] is None for f in others), "only impersonators, unless --evidence-all"


async def test_secrets_and_cookies_never_enter_the_evidence(world: tuple[Path, str], tmp_path: Path) -> None:
    platforms, _ = world
    await scan(tmp_path, platforms, "--report", f"html={tmp_path / 'r.html'}")
    kept = b""
    for path in (tmp_path / "evidence").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            kept += gzip.decompress(data) if path.name.endswith(".gz") else data
    assert TOKEN.encode() not in kept and COOKIE.encode() not in kept
    assert b"Authorization: [withheld]" in kept and b"[secret]" in kept, "the echoed token is blanked, not dropped"
    assert b"Set-Cookie" not in kept
    for written in (tmp_path / "report.json", tmp_path / "r.html", tmp_path / "h.sqlite"):
        assert TOKEN.encode() not in written.read_bytes() and COOKIE.encode() not in written.read_bytes()


async def test_the_report_text_names_the_account_the_official_one_and_the_hash(
    world: tuple[Path, str], tmp_path: Path
) -> None:
    platforms, base = world
    markdown = tmp_path / "report.md"
    _, document = await scan(tmp_path, platforms, "--report", f"markdown={markdown}", "--report",
                             f"html={tmp_path / 'r.html'}")  # fmt: skip
    digest = the_finding(document)["evidence"]["payload_sha256"]
    (item,) = [i for i in document["todo"] if i["action"] == "report"]
    text = item["report_text"]
    assert f"The account acme_support ({base}/@acme_support) impersonates acme." in text
    assert f"Our official account here: acme on Delta ({base}/@acme)." in text
    assert "- display name 'ACME' reads as the brand" in text and "(+25)" not in text
    assert f"the archived page (WARC) has SHA-256 {digest}." in text and "Captured 20" in text
    assert item["link"] == f"{base}/report-impersonation"
    assert any(e.startswith("archived: ") and digest in e for e in item["evidence"])
    md = markdown.read_text()
    assert f"report text, to paste into <{base}/report-impersonation>:" in md and f"    SHA-256 {digest}" not in md
    assert f"WARC) has SHA-256 {digest}." in md
    html = (tmp_path / "r.html").read_text()
    assert 'data-copy="report-text-' in html and "<textarea" in html and digest in html


async def test_evidence_all_archives_every_account_found(world: tuple[Path, str], tmp_path: Path) -> None:
    platforms, _ = world
    _, document = await scan(tmp_path, platforms, "--evidence-all")
    assert document["findings"] and all(f["evidence"] for f in document["findings"])


async def test_the_history_records_where_the_evidence_is(world: tuple[Path, str], tmp_path: Path) -> None:
    platforms, _ = world
    _, document = await scan(tmp_path, platforms)
    evidence = the_finding(document)["evidence"]
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        (folder,) = db.execute("SELECT evidence_dir FROM scans").fetchone()
        row = db.execute("SELECT archive, payload_sha256 FROM findings WHERE handle = 'acme_support'").fetchone()
    assert folder == evidence["folder"] and folder.startswith(str(tmp_path / "evidence"))
    assert row == (str(Path(evidence["folder"]) / evidence["archive"]), evidence["payload_sha256"])


async def test_verify_finds_changed_and_missing_files(world: tuple[Path, str], tmp_path: Path, capsys) -> None:
    platforms, _ = world
    _, document = await scan(tmp_path, platforms, "--evidence-all")
    root = tmp_path / "evidence"
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["evidence", "verify", str(root)]) == 0
    assert capsys.readouterr().out.endswith(" intact, 0 changed or missing\n")
    archive = Path(the_finding(document)["evidence"]["folder"]) / the_finding(document)["evidence"]["archive"]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    gone = next(p for p in archive.parent.glob("*.warc.gz") if p != archive)
    gone.unlink()
    (archive.parent / "notes.txt").write_text("mine")
    assert await asyncio.to_thread(main, ["evidence", "verify", str(root)]) == 1
    out, err = capsys.readouterr()
    assert f"changed: {archive} (sha256 " in out and f"missing: {gone}" in out and "unlisted: " in out
    assert err == f"handlecheck: evidence changed: 2 files under {root}\n"


async def test_verify_reads_the_warc_digests_too(world: tuple[Path, str], tmp_path: Path, capsys) -> None:
    """A WARC rewritten whole (its manifest hash updated to match) still fails its own digests."""
    platforms, _ = world
    _, document = await scan(tmp_path, platforms)
    evidence = the_finding(document)["evidence"]
    folder = Path(evidence["folder"])
    archive = folder / evidence["archive"]
    # Records stored uncompressed read as well as gzipped ones: a forger need not recompress them.
    forged = gzip.decompress(archive.read_bytes()).replace(b"customer support", b"customer suppart")
    archive.write_bytes(forged)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][evidence["archive"]]["sha256"] = hashlib.sha256(forged).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert await asyncio.to_thread(main, ["evidence", "verify", str(folder)]) == 1
    assert "payload digest failed" in capsys.readouterr().out


async def test_verify_goes_on_past_a_manifest_that_does_not_read(
    world: tuple[Path, str], tmp_path: Path, capsys
) -> None:
    platforms, _ = world
    await scan(tmp_path, platforms)
    root = tmp_path / "evidence"
    broken = root / "aaa-broken" / "manifest.json"  # sorted first: the intact folder comes after it
    broken.parent.mkdir()
    broken.write_text("{not json")
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["evidence", "verify", str(root)]) == 1
    out, err = capsys.readouterr()
    assert f"unreadable: {broken} (not a handlecheck evidence manifest (" in out
    assert " intact, 1 changed or missing" in out and not out.startswith("0 files intact")
    assert err == f"handlecheck: evidence changed: 1 file under {root}\n"


@pytest.mark.parametrize("make", ["nothing", "bad manifest", "deep manifest"])
async def test_verify_refuses_what_is_not_evidence(tmp_path: Path, capsys, make: str) -> None:
    if make == "bad manifest":
        (tmp_path / "manifest.json").write_text("{not json")
    if make == "deep manifest":
        (tmp_path / "manifest.json").write_text('{"files": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert await asyncio.to_thread(main, ["evidence", "verify", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("handlecheck: error: ") and str(tmp_path) in line and "Traceback" not in line


async def test_the_library_keeps_the_same_evidence(world: tuple[Path, str], tmp_path: Path) -> None:
    platforms, _ = world
    (tmp_path / "cli").mkdir()
    _, document = await scan(tmp_path / "cli", platforms)
    config = Config(brand="acme", owned=(Owned("delta", "acme"),))
    plan = EvidencePlan(tmp_path / "lib", Scope.IMPERSONATORS)
    report = await handlecheck.scan(config=config, platforms=platforms, depth=handlecheck.Depth.QUICK, evidence=plan)
    (mine,) = [f for f in report.findings if f.handle == "acme_support"]
    assert mine.evidence is not None
    assert mine.evidence.payload_sha256 == the_finding(document)["evidence"]["payload_sha256"]
    assert Path(mine.evidence.folder).is_relative_to(tmp_path / "lib")
    (item,) = [i for i in report.todo if i.action is handlecheck.domain.Action.REPORT]
    assert item.report_text is not None and mine.evidence.payload_sha256 in item.report_text


@pytest.mark.skipif(find_browser() is None, reason="no chromium installed (apt-get install chromium)")
async def test_screenshots_sit_beside_the_archive_and_show_in_the_html_report(
    world: tuple[Path, str], tmp_path: Path
) -> None:
    platforms, base = world
    page = tmp_path / "r.html"
    _, document = await scan(tmp_path, platforms, "--screenshots", "--report", f"html={page}")
    evidence = the_finding(document)["evidence"]
    folder = Path(evidence["folder"])
    shot, own = folder / evidence["screenshot"], folder / evidence["own_screenshot"]
    assert shot.read_bytes().startswith(b"\x89PNG") and own.read_bytes().startswith(b"\x89PNG")
    assert shot.parent == (folder / evidence["archive"]).parent, "beside the WARC file"
    assert hashlib.sha256(shot.read_bytes()).hexdigest() == evidence["screenshot_sha256"]
    metadata = json.loads(records(folder / evidence["archive"])[3][2])
    assert metadata["screenshot"] == {"file": evidence["screenshot"], "sha256": evidence["screenshot_sha256"],
                                      "url": f"{base}/@acme_support"}  # fmt: skip
    html = page.read_text()
    assert html.count('<img src="data:image/png;base64,') == 2, "the impersonator's page beside the brand's own"
