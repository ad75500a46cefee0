"""The history database's tables: the migrations that make them, and the check that a file
really holds them. Another program's SQLite file is refused, never added to, and a file whose
version number looks right but whose tables are not handlecheck's is refused as well.

Version 2 keeps each scan's `brand_key` (see `text.brand_key`), so a brand is found whatever
its case or accents. Version 3 keeps where each scan's evidence is (the folder, and each
finding's archive and payload hash) and which alerts went where (`alerts_sent`: a target is the
SHA-256 of its URL, which may hold a secret). A version 1 file opened read-only is not migrated; it is read as it is,
and `History` computes the key as it queries (the SQL function `handlecheck_brand_key`)."""

from __future__ import annotations

import sqlite3
from functools import cache

from ..errors import ConfigError
from ..text import brand_key, printable

SCHEMA_VERSION = 3
KEY_FUNCTION = "handlecheck_brand_key"
MIGRATIONS = {
    1: """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        brand TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running'
    );
    CREATE INDEX scans_by_brand ON scans (brand, started_at);
    CREATE TABLE results (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        platform TEXT NOT NULL,
        handle TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reason TEXT,
        url TEXT,
        http_status INTEGER,
        elapsed_ms INTEGER,
        evidence TEXT,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (scan_id, platform, handle)
    );
    CREATE INDEX results_fresh ON results (platform, handle, checked_at);
    CREATE TABLE findings (
        scan_id INTEGER NOT NULL REFERENCES scans (id),
        platform TEXT NOT NULL,
        handle TEXT NOT NULL,
        classification TEXT NOT NULL,
        risk INTEGER NOT NULL,
        url TEXT,
        reasons TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (scan_id, platform, handle)
    );
    """,
    2: f"""
    ALTER TABLE scans ADD COLUMN brand_key TEXT NOT NULL DEFAULT '';
    UPDATE scans SET brand_key = {KEY_FUNCTION}(brand);
    DROP INDEX scans_by_brand;
    CREATE INDEX scans_by_key ON scans (brand_key, started_at);
    """,
    3: """
    ALTER TABLE scans ADD COLUMN evidence_dir TEXT;
    ALTER TABLE findings ADD COLUMN archive TEXT;
    ALTER TABLE findings ADD COLUMN payload_sha256 TEXT;
    ALTER TABLE findings ADD COLUMN captured_at TEXT;
    CREATE TABLE alerts_sent (
        target TEXT NOT NULL,
        alert_key TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (target, alert_key)
    );
    """,
}
OWN_FILE = "give handlecheck its own file with --db"


def prepare(db: sqlite3.Connection, source: str, *, migrate: bool) -> int:
    """Check that `db` is a handlecheck history (bringing it up to SCHEMA_VERSION first when
    `migrate`), all in one transaction, so a process that is migrating the same file at that
    moment is never mistaken for another program. A file that is not a history is a one-line
    ConfigError naming `source`; sqlite errors (a full disk, a read-only file) pass through.
    Returns the file's schema version (SCHEMA_VERSION once migrated)."""
    add_functions(db)
    db.execute("BEGIN IMMEDIATE" if migrate else "BEGIN")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"not a handlecheck history database (schema version {version} is newer than this handlecheck: "
                "upgrade handlecheck)",
                source=source,
            )
        if version == 0 and (foreign := _tables(db)):
            raise ConfigError(
                f"another program's SQLite database (tables: {_names(foreign)}); {OWN_FILE}", source=source
            )
        if version:  # checked before it is migrated, too: a migration may assume its tables
            _refuse_problems(db, version, source)
        if migrate:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")
            version = SCHEMA_VERSION
        _refuse_problems(db, version or SCHEMA_VERSION, source)
        db.execute("COMMIT")
        return int(version)
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def add_functions(db: sqlite3.Connection) -> None:
    """The SQL functions the migrations and the queries use."""
    db.create_function(KEY_FUNCTION, 1, brand_key, deterministic=True)


def _refuse_problems(db: sqlite3.Connection, version: int, source: str) -> None:
    if problems := _problems(db, version):
        raise ConfigError(f"not a handlecheck history database ({'; '.join(problems)}); {OWN_FILE}", source=source)


def _problems(db: sqlite3.Connection, version: int) -> list[str]:
    """How the tables in `db` differ from those the migrations up to `version` make (extra
    tables and columns are fine)."""
    expected = _expected_columns(version)
    found = {table: _columns(db, table) for table in expected}
    missing = [table for table, columns in found.items() if not columns]
    problems = [f"no {_plural('table', missing)} {_names(missing)}"] if missing else []
    for table, columns in found.items():
        lacking = [column for column in expected[table] if columns and column not in columns]
        if lacking:
            problems.append(f"table {table} lacks {_plural('column', lacking)} {_names(lacking)}")
    return problems


@cache
def _expected_columns(version: int) -> dict[str, tuple[str, ...]]:
    """Each table's columns as the migrations up to `version` make them: read back from a
    scratch database, so the migrations stay the one description of the schema."""
    scratch = sqlite3.connect(":memory:")
    add_functions(scratch)
    try:
        for target in range(1, version + 1):
            scratch.executescript(MIGRATIONS[target])
        return {table: _columns(scratch, table) for table in _tables(scratch)}
    finally:
        scratch.close()


def _tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _columns(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    return tuple(str(row[1]) for row in db.execute("SELECT * FROM pragma_table_info(?)", (table,)))


def _plural(word: str, names: list[str]) -> str:
    return word if len(names) == 1 else word + "s"


def _names(names: list[str]) -> str:
    shown = ", ".join(printable(name, 40) for name in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")
