"""Scan history in real SQLite files: scans resumed, answers recalled while fresh, bad files refused."""

from __future__ import annotations

import argparse
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from handlecheck.cli import main
from handlecheck.cli.parser import build_parser
from handlecheck.domain import Candidate, Classification, Finding, Technique, Tier
from handlecheck.errors import ConfigError, InputError, StorageError
from handlecheck.models import Reason, Result, Verdict
from handlecheck.store.history import History, StoredFinding, default_path
from handlecheck.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import PlatformFile, profile_entry

HOUR = timedelta(hours=1)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


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


def test_a_finished_scan_is_continued_within_max_age_and_brands_do_not_share_scans(db: Path) -> None:
    with History(db) as history:
        acme = history.start_scan("Acme", resume_within=HOUR)
        globex = history.start_scan("Globex", resume_within=HOUR)
        assert globex != acme
        history.finish_scan(acme)
        assert history.start_scan("Acme", resume_within=HOUR) == acme, "finished within the hour: no copy of it"
        age_scan(db, acme, 2 * HOUR)
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
        new = history.start_scan("Acme", resume_within=timedelta(0))  # a scan of its own
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
        second = history.start_scan("Acme", resume_within=timedelta(0))
        history.record(second, result("alpha", verdict=Verdict.UNKNOWN, reason=Reason.BLOCKED))
        recalled = history.fresh("alpha", "acme", HOUR)
        assert recalled is not None and recalled.verdict is Verdict.AVAILABLE


def test_fresh_compares_times_not_their_text(db: Path) -> None:
    east, west = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
    now = datetime.now(UTC)
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        history.record(scan_id, replace(result("alpha"), checked_at=(now - 2 * HOUR).astimezone(east)))
        history.record(scan_id, replace(result("beta"), checked_at=(now - timedelta(minutes=30)).astimezone(west)))
        assert history.fresh("alpha", "acme", HOUR) is None, "two hours old, whatever its offset reads"
        beta = history.fresh("beta", "acme", HOUR)
        assert beta is not None and beta.checked_at == now - timedelta(minutes=30)
        newer = history.start_scan("Acme", resume_within=timedelta(0))
        history.record(scan_id, replace(result("gamma"), checked_at=(now - timedelta(minutes=10)).astimezone(east)))
        history.record(newer, replace(result("gamma", verdict=Verdict.AVAILABLE), checked_at=now.astimezone(west)))
        gamma = history.fresh("gamma", "acme", HOUR)
        assert gamma is not None and gamma.verdict is Verdict.AVAILABLE, "the newest answer, by time"
    stamp = (now - 2 * HOUR).astimezone(east).isoformat()  # as an older handlecheck stored it
    raw_sql(db, f"INSERT INTO results VALUES ({scan_id}, 'delta', 'acme', 'taken', NULL, NULL, 200, 1, '', '{stamp}');")
    with History(db) as history:
        assert history.fresh("delta", "acme", HOUR) is None
        assert all(r.checked_at.utcoffset() == timedelta(0) for r in history.results(newer)), "stored in UTC"


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
    assert tables == {"scans", "results", "findings", "alerts_sent"}


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


OWN_FILE = "give handlecheck its own file with --db"


def raw_sql(path: Path, script: str) -> None:
    """Make a SQLite file as another program would."""
    raw = sqlite3.connect(path)
    raw.executescript(script)
    raw.close()


def tables_of(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return [row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        raw.close()


def test_a_file_that_is_not_sqlite_is_a_config_error(db: Path) -> None:
    db.write_text("brand,aliases\nAcme,\n" * 100, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == f"{db}: not a handlecheck history database (file is not a database); {OWN_FILE}"


def test_a_newer_schema_is_a_config_error(db: Path) -> None:
    raw_sql(db, f"PRAGMA user_version = {SCHEMA_VERSION + 1};")
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == (
        f"{db}: not a handlecheck history database (schema version {SCHEMA_VERSION + 1} is newer than this "
        "handlecheck: upgrade handlecheck)"
    )


@pytest.mark.parametrize(
    ("script", "tables"),
    [
        ("CREATE TABLE scans (host TEXT, port INTEGER);", "scans"),
        ("CREATE TABLE hosts (name TEXT); CREATE TABLE ports (n INTEGER);", "hosts, ports"),
    ],
    ids=["a-scans-table", "tables-of-its-own"],
)
def test_another_programs_database_is_refused_and_left_as_it_was(db: Path, script: str, tables: str) -> None:
    raw_sql(db, script)
    before = tables_of(db)
    with pytest.raises(ConfigError) as caught:
        History(db)
    assert str(caught.value) == f"{db}: another program's SQLite database (tables: {tables}); {OWN_FILE}"
    assert tables_of(db) == before, "none of handlecheck's tables were added to it"
    with pytest.raises(ConfigError):
        History(db, readonly=True)


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("PRAGMA user_version = 1;", "no tables scans, results, findings"),
        ("PRAGMA user_version = 1; CREATE TABLE x (a);", "no tables scans, results, findings"),
        (
            "PRAGMA user_version = 1; CREATE TABLE scans (id INTEGER PRIMARY KEY, brand TEXT, started_at TEXT,"
            " finished_at TEXT, status TEXT); CREATE TABLE results (scan_id INTEGER, platform TEXT, handle TEXT,"
            " url TEXT, http_status INTEGER, elapsed_ms INTEGER, evidence TEXT, checked_at TEXT);",
            "no table findings; table results lacks columns verdict, reason",
        ),
    ],
    ids=["version-1-no-tables", "version-1-other-tables", "wrong-results-table"],
)
def test_the_schema_is_checked_not_only_its_version_number(db: Path, script: str, problem: str) -> None:
    raw_sql(db, script)
    for readonly in (False, True):
        with pytest.raises(ConfigError) as caught:
            History(db, readonly=readonly)
        assert str(caught.value) == f"{db}: not a handlecheck history database ({problem}); {OWN_FILE}"


def test_extra_tables_and_columns_of_a_handlecheck_history_are_fine(db: Path) -> None:
    with History(db) as history:
        history.start_scan("Acme", resume_within=HOUR)
    raw_sql(db, "CREATE TABLE notes (text TEXT); ALTER TABLE scans ADD COLUMN note TEXT;")
    with History(db) as history:
        assert len(history.scans("Acme")) == 1


def test_a_path_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(StorageError) as stored:
        History(tmp_path / "file" / "h.sqlite")
    assert (
        str(stored.value) == f"cannot write the history {tmp_path / 'file' / 'h.sqlite'}: File exists (check the path)"
    )
    with pytest.raises(InputError) as caught:
        History(tmp_path)
    assert str(caught.value) == f"cannot open history database {tmp_path}: unable to open database file"


# --- reading only ----------------------------------------------------------------------


def test_a_readonly_history_reads_without_changing_the_file(db: Path) -> None:
    with History(db) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        history.record(scan_id, result("alpha"))
    before = db.read_bytes()
    with History(db, readonly=True) as reader:
        assert [s.id for s in reader.scans("Acme")] == [scan_id]
        with pytest.raises(StorageError) as caught:
            reader.record(scan_id, result("beta"))
    assert str(caught.value) == (
        f"cannot write the history {db}: the database is read-only (give a writable --db, or --no-db)"
    )
    assert db.read_bytes() == before


def test_a_missing_history_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none" / "h.sqlite"
    with History(path, readonly=True) as history:
        assert history.scans("Acme") == []
    assert not path.parent.exists()


# --- the commands ------------------------------------------------------------------------

FOREIGN = "PRAGMA user_version = 1; CREATE TABLE x (a);"
LISTS_BRANDS = "handlecheck history lists the brands it has"


@pytest.mark.parametrize(
    "command",
    [["history", "Acme"], ["diff", "Acme"], ["scan", "Acme", "--no-progress", "--format", "json"]],
    ids=["history", "diff", "scan"],
)
def test_another_programs_file_is_one_line_and_exit_2(
    db: Path, command: list[str], platform_file: PlatformFile, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_sql(db, FOREIGN)
    if command[0] == "scan":  # never asked: the history is refused before anything is
        command += ["--platforms", str(platform_file(profile_entry("alpha", "http://127.0.0.1:9"))), "-o", "-"]
    assert main([*command, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"handlecheck: error: {db}: not a handlecheck history database (no tables scans, results, findings); "
        f"{OWN_FILE}\n"
    )
    assert tables_of(db) == ["x"]


def two_scans(db: Path) -> tuple[int, int]:
    """Acme scanned twice: alpha was free the first time and taken the second."""
    with History(db) as history:
        first = history.start_scan("Acme", resume_within=HOUR)
        history.record(first, result("alpha", verdict=Verdict.AVAILABLE))
        history.finish_scan(first)
        second = history.start_scan("Acme", resume_within=timedelta(0))
        history.record(second, result("alpha", verdict=Verdict.TAKEN))
        history.finish_scan(second)
    return first, second


def test_diff_since_the_latest_scans_own_id_compares_with_the_scan_before(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = two_scans(db)
    assert main(["diff", "Acme", "--db", str(db), "--since", str(second), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["from_scan"], document["to_scan"]) == (first, second), "never a scan against itself"
    assert [c["kind"] for c in document["changes"]] == ["name-taken"]
    assert main(["diff", "Acme", "--db", str(db), "--since", str(first), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["from_scan"] == first


def test_diff_of_a_brand_scanned_once_has_nothing_to_compare_even_by_its_id(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with History(db) as history:
        only = history.start_scan("Acme", resume_within=HOUR)
        history.finish_scan(only)
    assert main(["diff", "Acme", "--db", str(db), "--since", str(only)]) == 2
    assert capsys.readouterr().err == "handlecheck: error: only one scan of Acme: nothing to compare with yet\n"


def test_history_and_diff_do_not_create_a_missing_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere" / "h.sqlite"
    missing = f"handlecheck: error: no scans of Acme in the history {path} ({LISTS_BRANDS})\n"
    for command in ("history", "diff"):  # one outcome for a brand with no scans, whichever command
        assert main([command, "Acme", "--db", str(path)]) == 2
        assert capsys.readouterr() == ("", missing)
    assert main(["history", "--db", str(path)]) == 0
    assert capsys.readouterr().out == f"no scans in the history {path} yet\n"
    assert not path.parent.exists()


# --- one brand, whatever its case or accents (issue 14 item 5) ------------------------------------


def test_brands_match_whatever_their_case_accents_and_spacing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = two_scans(db)
    with History(db) as history:
        assert history.start_scan("  ACMÉ ", resume_within=HOUR) == second, "the same brand: its scan continued"
        history.finish_scan(history.start_scan("Globex", resume_within=HOUR))
    for spelling in ("acme", "ACME", "Acmé", " acme "):
        assert main(["history", spelling, "--db", str(db), "--format", "json"]) == 0
        assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [second, first], spelling
        assert main(["diff", spelling, "--db", str(db), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["from_scan"] == first, spelling
    assert main(["history", "--db", str(db), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(b["brand"], b["scans"], b["complete_scans"]) for b in listed] == [("Acme", 2, 2), ("Globex", 1, 1)]
    assert main(["history", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["brand", "scans", "complete", "last", "scan", "(UTC)"]


def test_a_version_1_history_is_read_as_it_is_and_migrated_when_written(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_sql(db, MIGRATIONS[1] + "; PRAGMA user_version = 1;")
    raw_sql(db, "INSERT INTO scans (brand, started_at, status) VALUES ('Acmé', '2026-01-02T03:04:05+00:00', 'done')")
    before = db.read_bytes()
    assert main(["history", "ACME", "--db", str(db), "--format", "json"]) == 0, capsys.readouterr().err
    assert [s["brand"] for s in json.loads(capsys.readouterr().out)] == ["Acmé"]
    assert db.read_bytes() == before, "a reading command does not migrate"
    with History(db) as history:
        assert [s.brand for s in history.scans("acme")] == ["Acmé"]
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert raw.execute("SELECT brand_key FROM scans").fetchall() == [("acme",)]
    raw.close()


def test_every_command_has_a_description_and_an_example() -> None:
    def walk(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, argparse.ArgumentParser]]:
        found = [(name, parser)]
        for action in parser._actions:  # argparse keeps its subcommands only here
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    found += walk(child, f"{name} {sub}")
        return found

    commands = walk(build_parser(), "handlecheck")[1:]
    assert len(commands) >= 10
    for name, parser in commands:
        assert parser.description, f"{name} --help has no description"
        assert parser.epilog and "Examples:\n  handlecheck " in parser.epilog, f"{name} --help has no example"
        assert parser.formatter_class is argparse.RawDescriptionHelpFormatter, name
