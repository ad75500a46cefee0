"""The history database's tables: the migrations that make them, and the check that a database
really holds them. Another program's database is refused, never added to, and one whose
version number looks right but whose tables are not handlecheck's is refused as well.

The migrations are one sequence for every database: SQL in the dialect SQLite and PostgreSQL
both speak (a `Store` translates what it must, such as an auto-increment key), and, where SQL
cannot say it, a Python step run after the version's SQL (`FILLS`) on either.

Version 2 keeps each scan's `brand_key` (see `text.brand_key`; filled in by Python), so a brand
is found whatever its case or accents. Version 3 keeps where each scan's evidence is (the folder,
and each finding's archive and payload hash) and which alerts went where (`alerts_sent`: a target
is the SHA-256 of its URL, which may hold a secret). A version 1 database opened read-only is not
migrated; it is read as it is, and `History` works the keys out from the names."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache

from ..errors import ConfigError
from ..text import brand_key, printable
from .backend import Store

SCHEMA_VERSION = 3
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
    2: """
    ALTER TABLE scans ADD COLUMN brand_key TEXT NOT NULL DEFAULT '';
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


def _fill_brand_keys(store: Store) -> None:
    rows = store.query("SELECT id, brand FROM scans")
    store.execute_many("UPDATE scans SET brand_key = ? WHERE id = ?", [(brand_key(brand), id_) for id_, brand in rows])


FILLS: dict[int, Callable[[Store], None]] = {2: _fill_brand_keys}


def own(store: Store) -> str:
    return f"give handlecheck its own {store.unit} with --db"


def prepare(store: Store, *, migrate: bool) -> int:
    """Check that `store` is a handlecheck history (bringing it up to SCHEMA_VERSION first when
    `migrate`), all in one transaction, so a process that is migrating the same database at that
    moment is never mistaken for another program. A database that is not a history is a
    one-line ConfigError naming it; the driver's errors (a full disk, a read-only file) pass
    through. Returns the schema version (SCHEMA_VERSION once migrated)."""
    with store.transaction(write=migrate):
        version = store.version()
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"not a handlecheck history database (schema version {version} is newer than this handlecheck: "
                "upgrade handlecheck)",
                source=store.location,
            )
        if version == 0 and (foreign := store.tables()):
            raise ConfigError(
                f"another program's {store.kind} (tables: {_names(foreign)}); {own(store)}", source=store.location
            )
        if version:  # checked before it is migrated, too: a migration may assume its tables
            _refuse_problems(store, version)
        if migrate:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        store.execute(store.ddl(statement))
                if fill := FILLS.get(target):
                    fill(store)
                store.set_version(target)
            version = SCHEMA_VERSION
        _refuse_problems(store, version or SCHEMA_VERSION)
        return version


def _refuse_problems(store: Store, version: int) -> None:
    if problems := _problems(store, version):
        raise ConfigError(
            f"not a handlecheck history database ({'; '.join(problems)}); {own(store)}", source=store.location
        )


def _problems(store: Store, version: int) -> list[str]:
    """How the tables in `store` differ from those the migrations up to `version` make (extra
    tables and columns are fine)."""
    expected = _expected_columns(version)
    found = {table: store.columns(table) for table in expected}
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
    scratch SQLite database (whichever database is checked), so the migrations stay the one
    description of the schema."""
    scratch = sqlite3.connect(":memory:")
    try:
        for target in range(1, version + 1):
            scratch.executescript(MIGRATIONS[target])
        tables = [
            row[0] for row in scratch.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        ]
        return {
            str(table): tuple(str(row[1]) for row in scratch.execute("SELECT * FROM pragma_table_info(?)", (table,)))
            for table in tables
        }
    finally:
        scratch.close()


def _plural(word: str, names: list[str]) -> str:
    return word if len(names) == 1 else word + "s"


def _names(names: list[str]) -> str:
    shown = ", ".join(printable(name, 40) for name in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")
