"""The history in PostgreSQL, beside SQLite: the same behaviour from both (the shared tests run
on each), one schema and one sequence of migrations, concurrent coordinators, and every way a
server can fail, each one line with the password masked. The server is real (see
`tests.postgres_server`); the platforms are simulated on 127.0.0.1."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from handlecheck.cli import main
from handlecheck.domain import Candidate, Classification, Finding, Technique, Tier
from handlecheck.errors import ConfigError, HandlecheckError, StorageError
from handlecheck.models import Reason, Result, Verdict
from handlecheck.store import History, open_history
from handlecheck.store.history import StoredFinding
from handlecheck.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.postgres_server import GUARDED_PASSWORD, GUARDED_ROLE, PostgresServer, pg_url_fixture, postgres_fixture  # noqa: F401
from tests.simulator import Simulator

HOUR = timedelta(hours=1)
needs_psycopg = pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is None, reason="psycopg is not installed (pip install 'psycopg[binary]')"
)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


@dataclass(frozen=True, slots=True)
class Backend:
    """One history database to test: a SQLite file's path, or a PostgreSQL URL."""

    name: str
    target: str | Path

    def raw(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run SQL (with ? placeholders) through the driver itself, as another program would."""
        if isinstance(self.target, Path):
            with closing(sqlite3.connect(self.target)) as db, db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.target, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s").encode(), params)
            return cursor.fetchall() if cursor.description else []

    def tables(self) -> list[str]:
        if isinstance(self.target, Path):
            return [row[0] for row in self.raw("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [row[0] for row in self.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]

    def version(self) -> int:
        if isinstance(self.target, Path):
            return int(self.raw("PRAGMA user_version")[0][0])
        return int(self.raw("SELECT version FROM handlecheck_schema")[0][0])

    def make_version_1(self) -> None:
        """A history as handlecheck's first schema made it: migration 1 only."""
        if isinstance(self.target, Path):
            with closing(sqlite3.connect(self.target)) as db:
                db.executescript(MIGRATIONS[1] + "; PRAGMA user_version = 1;")
            return
        for statement in MIGRATIONS[1].split(";"):
            if statement.strip():
                self.raw(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        self.raw("CREATE TABLE handlecheck_schema (version INTEGER NOT NULL)")
        self.raw("INSERT INTO handlecheck_schema VALUES (1)")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", tmp_path / "history.sqlite")
    return Backend("postgresql", request.getfixturevalue("pg_url"))


def result(platform: str, handle: str = "acme", verdict: Verdict = Verdict.TAKEN, *, age: timedelta = timedelta(0),
           reason: Reason | None = None) -> Result:  # fmt: skip
    return Result(handle, platform, verdict, reason, f"https://{platform}.test/{handle}", 200, 34, f"{verdict} page",
                  datetime.now(UTC) - age)  # fmt: skip


def finding(platform: str, handle: str, risk: int, classification: Classification = Classification.IMPERSONATOR,
            url: str | None = None) -> Finding:  # fmt: skip
    return Finding(platform, handle, url, SUPPORT, classification, risk, ("a", "b"), None, datetime.now(UTC))


def age_scan(backend: Backend, scan_id: int, age: timedelta) -> None:
    backend.raw("UPDATE scans SET started_at = ? WHERE id = ?", ((datetime.now(UTC) - age).isoformat(), scan_id))


# --- the same behaviour from both --------------------------------------------------------------------


def test_scans_are_resumed_within_the_window_and_new_after_it(backend: Backend) -> None:
    with open_history(backend.target) as history:
        first = history.start_scan("Acme", resume_within=HOUR)
        history.record(first, result("alpha"))
    with open_history(backend.target) as history:  # a new process, after the first was killed
        assert history.start_scan("ACMÉ", resume_within=HOUR) == first
        history.record(first, result("beta"))
        (only,) = history.scans("acme")
        assert (only.id, only.brand, only.status, only.results, only.finished_at) == (first, "Acme", "running", 2, None)
    age_scan(backend, first, 2 * HOUR)
    with open_history(backend.target) as history:
        fresh = history.start_scan("Acme", resume_within=HOUR)
        assert fresh != first
        assert [s.id for s in history.scans("Acme")] == [fresh, first], "newest first"
        assert history.start_scan("Acme", resume_within=3 * HOUR) == fresh
        globex = history.start_scan("Globex", resume_within=HOUR)
        history.finish_scan(fresh)
        history.finish_scan(globex, "interrupted")
        assert history.start_scan("Acme", resume_within=HOUR) == fresh, "finished within the hour: continued"
        records = {s.id: s for s in history.scans("Acme") + history.scans("Globex")}
        assert [records[i].status for i in (first, fresh, globex)] == ["running", "done", "interrupted"]
        done_at = records[fresh].finished_at
        assert done_at is not None and done_at >= records[fresh].started_at
        assert history.started_at(fresh) == records[fresh].started_at
        assert history.scans("Initech") == []


def test_results_and_findings_round_trip(backend: Backend) -> None:
    stored = [
        result("beta", "acmehq", Verdict.AVAILABLE),
        result("alpha", "acme", Verdict.UNKNOWN, reason=Reason.RATE_LIMITED),
        Result("acme", "gamma", Verdict.INVALID, None, None, None, 0, "", datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ]
    with open_history(backend.target) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        for item in stored:
            history.record(scan_id, item)
        history.record(scan_id, replace(stored[1], verdict=Verdict.TAKEN, reason=None))  # the last answer wins
        history.record_findings(scan_id, [finding("beta", "acmefans", 20, Classification.FAN),
                                          finding("alpha", "acme_support", 90, url="https://alpha.test/acme_support"),
                                          finding("alpha", "acme_help", 90)])  # fmt: skip
        history.record_findings(scan_id, [finding("beta", "acmefans", 25, Classification.FAN)])
    with open_history(backend.target, readonly=True) as history:
        expected = sorted([stored[0], replace(stored[1], verdict=Verdict.TAKEN, reason=None), stored[2]],
                          key=lambda r: (r.platform, r.handle))  # fmt: skip
        assert history.results(scan_id) == expected
        assert history.count_results(scan_id) == 3
        assert history.findings(scan_id) == [
            StoredFinding("alpha", "acme_help", "impersonator", 90, None),
            StoredFinding("alpha", "acme_support", "impersonator", 90, "https://alpha.test/acme_support"),
            StoredFinding("beta", "acmefans", "fan", 25, None),
        ]
        assert history.findings(scan_id + 1) == []
        (record,) = history.scans("Acme")
        assert (record.results, record.findings) == (3, 3)


def test_fresh_recalls_conclusive_answers_younger_than_max_age_by_time_not_text(backend: Backend) -> None:
    east, west = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
    now = datetime.now(UTC)
    with open_history(backend.target) as history:
        old = history.start_scan("Acme", resume_within=HOUR)
        history.record(old, result("alpha", verdict=Verdict.AVAILABLE, age=3 * HOUR))
        history.record(old, result("beta", verdict=Verdict.AVAILABLE, age=timedelta(minutes=30)))
        history.record(old, replace(result("gamma"), checked_at=(now - 2 * HOUR).astimezone(east)))
        history.finish_scan(old)
        new = history.start_scan("Acme", resume_within=timedelta(0))  # a scan of its own
        history.record(new, result("alpha", verdict=Verdict.TAKEN, age=timedelta(minutes=5)))
        history.record(new, result("beta", verdict=Verdict.UNKNOWN, reason=Reason.BLOCKED))
        history.record(new, replace(result("delta"), checked_at=(now - timedelta(minutes=30)).astimezone(west)))

        alpha = history.fresh("alpha", "acme", HOUR)
        assert alpha is not None and alpha.verdict is Verdict.TAKEN, "the newest answer"
        assert history.fresh("alpha", "acme", timedelta(minutes=1)) is None, "five minutes is too old"
        older = history.fresh("alpha", "acme", 4 * HOUR)
        assert older is not None and older.verdict is Verdict.TAKEN
        beta = history.fresh("beta", "acme", HOUR)
        assert beta is not None and beta.verdict is Verdict.AVAILABLE, "behind a newer unknown"
        assert history.fresh("gamma", "acme", HOUR) is None, "two hours old, whatever its offset reads"
        delta = history.fresh("delta", "acme", HOUR)
        assert delta is not None and delta.checked_at == now - timedelta(minutes=30)
        assert delta.checked_at.utcoffset() == timedelta(0), "stored in UTC"
        assert history.fresh("alpha", "acme", timedelta(0)) is None, "a window of 0 holds nothing"
        assert history.fresh("alpha", "acmehq", HOUR) is None
    stamp = (now - 2 * HOUR).astimezone(east).isoformat()  # as an older handlecheck stored it
    backend.raw(
        "INSERT INTO results (scan_id, platform, handle, verdict, elapsed_ms, evidence, checked_at) "
        "VALUES (?, 'epsilon', 'acme', 'taken', 1, '', ?)",
        (new, stamp),
    )
    with open_history(backend.target) as history:
        assert history.fresh("epsilon", "acme", HOUR) is None
        assert history.fresh("epsilon", "acme", 3 * HOUR) is not None


def test_brands_and_alerts(backend: Backend) -> None:
    with open_history(backend.target) as history:
        for name in ("Globex", "Acme", "ACMÉ", "Çafé"):
            history.finish_scan(history.start_scan(name, resume_within=timedelta(0)))
        history.start_scan("acme", resume_within=timedelta(0))
        brands = history.brands()
        assert [(b.brand, b.scans, b.complete) for b in brands] == [("acme", 3, 2), ("Çafé", 1, 1), ("Globex", 1, 1)]
        assert brands[0].last_started == history.scans("Acme")[0].started_at
        assert history.unsent("hook", ["a", "b", "c"]) == ["a", "b", "c"]
        history.mark_sent("hook", ["a", "b"])
        history.mark_sent("hook", ["b", "c"])  # once each
        assert history.unsent("hook", ["a", "b", "c", "d"]) == ["d"]
        assert history.unsent("other", ["a"]) == ["a"]


def test_a_readonly_history_reads_an_empty_database_as_empty_and_makes_nothing(backend: Backend) -> None:
    tables = [] if isinstance(backend.target, Path) else backend.tables()
    with open_history(backend.target, readonly=True) as history:
        assert (history.scans("Acme"), history.brands()) == ([], [])
    if isinstance(backend.target, Path):
        assert not backend.target.exists()
    else:
        assert backend.tables() == tables == []
    with open_history(backend.target) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
    with open_history(backend.target, readonly=True) as history, pytest.raises(StorageError) as caught:
        history.record(scan_id, result("alpha"))
    shown = history.location
    assert str(caught.value) == (
        f"cannot write the history {shown}: the database is read-only (give a writable --db, or --no-db)"
    )


def test_a_version_1_history_is_read_as_it_is_and_migrated_when_written(backend: Backend) -> None:
    backend.make_version_1()
    for brand, started, status in (("Acmé", "2026-01-02T03:04:05+00:00", "done"),
                                   ("ACME", "2026-01-03T03:04:05+00:00", "running"),
                                   ("Globex", "2026-01-01T00:00:00+00:00", "done")):  # fmt: skip
        backend.raw("INSERT INTO scans (brand, started_at, status) VALUES (?, ?, ?)", (brand, started, status))
    with open_history(backend.target, readonly=True) as history:
        assert [s.brand for s in history.scans("acme")] == ["ACME", "Acmé"], "newest first"
        assert [(b.brand, b.scans, b.complete) for b in history.brands()] == [("ACME", 2, 1), ("Globex", 1, 1)]
    assert backend.version() == 1, "a reading command does not migrate"
    with open_history(backend.target) as history:
        assert [s.brand for s in history.scans("acme")] == ["ACME", "Acmé"]
    assert backend.version() == SCHEMA_VERSION == 3
    assert sorted(backend.raw("SELECT brand_key FROM scans")) == [("acme",), ("acme",), ("globex",)]
    assert set(backend.tables()) >= {"scans", "results", "findings", "alerts_sent"}


@pytest.mark.parametrize("script", [["CREATE TABLE hosts (name TEXT)", "CREATE TABLE ports (n INTEGER)"]])
def test_another_programs_database_is_refused_and_left_as_it_was(backend: Backend, script: list[str]) -> None:
    for statement in script:
        backend.raw(statement)
    before = backend.tables()
    unit, kind = ("file", "SQLite") if backend.name == "sqlite" else ("database", "PostgreSQL")
    for readonly in (False, True):
        with pytest.raises(ConfigError) as caught:
            open_history(backend.target, readonly=readonly)
        shown = str(caught.value).split(": another", 1)[0]
        assert str(caught.value) == (
            f"{shown}: another program's {kind} database (tables: hosts, ports); give handlecheck its own {unit} "
            "with --db"
        )
    assert backend.tables() == before


def test_a_newer_schema_is_refused_and_extra_tables_are_fine(backend: Backend) -> None:
    with open_history(backend.target) as history:
        history.start_scan("Acme", resume_within=HOUR)
    backend.raw("CREATE TABLE notes (text TEXT)")
    backend.raw("ALTER TABLE scans ADD COLUMN note TEXT")
    with open_history(backend.target) as history:
        assert len(history.scans("Acme")) == 1
    if backend.name == "sqlite":
        backend.raw(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        backend.raw("UPDATE handlecheck_schema SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError) as caught:
        open_history(backend.target)
    assert str(caught.value).endswith(
        f": not a handlecheck history database (schema version {SCHEMA_VERSION + 1} is newer than this handlecheck: "
        "upgrade handlecheck)"
    )


# Four of these at once: each opens the history when all are ready (so they migrate it at once),
# then starts a scan of Acme when all have opened it (so they start it at once).
STARTER = """
import sys, time
from datetime import timedelta
from pathlib import Path
from handlecheck.store import open_history

def together(step):
    (folder / f"{step}-{sys.argv[3]}").touch()
    deadline = time.monotonic() + 60  # another one failed: give up
    while len(list(folder.glob(f"{step}-*"))) < 4:
        if time.monotonic() > deadline:
            sys.exit(f"the others never got to {step}")
        time.sleep(0.0005)

folder = Path(sys.argv[2])
together("ready")
with open_history(sys.argv[1]) as history:
    together("opened")
    print(history.start_scan("Acme", resume_within=timedelta(hours=1)))
"""


def test_processes_that_open_a_new_history_and_start_one_brand_at_once_make_one_scan(
    backend: Backend, tmp_path: Path
) -> None:
    argv = [sys.executable, "-c", STARTER, str(backend.target), str(tmp_path)]
    children = [subprocess.Popen([*argv, str(n)], stdout=subprocess.PIPE, text=True) for n in range(4)]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0] * 4, outputs
    assert len({out.strip() for out in outputs}) == 1, outputs
    assert backend.raw("SELECT COUNT(*) FROM scans") == [(1,)]
    assert backend.version() == SCHEMA_VERSION, "migrated once, by whichever came first"


def write_scan(history: History) -> list[int]:
    """The same scans, whatever the database."""
    ids = []
    for brand in ("Acme", "Globex"):
        scan_id = history.start_scan(brand, resume_within=timedelta(0))
        for n, platform in enumerate(("gamma", "alpha", "beta")):
            checked = datetime(2026, 3, 1, 12, n, 30, 123456, tzinfo=UTC)
            history.record(scan_id, Result(brand.lower(), platform, list(Verdict)[n], None, f"https://{platform}/x",
                                           200 + n, 10 * n, f"evidence {n} ünïcode", checked))  # fmt: skip
        history.record_findings(scan_id, [finding("alpha", f"{brand.lower()}_help", 70), finding("beta", "zz", 70)])
        history.finish_scan(scan_id)
        ids.append(scan_id)
    return ids


def test_the_same_scan_reads_back_the_same_from_sqlite_and_postgresql(tmp_path: Path, pg_url: str) -> None:
    read: list[object] = []
    for target in (tmp_path / "h.sqlite", pg_url):
        with open_history(target) as history:
            ids = write_scan(history)
        with open_history(target, readonly=True) as history:
            read.append(
                (
                    ids,
                    [history.results(i) for i in ids],
                    [history.findings(i) for i in ids],
                    [
                        [(s.id, s.brand, s.status, s.results, s.findings) for s in history.scans(b)]
                        for b in ("acme", "GLOBEX")
                    ],
                    [(b.brand, b.scans, b.complete) for b in history.brands()],
                    history.fresh("alpha", "acme", timedelta(days=36500)),
                )
            )
    assert read[0] == read[1]


# --- PostgreSQL: what can go wrong, each one line, the password masked --------------------------------


def one_line(error: HandlecheckError, secret: str = "") -> str:
    text = str(error)
    assert "\n" not in text and (not secret or secret not in text), text
    return text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once it is closed


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@needs_psycopg
def test_a_server_that_is_down_or_silent_is_one_line(silent_server: int, capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    with pytest.raises(StorageError) as caught:
        open_history(f"postgresql://team:s3cret@127.0.0.1:{port}/history")
    assert one_line(caught.value, "s3cret") == (
        f"cannot open the history postgresql://team:***@127.0.0.1:{port}/history: the server is not reachable "
        "(connection refused: is PostgreSQL running there, on that port?)"
    )
    url = f"postgres://team@127.0.0.1:{silent_server}/history?connect_timeout=2&password=s3cret"
    with pytest.raises(StorageError) as caught:
        open_history(url, readonly=True)
    assert one_line(caught.value, "s3cret") == (
        f"cannot open the history postgres://team@127.0.0.1:{silent_server}/history?connect_timeout=2&password=***: "
        "the server is not reachable (no answer within 2 s)"
    )
    for command in (["history"], ["diff", "Acme"], ["runbook", "Acme"]):
        assert main([*command, "--db", f"postgresql://team:s3cret@127.0.0.1:{port}/history"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "s3cret" not in err and "team:***@" in err, err


def test_failed_sign_ins_a_missing_database_and_denied_permissions_are_one_line(
    postgres: PostgresServer,
    pg_url: str,
) -> None:
    database = pg_url.rsplit("/", 1)[1]
    base = f"127.0.0.1:{postgres.port}"
    cases = [
        (postgres.url(database, user=GUARDED_ROLE, password="wrong"), f"postgresql://{GUARDED_ROLE}:***@{base}/"
         f"{database}: password authentication failed for user \"{GUARDED_ROLE}\" (check the user and password"),
        (postgres.url(database, user="nobody", password="wrong"), f"postgresql://nobody:***@{base}/{database}: "
         "authentication failed: role \"nobody\" does not exist (check the user and password"),
        (postgres.url("nowhere", password="pw"), f"postgresql://postgres:***@{base}/nowhere: database \"nowhere\" "
         "does not exist (create it first"),
    ]  # fmt: skip
    postgres.admin("CREATE DATABASE closed_to_guarded", "REVOKE CONNECT ON DATABASE closed_to_guarded FROM PUBLIC")
    try:
        cases.append((postgres.url("closed_to_guarded", user=GUARDED_ROLE, password=GUARDED_PASSWORD),
                      f"postgresql://{GUARDED_ROLE}:***@{base}/closed_to_guarded: permission denied for database "
                      "\"closed_to_guarded\": User does not have CONNECT privilege. (grant the user"))  # fmt: skip
        for url, expected in cases:
            with pytest.raises(StorageError) as caught:
                open_history(url)
            text = one_line(caught.value, url.split(":")[2].split("@")[0])
            assert text.startswith(f"cannot open the history {expected}"), text
    finally:
        postgres.admin("DROP DATABASE closed_to_guarded")
    guarded = postgres.url(database, user=GUARDED_ROLE, password=GUARDED_PASSWORD)
    with open_history(guarded, readonly=True) as history:  # reading needs no right to make tables
        assert history.brands() == []
    with pytest.raises(StorageError) as caught:  # PostgreSQL 15 on: no one but its owner makes tables in public
        open_history(guarded)
    assert one_line(caught.value, GUARDED_PASSWORD) == (
        f"cannot write the history postgresql://{GUARDED_ROLE}:***@{base}/{database}: permission denied for schema "
        "public (grant the user what it needs, or give another --db, or --no-db)"
    )


def test_a_connection_lost_mid_scan_is_a_storage_error_and_keeps_what_was_stored(
    postgres: PostgresServer,
    pg_url: str,
) -> None:
    history = open_history(pg_url)
    scan_id = history.start_scan("Acme", resume_within=HOUR)
    history.record(scan_id, result("alpha"))
    postgres.admin(f"SELECT pg_terminate_backend({history.db.info.backend_pid})")
    for write in (lambda: history.record(scan_id, result("beta")), lambda: history.finish_scan(scan_id)):
        with pytest.raises(StorageError) as caught:
            write()
        assert one_line(caught.value) == (
            f"cannot write the history {pg_url}: the connection to the server was lost (what was stored before it is "
            "kept; check the server)"
        )
    history.close()
    with open_history(pg_url, readonly=True) as again:
        assert [r.platform for r in again.results(scan_id)] == ["alpha"]


def test_text_postgresql_cannot_hold_is_kept_all_the_same(pg_url: str) -> None:
    with open_history(pg_url) as history:
        scan_id = history.start_scan("Acme", resume_within=HOUR)
        history.record(scan_id, replace(result("alpha"), evidence="matched \x00 there"))
        assert history.results(scan_id)[0].evidence == "matched \ufffd there"


def test_without_psycopg_a_url_is_one_line_saying_what_to_install(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['psycopg'] = None\n"  # as where psycopg is not installed
        "from handlecheck.cli import main\n"
        f"assert main(['history', '--db', {str(tmp_path / 'h.sqlite')!r}]) == 0\n"
        "sys.exit(main(['history', '--db', 'postgresql://team:s3cret@127.0.0.1:9/history']))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(
        "handlecheck: error: cannot open the history postgresql://team:***@127.0.0.1:9/history"
    )
    assert run.stderr.endswith("pip install 'handlecheck[postgres]'\n")


# --- the command line, end to end ---------------------------------------------------------------------


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_scan_history_diff_and_runbook_share_a_postgresql_history(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = {"acme"}
    alpha, beta = await sim.site(behave.profiles({"acme"})), await sim.site(behave.profiles(taken := set()))
    platforms = platform_file(profile_entry("alpha", alpha.base), profile_entry("beta", beta.base))
    scan = ["scan", "acme", "--platforms", str(platforms), "--db", pg_url, "--depth", "quick", "--no-progress",
            "--timeout", "5", "--retries", "0", "--format", "json", "-o", str(tmp_path / "out.json"),
            "--evidence", str(tmp_path / "evidence")]  # fmt: skip
    assert await cli(*scan) == 0, capsys.readouterr().err
    taken.add("acme")  # someone took the name on beta
    assert await cli(*scan, "--max-age", "0") == 0, capsys.readouterr().err
    capsys.readouterr()
    assert await cli("history", "ACME", "--db", pg_url, "--format", "json") == 0
    scans = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in scans] == ["done", "done"]
    assert await cli("history", "--db", pg_url) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:3] == ["acme", "2", "2"]
    assert await cli("diff", "acme", "--db", pg_url, "--format", "json") == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert [(c["kind"], c["platform"], c["handle"]) for c in changes] == [("name-taken", "beta", "acme")]
    assert await cli("runbook", "acme", "--db", pg_url, "--format", "json") == 0, capsys.readouterr().err
    assert await cli("history", "globex", "--db", pg_url) == 2
    lists = "handlecheck history lists the brands it has"
    assert capsys.readouterr().err == f"handlecheck: error: no scans of globex in the history {pg_url} ({lists})\n"


async def test_a_scan_whose_connection_is_lost_writes_its_partial_report(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, postgres: PostgresServer, pg_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    gate = asyncio.Event()
    quick, stuck = await sim.site(behave.profiles({"acme"})), await sim.site(behave.gated({"acme"}, gate))
    platforms = platform_file(profile_entry("quick", quick.base), profile_entry("stuck", stuck.base))
    report = tmp_path / "acme.json"
    scan = asyncio.create_task(cli("scan", "acme", "--platforms", str(platforms), "--db", pg_url, "--depth", "quick",
                                   "--no-progress", "--timeout", "30", "--retries", "0", "--format", "json",
                                   "-o", str(report), "--no-evidence"))  # fmt: skip
    backend = Backend("postgresql", pg_url)
    for _ in range(400):
        if "results" in backend.tables() and backend.raw("SELECT COUNT(*) FROM results")[0][0]:
            break
        await asyncio.sleep(0.05)
    database = pg_url.rsplit("/", 1)[1]
    postgres.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' "
                   "AND pid <> pg_backend_pid()")  # fmt: skip
    gate.set()
    assert await asyncio.wait_for(scan, timeout=60) == 3
    err = capsys.readouterr().err
    assert err.endswith(f"{pg_url}: the connection to the server was lost (what was stored before it is kept; "
                        "check the server); partial reports written for 1 brand\n"), err  # fmt: skip
    assert json.loads(report.read_text())["results"], "what was gathered is in the report"
    with open_history(pg_url, readonly=True) as history:
        assert history.scans("acme")[0].results >= 1, "what was committed stays"
