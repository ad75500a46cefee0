"""Scan history in real SQLite files: scans resumed, answers recalled while fresh, bad files refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlecheck.domain import Candidate, Classification, Finding, Technique, Tier
from handlecheck.errors import ConfigError, InputError
from handlecheck.models import Reason, Result, Verdict
from handlecheck.store.history import SCHEMA_VERSION, History, StoredFinding, default_path

HOUR = timedelta(hours=1)
SUPPORT = Candidate("acme_support", Technique.AFFIX, Tier.PHISHING_AFFIX, 8, 0.9, "support")


def result(
    platform: str,
    handle: str = "acme",
    verdict: Verdict = Verdict.TAKEN,
    *,
    age: timedelta = timedelta(0),
    reason: Reason | None = None,
) -> Result:
    return Result(
        handle,
        platform,
        verdict,
        reason,
        f"https://{platform}.test/{handle}",
        200,
        34,
        f"{verdict} page",
        datetime.now(UTC) - age,
    )


def finding(
    platform: str,
    handle: str,
    risk: int,
    classification: Classification = Classification.IMPERSONATOR,
    url: str | None = None,
) -> Finding:
    return Finding(platform, handle, url, SUPPORT, classification, risk, ("a", "b"), None, datetime.now(UTC))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


def age_scan(path: Path, scan_id: int, age: timedelta) -> None:
    """Move a scan's start into the past, as if it had been begun that long ago."""
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE scans SET started_at = ? WHERE id = ?", ((datetime.now(UTC) - age).isoformat(), scan_id))
    raw.close()


# --- scans -----------------------------------------------------------------------------


def test_an_unfinished_scan_within_max_age_is_resumed_under_its_id(db: Path) -> None:
    with History(db) as history:
        first = history.start_scan("Acme", resume_within=HOUR)
        history.record(first, result("alpha"))
    with History(db) as history:  # a new process, after the first was killed
        assert history.start_scan("Acme", resume_within=HOUR) == first
        history.record(first, result("beta"))
        assert history.count_results(first) == 2
        (only,) = history.scans("Acme")
        assert (only.id, only.status, only.results, only.finished_at) == (first, "running", 2, None)


def test_an_unfinished_scan_older_than_max_age_is_not_resumed(db: Path) -> None:
    with History(db) as history:
        stale = history.start_scan("Acme", resume_within=HOUR)
    age_scan(db, stale, 2 * HOUR)
    with History(db) as history:
        fresh = history.start_scan("Acme", resume_within=HOUR)
        assert fresh != stale
        assert [s.id for s in history.scans("Acme")] == [fresh, stale], "newest first"
        assert history.start_scan("Acme", resume_within=3 * HOUR) == fresh, "the newest unfinished one"


def test_a_finished_scan_is_never_resumed_and_brands_do_not_share_scans(db: Path) -> None:
    with History(db) as history:
        acme = history.start_scan("Acme", resume_within=HOUR)
        globex = history.start_scan("Globex", resume_within=HOUR)
        assert globex != acme
        history.finish_scan(acme)
        again = history.start_scan("Acme", resume_within=HOUR)
        assert again not in (acme, globex)
        history.finish_scan(globex, "interrupted")
        records = {s.id: s for s in history.scans("Acme") + history.scans("Globex")}
        assert (records[acme].status, records[again].status, records[globex].status) == (
            "done",
            "running",
            "interrupted",
        )
        finished_at = records[acme].finished_at
        assert finished_at is not None and finished_at >= records[acme].started_at
        assert history.scans("Initech") == []


def test_scans_count_results_and_findings(db: Path) -> None:
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        for platform in ("alpha", "beta", "gamma"):
            history.record(scan_id, result(platform))
        history.record_findings(scan_id, [finding("alpha", "acme_support", 90), finding("beta", "acme_help", 60)])
        (record,) = history.scans("Acme")
        assert (record.brand, record.results, record.findings) == ("Acme", 3, 2)
        assert record.started_at.tzinfo is not None


# --- results and findings ----------------------------------------------------------------


def test_results_round_trip_exactly(db: Path) -> None:
    stored = [
        result("beta", "acmehq", Verdict.AVAILABLE),
        result("alpha", "acme", Verdict.UNKNOWN, reason=Reason.RATE_LIMITED),
        Result("acme", "gamma", Verdict.INVALID, None, None, None, 0, "", datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ]
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        for item in stored:
            history.record(scan_id, item)
    with History(db) as history:
        assert history.results(scan_id) == sorted(stored, key=lambda r: (r.platform, r.handle))


def test_a_pair_is_stored_once_per_scan_and_the_last_answer_wins(db: Path) -> None:
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        history.record(scan_id, result("alpha", verdict=Verdict.UNKNOWN, reason=Reason.TIMEOUT))
        history.record(scan_id, result("alpha", verdict=Verdict.TAKEN))
        assert history.count_results(scan_id) == 1
        assert [r.verdict for r in history.results(scan_id)] == [Verdict.TAKEN]
        other = history.start_scan("Globex", resume_within=HOUR)
        history.record(other, result("alpha"))
        assert (history.count_results(scan_id), history.count_results(other)) == (1, 1)


def test_findings_are_stored_riskiest_first(db: Path) -> None:
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        history.record_findings(
            scan_id,
            [
                finding("beta", "acmefans", 20, Classification.FAN),
                finding("alpha", "acme_support", 90, url="https://alpha.test/acme_support"),
                finding("alpha", "acme_help", 90),
            ],
        )
        history.record_findings(scan_id, [finding("beta", "acmefans", 25, Classification.FAN)])
        assert history.findings(scan_id) == [
            StoredFinding("alpha", "acme_help", "impersonator", 90, None),
            StoredFinding("alpha", "acme_support", "impersonator", 90, "https://alpha.test/acme_support"),
            StoredFinding("beta", "acmefans", "fan", 25, None),
        ]
        assert history.findings(scan_id + 1) == []


# --- recall ----------------------------------------------------------------------------


def test_fresh_returns_only_conclusive_answers_younger_than_max_age(db: Path) -> None:
    with History(db) as history:
        old = history.start_scan("Acme", resume_within=HOUR)
        history.record(old, result("alpha", verdict=Verdict.AVAILABLE, age=3 * HOUR))
        history.record(old, result("beta", verdict=Verdict.TAKEN, age=3 * HOUR))
        history.finish_scan(old)
        new = history.start_scan("Acme", resume_within=HOUR)
        history.record(new, result("alpha", verdict=Verdict.TAKEN, age=timedelta(minutes=5)))
        history.record(new, result("gamma", verdict=Verdict.UNKNOWN, reason=Reason.TIMEOUT))

        recalled = history.fresh("alpha", "acme", HOUR)
        assert recalled is not None and recalled.verdict is Verdict.TAKEN, "the newest answer"
        older = history.fresh("alpha", "acme", timedelta(minutes=1))
        assert older is None, "five minutes old is too old for a one-minute max age"
        assert history.fresh("beta", "acme", HOUR) is None, "three hours old"
        beta = history.fresh("beta", "acme", 4 * HOUR)
        assert beta is not None and beta.verdict is Verdict.TAKEN, "any scan's answer, even a finished one"
        assert history.fresh("gamma", "acme", HOUR) is None, "unknown is never recalled"
        assert history.fresh("alpha", "acmehq", HOUR) is None
        assert history.fresh("delta", "acme", HOUR) is None


def test_fresh_ignores_an_older_conclusive_answer_behind_a_newer_unknown(db: Path) -> None:
    with History(db) as history:
        first = history.start_scan("Acme", resume_within=HOUR)
        history.record(first, result("alpha", verdict=Verdict.AVAILABLE, age=timedelta(minutes=30)))
        history.finish_scan(first)
        second = history.start_scan("Acme", resume_within=HOUR)
        history.record(second, result("alpha", verdict=Verdict.UNKNOWN, reason=Reason.BLOCKED))
        recalled = history.fresh("alpha", "acme", HOUR)
        assert recalled is not None and recalled.verdict is Verdict.AVAILABLE


def test_two_connections_share_one_file(db: Path) -> None:
    with History(db) as writer, History(db) as reader:
        scan_id = writer.start_scan("Acme", resume_within=HOUR)
        writer.record(scan_id, result("alpha"))
        assert reader.count_results(scan_id) == 1
        assert reader.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- the file --------------------------------------------------------------------------


def test_a_new_file_and_its_folders_are_created_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "h.sqlite"
    with History(path):
        pass
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    raw.close()
    assert tables == {"scans", "results", "findings"}


def test_closed_when_the_block_ends(db: Path) -> None:
    with History(db) as history:
        pass
    with pytest.raises(sqlite3.ProgrammingError):
        history.scans("Acme")


def test_default_path_is_in_the_users_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_path() == tmp_path / "xdg-data" / "handlecheck" / "history.sqlite"  # see conftest
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "handlecheck" / "history.sqlite"


def test_a_file_that_is_not_sqlite_is_a_config_error(db: Path) -> None:
    db.write_text("brand,aliases\nAcme,\n" * 100, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == f"{db}: not a handlecheck history database (file is not a database)"


def test_a_newer_schema_is_a_config_error(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == (
        f"{db}: not a handlecheck history database (schema version {SCHEMA_VERSION + 1} is newer than this handlecheck)"
    )


def test_another_programs_database_with_a_scans_table_is_a_config_error(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE scans (host TEXT, port INTEGER)")
    raw.close()
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == f"{db}: not a handlecheck history database (table scans already exists)"
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0, "the failed migration was rolled back"
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'results'").fetchall() == []
    raw.close()


def test_a_path_that_cannot_be_opened_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=rf"^cannot open history database {tmp_path / 'file' / 'h.sqlite'}: "):
        History(tmp_path / "file" / "h.sqlite")
    with pytest.raises(InputError) as caught:
        History(tmp_path)
    assert str(caught.value) == f"cannot open history database {tmp_path}: unable to open database file"
