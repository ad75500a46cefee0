"""What the history needs of a database, whichever holds it: `Store`, met by the SQLite file
(`sqlite`) and the PostgreSQL server (`postgres`). Everything the two SQL dialects do
differently lives behind it: placeholders, new row ids, comparing stored times, transactions
and their locks, the schema version's home, and what the driver's errors mean.

`History` writes its SQL once, in the dialect both speak, with `?` placeholders; times are
stored as ISO 8601 text and compared as times through `Store.time`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]
ELSEWHERE = "give another --db, or --no-db"
BUSY_SECONDS = 60  # how long a write waits for another process's write to end


class Store(Protocol):
    """One open history database. Not shared across threads."""

    location: str  # how messages name it: the file's path, or the URL with its password masked
    kind: str  # "SQLite database", "PostgreSQL database": what another program's one is called
    unit: str  # "file", "database": what handlecheck should be given of its own
    stand_in: bool  # an empty in-memory history for one that does not exist yet (read, never made)

    @property
    def raw(self) -> Any:
        """The driver's own connection, for code that knows which database it is."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> None: ...

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    def insert(self, sql: str, params: Sequence[object]) -> int:
        """Run an INSERT into a table with an `id` key; the new row's id."""

    def time(self, expression: str) -> str:
        """SQL for the ISO 8601 text `expression` as a time that compares and sorts as one."""

    def transaction(self, *, write: bool = True) -> AbstractContextManager[None]:
        """A transaction; a `write` one is one process's at a time (no two scans of one brand
        begun at once, no two migrations)."""

    def guard(self, verb: str) -> AbstractContextManager[None]:
        """The driver's errors in the block as one-line StorageErrors ("cannot `verb` the
        history ..."); a closed history, a programming error, stays what it is."""

    def version(self) -> int:
        """The schema version the database is at (0: none, a new or another program's database)."""

    def set_version(self, version: int) -> None: ...

    def tables(self) -> list[str]:
        """The tables, in the order they were made (the schema version's own table aside)."""

    def columns(self, table: str) -> tuple[str, ...]:
        """The table's columns in order; () when there is no such table."""

    def ddl(self, statement: str) -> str:
        """A migration's statement (written for SQLite) as this database says it."""

    def close(self) -> None: ...
