"""The history on a PostgreSQL server (`--db postgresql://user@host:port/dbname`), so that a team
shares one: the same tables and migrations as the SQLite file, in the database's current schema,
its version in a table of its own (`handlecheck_schema`).

Each result is committed as it is written, as in SQLite. A write transaction (a migration, the
start of a scan) first takes a transaction-level advisory lock, so two coordinators that open
one database at once never migrate it twice nor begin two scans of one brand; a lock waited on
for a minute is an error, as SQLite's busy timeout is. A reading command's session is read-only,
and an empty database reads as an empty history, no table made in it.

Every failure is one line that names the URL with its password masked: a server that cannot be
reached (refused, or no answer within `connect_timeout`, 10 s unless the URL or
$PGCONNECT_TIMEOUT says otherwise), a failed sign-in, a missing database, a permission denied,
a connection lost mid-scan (what was committed before stays). This module needs psycopg; it is
imported only when a URL is used."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ..errors import InputError, StorageError
from ..text import printable
from .backend import BUSY_SECONDS, ELSEWHERE, Row, Store
from .schema import prepare
from .sqlite import memory_store
from .urls import masked

CONNECT_SECONDS = 10
LOCK_KEY = 0x68616E64_6C65  # "handle": the advisory lock every write transaction of a history takes
VERSION_TABLE = "handlecheck_schema"
_SERIAL_KEY = re.compile(r"\bINTEGER PRIMARY KEY\b", re.IGNORECASE)
_LOST = ("08", "57P01", "57P02", "57P03")  # connection exceptions; the server shutting down
_IN_SCHEMA = "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"


class PostgresStore:
    kind = "PostgreSQL database"
    unit = "database"
    stand_in = False

    def __init__(self, conn: psycopg.Connection[Row], location: str) -> None:
        self.conn = conn
        self.location = location
        self._closed = False

    @property
    def raw(self) -> psycopg.Connection[Row]:
        return self.conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.conn.execute(_dialect(sql), _values(params))

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_dialect(sql), [_values(row) for row in rows])

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self.conn.execute(_dialect(sql), _values(params)).fetchall()

    def insert(self, sql: str, params: Sequence[object]) -> int:
        row = self.conn.execute(_dialect(sql) + " RETURNING id", _values(params)).fetchone()
        return int(row[0]) if row else 0

    def time(self, expression: str) -> str:
        return f"CAST({expression} AS timestamptz)"

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        with self.conn.transaction():
            if write:
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            yield

    @contextmanager
    def guard(self, verb: str) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            if self._closed:  # used after close(): a programming error, as in SQLite
                raise
            raise self.failure(exc, verb) from None

    def failure(self, exc: psycopg.Error, verb: str) -> StorageError:
        """The one line for an error the server or the connection gave."""
        state = exc.sqlstate or ""
        if self.conn.broken or state.startswith(_LOST):
            why = "the connection to the server was lost (what was stored before it is kept; check the server)"
        elif state == "25006":
            why = "the database is read-only (give a writable --db, or --no-db)"
        elif state == "42501":
            why = f"{_reason(exc)} (grant the user what it needs, or {ELSEWHERE})"
        elif state == "53100":
            why = f"the server's disk is full (free some space there, or {ELSEWHERE})"
        elif state == "55P03":
            why = "another program has kept it locked for a minute (try again once it is done, or give another --db)"
        else:
            why = f"{_reason(exc)} ({ELSEWHERE})"
        return StorageError(f"cannot {verb} the history {self.location}: {why}")

    def version(self) -> int:
        if not self.query(f"SELECT 1 FROM pg_class c {_IN_SCHEMA} AND c.relname = ?", (VERSION_TABLE,)):
            return 0
        ((version,),) = self.query(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}")
        return int(version)

    def set_version(self, version: int) -> None:
        self.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
        self.execute(f"DELETE FROM {VERSION_TABLE}")
        self.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (version,))

    def tables(self) -> list[str]:
        rows = self.query(
            f"SELECT c.relname FROM pg_class c {_IN_SCHEMA} AND c.relkind IN ('r', 'p') AND c.relname <> ? "
            "ORDER BY c.oid",
            (VERSION_TABLE,),
        )
        return [str(row[0]) for row in rows]

    def columns(self, table: str) -> tuple[str, ...]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return tuple(str(row[0]) for row in rows)

    def ddl(self, statement: str) -> str:
        return _SERIAL_KEY.sub("INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)

    def close(self) -> None:
        self._closed = True
        self.conn.close()


def open_postgres(url: str, *, readonly: bool) -> tuple[Store, int]:
    """The history in the database at `url`, checked (and, unless `readonly`, migrated), with its
    schema version. `readonly` changes nothing: an empty database reads as an empty history."""
    location = masked(url)
    try:
        settings = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise InputError(f"cannot open history database {location}: {_reason(exc)}") from None
    given = settings.get("connect_timeout") or os.environ.get("PGCONNECT_TIMEOUT")
    timeout = given or CONNECT_SECONDS
    try:
        conninfo = url if given else make_conninfo(url, connect_timeout=CONNECT_SECONDS)
        conn = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise StorageError(f"cannot open the history {location}: {_unreachable(exc, timeout)}") from None
    store = PostgresStore(conn, location)
    try:
        with store.guard("read" if readonly else "write"):
            conn.execute(f"SET lock_timeout = '{BUSY_SECONDS}s'")
            conn.execute("SET TIME ZONE 'UTC'")  # a time stored without its offset is in UTC, as in SQLite
            if readonly:
                conn.execute("SET default_transaction_read_only = on")
                if store.version() == 0 and not store.tables():  # nothing yet: read as empty, make nothing
                    store.close()
                    return memory_store(location)
            return store, prepare(store, migrate=not readonly)
    except BaseException:
        store.close()
        raise


def _unreachable(exc: psycopg.Error, timeout: object) -> str:
    """Why a connection could not be made, in a few words and the server's own."""
    reason = _reason(exc)
    lowered = reason.lower()
    if "connection refused" in lowered:
        return "the server is not reachable (connection refused: is PostgreSQL running there, on that port?)"
    if "timeout expired" in lowered:
        return f"the server is not reachable (no answer within {timeout} s)"
    if "resolve host" in lowered or "translate host name" in lowered:
        return f"the server is not reachable ({reason})"
    if "authentication failed" in lowered or "password" in lowered or ("role" in lowered and "exist" in lowered):
        said = reason if "authentication failed" in lowered else f"authentication failed: {reason}"
        return f"{said} (check the user and password in the URL, ~/.pgpass, or the server's pg_hba.conf)"
    if "database" in lowered and "does not exist" in lowered:
        return f"{reason} (create it first, e.g. with createdb, or {ELSEWHERE})"
    if "permission denied" in lowered:
        return f"{reason} (grant the user what it needs, or {ELSEWHERE})"
    return reason


def _reason(exc: psycopg.Error) -> str:
    """The server's or libpq's message in one line: its first line, without the "connection to
    server at ... failed:" and "FATAL:" in front, and the DETAIL that says more, if any."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0].rsplit(" failed: ", 1)[-1] if lines else type(exc).__name__
    first = first.removeprefix("FATAL:").removeprefix("fe_sendauth:").strip()
    detail = next((line.removeprefix("DETAIL:").strip() for line in lines[1:] if line.startswith("DETAIL:")), "")
    return printable(f"{first}: {detail}" if detail else first, 200)


def _dialect(sql: str) -> str:
    """SQL written with ? placeholders in psycopg's %s style (a % of its own doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _values(params: Sequence[object]) -> tuple[object, ...]:
    """Parameters as PostgreSQL can hold them: its text has no NUL character, so one in scraped
    text is stored as U+FFFD."""
    return tuple(value.replace("\x00", "\ufffd") if isinstance(value, str) else value for value in params)
