"""The history in a SQLite file: the `Store` that `History` uses by default.

WAL mode: a run killed outright loses at most the checks in flight, and the file is never left
corrupt. A busy timeout lets two processes share one file, and a write transaction (BEGIN
IMMEDIATE) is one process's at a time. Times compare through julianday(), to the millisecond.

A file that cannot be stored to (a full disk, a read-only file, folder or file system) is a
one-line `StorageError`; a file that is not a handlecheck history is a one-line `ConfigError`.
Reading commands open the file read-only, so a history on a read-only mount can still be read,
and a missing file reads as an empty history (in memory: no file is made for it)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError, InputError, StorageError
from ..files import storage_error
from ..text import printable
from .backend import BUSY_SECONDS, ELSEWHERE, Row
from .schema import own, prepare


class SqliteStore:
    kind = "SQLite database"
    unit = "file"

    def __init__(self, db: sqlite3.Connection, path: Path | None, location: str, *, stand_in: bool = False) -> None:
        self.db = db
        self.path = path  # None in memory
        self.location = location
        self.stand_in = stand_in

    @property
    def raw(self) -> sqlite3.Connection:
        return self.db

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.db.execute(sql, params)

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.db.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return [tuple(row) for row in self.db.execute(sql, params).fetchall()]

    def insert(self, sql: str, params: Sequence[object]) -> int:
        return int(self.db.execute(sql, params).lastrowid or 0)

    def time(self, expression: str) -> str:
        return f"julianday({expression})"

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:  # sqlite may have rolled back itself (a full disk)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def guard(self, verb: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            failure = _storage_error(exc, verb, self.path, self.location)
            detail = f"cannot {verb} the history {self.location}: {printable(str(exc), 200)} ({ELSEWHERE})"
            raise failure or StorageError(detail) from None

    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def tables(self) -> list[str]:
        rows = self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY rowid"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def columns(self, table: str) -> tuple[str, ...]:
        return tuple(str(row[1]) for row in self.db.execute("SELECT * FROM pragma_table_info(?)", (table,)))

    def ddl(self, statement: str) -> str:
        return statement  # the migrations are written for SQLite

    def close(self) -> None:
        self.db.close()


def open_sqlite(path: Path, *, readonly: bool) -> tuple[SqliteStore, int]:
    """The history file at `path`, checked (and, unless `readonly`, made and migrated), with its
    schema version. `readonly` neither creates nor changes the file."""
    verb = "read" if readonly else "write"
    if not readonly:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error("the history", path, exc) from None
    if readonly and not path.exists():  # no history yet: an empty one, and no file made for it
        return memory_store(str(path))
    try:
        db = _open_readonly(path) if readonly else _connect(str(path))
    except sqlite3.Error as exc:
        failure = _storage_error(exc, verb, path, str(path))
        raise failure or InputError(f"cannot open history database {path}: {exc}") from None
    store = SqliteStore(db, path, str(path))
    try:
        if not readonly:
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
        return store, prepare(store, migrate=not readonly)
    except sqlite3.DatabaseError as exc:
        db.close()
        failure = _storage_error(exc, verb, path, str(path))
        reason = f"not a handlecheck history database ({printable(str(exc), 200)}); {own(store)}"
        raise failure or ConfigError(reason, source=str(path)) from None
    except BaseException:
        db.close()
        raise


def memory_store(location: str) -> tuple[SqliteStore, int]:
    """An empty history in memory, standing in for one at `location` that does not exist yet."""
    store = SqliteStore(_connect(":memory:"), None, location, stand_in=True)
    return store, prepare(store, migrate=True)


def _storage_error(exc: sqlite3.Error, verb: str, path: Path | None, location: str) -> StorageError | None:
    """The one-line StorageError for a sqlite error that means the file cannot be stored to
    or reached (a full disk, a read-only file or folder or file system, an I/O error, a lock
    held too long); None for any other error."""
    code = _code(exc)
    readonly = _read_only(path) if path is not None else None
    if code == sqlite3.SQLITE_FULL:
        why = f"the disk is full (free some space, or {ELSEWHERE})"
    elif code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR) and readonly:
        why = f"{readonly} (give a writable --db, or --no-db)"
    elif code == sqlite3.SQLITE_READONLY:
        why = "the database is read-only (give a writable --db, or --no-db)"
    elif code == sqlite3.SQLITE_IOERR:
        why = f"disk I/O error (check the disk, or {ELSEWHERE})"
    elif code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        why = "another program has kept it locked for a minute (try again once it is done, or give another --db)"
    else:
        return None
    return StorageError(f"cannot {verb} the history {location}: {why}")


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(target, timeout=BUSY_SECONDS, isolation_level=None, uri=uri)


def _open_readonly(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro"
    db = _connect(uri, uri=True)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        if _code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
            raise
    # A WAL database whose folder is read-only (a read-only mount) cannot make its
    # shared-memory file; nothing can be writing to it there, so it is read as immutable.
    return _connect(uri + "&immutable=1", uri=True)


def _use_wal(db: sqlite3.Connection) -> None:
    """Write-ahead logging, waiting (as long as a write would) while another process has the file
    busy: switching a file to WAL needs it whole for a moment, and when two processes open one
    new file at once, SQLite can answer "busy" at once, without its busy timeout."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if _code(exc) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _code(exc: sqlite3.Error) -> int:
    """sqlite's primary result code for an error it raised (0 for one Python raised)."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _read_only(path: Path) -> str | None:
    """Why `path` cannot be written, when it cannot: a read-only file system, or no permission."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "the file system is read-only"
    except OSError:
        return None
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "no permission to write the file or its folder"
    return None
