"""Rows kept on disk until the end of a run, then read back in order: a run over 100,000 brands
keeps each brand's summary line here, not in memory."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from types import TracebackType

from ..errors import StorageError


class SortedSpool:
    """Rows of text cells with a sort key, in a private temporary SQLite database that SQLite
    deletes when it is closed. Each pass over it reads the rows again, by key then by arrival."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary database on disk, not in memory
        self._db.execute("CREATE TABLE rows (key TEXT NOT NULL, cells TEXT NOT NULL)")
        self._count = 0

    def add(self, key: str, cells: Sequence[str]) -> None:
        try:
            self._db.execute("INSERT INTO rows VALUES (?, ?)", (key, json.dumps(list(cells))))
        except sqlite3.Error as exc:
            raise StorageError(f"cannot keep the summary of the run in a temporary file: {exc}") from None
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[list[str]]:
        for (cells,) in self._db.execute("SELECT cells FROM rows ORDER BY key, rowid"):
            yield json.loads(cells)

    def __enter__(self) -> SortedSpool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._db.close()
