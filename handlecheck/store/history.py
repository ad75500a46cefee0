"""Scan history in SQLite: every result and finding, written as it arrives.

WAL mode and one commit per result: a run killed outright loses at most the checks in flight,
and the file is never left corrupt. A busy timeout lets two processes share one database.
An interrupted scan is resumed under the same id; conclusive answers younger than `max_age`
are recalled instead of asked again.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..domain import Finding
from ..errors import ConfigError, InputError
from ..models import Reason, Result, Verdict

SCHEMA_VERSION = 1
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
}


def default_path() -> Path:
    """The user's data directory ($XDG_DATA_HOME or ~/.local/share), handlecheck/history.sqlite."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "handlecheck" / "history.sqlite"


@dataclass(frozen=True, slots=True)
class ScanRecord:
    id: int
    brand: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    results: int
    findings: int


@dataclass(frozen=True, slots=True)
class StoredFinding:
    platform: str
    handle: str
    classification: str
    risk: int
    url: str | None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class History:
    """One SQLite file of scans. Use as a context manager; not shared across threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(f"cannot open history database {path}: {exc}") from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=60000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise ConfigError(f"not a handlecheck history database ({exc})", source=str(path)) from None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this handlecheck")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if self.db.execute("PRAGMA user_version").fetchone()[0] < target:  # another process may have won
                    for statement in MIGRATIONS[target].split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {target}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # --- writing ---------------------------------------------------------------------------

    def start_scan(self, brand: str, *, resume_within: timedelta) -> int:
        """A new scan id, or the id of this brand's unfinished scan when it is recent enough."""
        since = (datetime.now(UTC) - resume_within).isoformat()
        row = self.db.execute(
            "SELECT id FROM scans WHERE brand = ? AND status = 'running' AND started_at >= ? "
            "ORDER BY started_at DESC LIMIT 1",
            (brand, since),
        ).fetchone()
        if row is not None:
            return int(row[0])
        cursor = self.db.execute(
            "INSERT INTO scans (brand, started_at) VALUES (?, ?)", (brand, datetime.now(UTC).isoformat())
        )
        return int(cursor.lastrowid or 0)

    def record(self, scan_id: int, result: Result) -> None:
        """Store one result now (its own transaction), once per (scan, platform, handle)."""
        self.db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, result.platform, result.handle, result.verdict.value,
             result.reason.value if result.reason else None, result.url, result.http_status, result.elapsed_ms,
             result.evidence, result.checked_at.isoformat()),
        )  # fmt: skip

    def record_findings(self, scan_id: int, findings: Sequence[Finding]) -> None:
        with self._transaction():
            for f in findings:
                self.db.execute(
                    "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (scan_id, f.platform, f.handle, f.classification.value, f.risk, f.url, json.dumps(f.reasons),
                     f.seen_at.isoformat()),
                )  # fmt: skip

    def finish_scan(self, scan_id: int, status: str = "done") -> None:
        self.db.execute(
            "UPDATE scans SET finished_at = ?, status = ? WHERE id = ?",
            (datetime.now(UTC).isoformat(), status, scan_id),
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ---------------------------------------------------------------------------

    def fresh(self, platform: str, handle: str, max_age: timedelta) -> Result | None:
        """The newest conclusive answer about (platform, handle) younger than max_age."""
        since = (datetime.now(UTC) - max_age).isoformat()
        row = self.db.execute(
            "SELECT handle, platform, verdict, reason, url, http_status, elapsed_ms, evidence, checked_at "
            "FROM results WHERE platform = ? AND handle = ? AND checked_at >= ? AND verdict != 'unknown' "
            "ORDER BY checked_at DESC LIMIT 1",
            (platform, handle, since),
        ).fetchone()
        return _result(row) if row else None

    def scans(self, brand: str) -> list[ScanRecord]:
        rows = self.db.execute(
            "SELECT s.id, s.brand, s.started_at, s.finished_at, s.status, "
            "(SELECT COUNT(*) FROM results r WHERE r.scan_id = s.id), "
            "(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) "
            "FROM scans s WHERE s.brand = ? ORDER BY s.started_at DESC, s.id DESC",
            (brand,),
        ).fetchall()
        return [ScanRecord(r[0], r[1], datetime.fromisoformat(r[2]), _time(r[3]), r[4], r[5], r[6]) for r in rows]

    def results(self, scan_id: int) -> list[Result]:
        rows = self.db.execute(
            "SELECT handle, platform, verdict, reason, url, http_status, elapsed_ms, evidence, checked_at "
            "FROM results WHERE scan_id = ? ORDER BY platform, handle",
            (scan_id,),
        ).fetchall()
        return [_result(row) for row in rows]

    def findings(self, scan_id: int) -> list[StoredFinding]:
        rows = self.db.execute(
            "SELECT platform, handle, classification, risk, url FROM findings WHERE scan_id = ? "
            "ORDER BY risk DESC, platform, handle",
            (scan_id,),
        ).fetchall()
        return [StoredFinding(*row) for row in rows]

    def count_results(self, scan_id: int) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM results WHERE scan_id = ?", (scan_id,)).fetchone()[0])


def _result(row: Sequence[Any]) -> Result:
    handle, platform, verdict, reason, url, status, elapsed, evidence, checked = row
    return Result(
        handle=handle,
        platform=platform,
        verdict=Verdict(verdict),
        reason=Reason(reason) if reason else None,
        url=url,
        http_status=status,
        elapsed_ms=elapsed or 0,
        evidence=evidence or "",
        checked_at=datetime.fromisoformat(checked),
    )
