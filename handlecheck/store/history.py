"""Scan history in SQLite: every result and finding, written as it arrives.

WAL mode and one commit per result: a run killed outright loses at most the checks in flight,
and the file is never left corrupt. A busy timeout lets two processes share one database.
A brand's scan that began within `max_age` is continued under the same id (resumed when a stop
left it unfinished), and conclusive answers younger than `max_age` are recalled instead of
asked again. Times are stored in UTC and compared as times (julianday, to the millisecond;
"within" a window is strictly younger, so a window of 0 holds nothing), never as text.

A file that cannot be stored to (a full disk, a read-only file, folder or file system) is a
one-line `StorageError`; a file that is not a handlecheck history is a one-line `ConfigError`.
Reading commands open the file read-only, so a history on a read-only mount can still be read.

A brand is found by its `brand_key` (case, accents and spacing do not count), the same way by
every command: `scan Acme` continues a scan of "acme", `history ACMÉ` lists both.
A scan is complete once `finish_scan` marked it done; one a stop interrupted stays `running`
(resumable), and `diff` and `--fail-on` leave it out.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs

from ..domain import Finding
from ..errors import ConfigError, InputError, StorageError
from ..files import storage_error
from ..models import Reason, Result, Verdict
from ..text import brand_key, printable
from .schema import KEY_FUNCTION, OWN_FILE, SCHEMA_VERSION, prepare

ELSEWHERE = "give another --db, or --no-db"
BUSY_SECONDS = 60  # how long a write waits for another process's write to end
DONE = "done"


def default_path() -> Path:
    """handlecheck/history.sqlite in the user's data folder, as the platform has it (platformdirs:
    $XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS, the
    local AppData folder on Windows)."""
    return platformdirs.user_data_path("handlecheck", appauthor=False) / "history.sqlite"


@dataclass(frozen=True, slots=True)
class ScanRecord:
    id: int
    brand: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    results: int
    findings: int

    @property
    def complete(self) -> bool:
        """Finished: not stopped half-way, nor still running."""
        return self.status == DONE


@dataclass(frozen=True, slots=True)
class BrandRecord:
    """One brand in the history: its name as last scanned, its scans, and the newest one's start."""

    brand: str
    scans: int
    complete: int
    last_started: datetime


@dataclass(frozen=True, slots=True)
class StoredFinding:
    platform: str
    handle: str
    classification: str
    risk: int
    url: str | None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _stamp(moment: datetime) -> str:
    """A time as stored: ISO 8601 in UTC (a naive time is taken to be in UTC already)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()


class History:
    """One SQLite file of scans. Use as a context manager; not shared across threads.

    `readonly` is for the commands that only read (`history`, `diff`): the file is neither
    created nor changed, and a missing file reads as an empty history."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        verb = "read" if readonly else "write"
        if not readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise storage_error("the history", self.path, exc) from None
        try:
            self.db = self._open_readonly() if readonly else self._connect(str(self.path))
        except sqlite3.Error as exc:
            failure = self._storage_error(exc, verb)
            raise failure or InputError(f"cannot open history database {path}: {exc}") from None
        try:
            if not readonly:
                _use_wal(self.db)
                self.db.execute("PRAGMA synchronous=NORMAL")
            version = prepare(self.db, str(path), migrate=not readonly)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            failure = self._storage_error(exc, verb)
            reason = f"not a handlecheck history database ({printable(str(exc), 200)}); {OWN_FILE}"
            raise failure or ConfigError(reason, source=str(path)) from None
        except BaseException:
            self.db.close()
            raise
        # How a scan's brand key is read: its column, or worked out from its name in a file of
        # schema version 1 that a reading command opened (and so did not migrate).
        self._key = "brand_key" if version >= SCHEMA_VERSION else f"{KEY_FUNCTION}(brand)"

    @staticmethod
    def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
        return sqlite3.connect(target, timeout=BUSY_SECONDS, isolation_level=None, uri=uri)

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.exists():  # no history yet: an empty one, and no file made for it
            empty = self._connect(":memory:")
            prepare(empty, ":memory:", migrate=True)
            return empty
        uri = self.path.resolve().as_uri() + "?mode=ro"
        db = self._connect(uri, uri=True)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if _code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
                raise
        # A WAL database whose folder is read-only (a read-only mount) cannot make its
        # shared-memory file; nothing can be writing to it there, so it is read as immutable.
        return self._connect(uri + "&immutable=1", uri=True)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _storage_error(self, exc: sqlite3.Error, verb: str) -> StorageError | None:
        """The one-line StorageError for a sqlite error that means the file cannot be stored to
        or reached (a full disk, a read-only file or folder or file system, an I/O error, a lock
        held too long); None for any other error."""
        code = _code(exc)
        readonly = _read_only(self.path)
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
        return StorageError(f"cannot {verb} the history {self.path}: {why}")

    @contextmanager
    def _storing(self, verb: str) -> Iterator[None]:
        """Any sqlite failure in the block as a one-line StorageError (a closed history, a
        programming error, stays what it is)."""
        try:
            yield
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            failure = self._storage_error(exc, verb)
            detail = f"cannot {verb} the history {self.path}: {printable(str(exc), 200)} ({ELSEWHERE})"
            raise failure or StorageError(detail) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:  # sqlite may have rolled back itself (a full disk)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- writing ---------------------------------------------------------------------------

    def start_scan(self, brand: str, *, resume_within: timedelta) -> int:
        """The scan to record `brand` into: its latest scan when that began within
        `resume_within`, else a new one. An unfinished scan is resumed; a finished one is
        continued (its answers are still fresh, so they are recalled, not asked again), so a
        rerun of a stopped run adds no second scan of a brand the first one had finished, and
        `diff` never compares a brand with a copy of itself."""
        now = datetime.now(UTC)
        with self._storing("write"), self._transaction():  # one process at a time: no twin scans
            row = self.db.execute(
                "SELECT id FROM scans WHERE brand_key = ? AND julianday(started_at) > julianday(?) "
                "ORDER BY julianday(started_at) DESC, id DESC LIMIT 1",
                (brand_key(brand), _stamp(now - resume_within)),
            ).fetchone()
            if row is not None:  # written to now, so a history that cannot be fails before the scan does
                self.db.execute("UPDATE scans SET finished_at = finished_at WHERE id = ?", (row[0],))
                return int(row[0])
            cursor = self.db.execute(
                "INSERT INTO scans (brand, brand_key, started_at) VALUES (?, ?, ?)",
                (brand, brand_key(brand), _stamp(now)),
            )
            return int(cursor.lastrowid or 0)

    def record(self, scan_id: int, result: Result) -> None:
        """Store one result now (its own transaction), once per (scan, platform, handle)."""
        with self._storing("write"):
            self.db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scan_id, result.platform, result.handle, result.verdict.value,
                 result.reason.value if result.reason else None, result.url, result.http_status, result.elapsed_ms,
                 result.evidence, _stamp(result.checked_at)),
            )  # fmt: skip

    def record_findings(self, scan_id: int, findings: Sequence[Finding]) -> None:
        with self._storing("write"), self._transaction():
            for f in findings:
                kept = f.evidence
                self.db.execute(
                    "INSERT OR REPLACE INTO findings (scan_id, platform, handle, classification, risk, url, reasons, "
                    "seen_at, archive, payload_sha256, captured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (scan_id, f.platform, f.handle, f.classification.value, f.risk, f.url, json.dumps(f.reasons),
                     _stamp(f.seen_at), kept and str(Path(kept.folder) / kept.archive), kept and kept.payload_sha256,
                     kept and _stamp(kept.captured_at)),
                )  # fmt: skip
            if folders := {f.evidence.folder for f in findings if f.evidence}:
                self.db.execute("UPDATE scans SET evidence_dir = ? WHERE id = ?", (min(folders), scan_id))

    def unsent(self, target: str, keys: Sequence[str]) -> list[str]:
        """Of the alert `keys`, those not yet sent to `target` (a hash of its URL), in order."""
        with self._storing("read"):
            sent = {row[0] for row in self.db.execute("SELECT alert_key FROM alerts_sent WHERE target = ?", (target,))}
        return [key for key in keys if key not in sent]

    def mark_sent(self, target: str, keys: Sequence[str]) -> None:
        """Remember that the alerts `keys` reached `target`: they are not sent there again."""
        now = _stamp(datetime.now(UTC))
        with self._storing("write"), self._transaction():
            self.db.executemany("INSERT OR IGNORE INTO alerts_sent VALUES (?, ?, ?)", ((target, k, now) for k in keys))

    def finish_scan(self, scan_id: int, status: str = DONE) -> None:
        with self._storing("write"):
            self.db.execute(
                "UPDATE scans SET finished_at = ?, status = ? WHERE id = ?",
                (_stamp(datetime.now(UTC)), status, scan_id),
            )

    # --- reading ---------------------------------------------------------------------------

    def fresh(self, platform: str, handle: str, max_age: timedelta) -> Result | None:
        """The newest conclusive answer about (platform, handle) younger than max_age."""
        with self._storing("read"):
            row = self.db.execute(
                "SELECT handle, platform, verdict, reason, url, http_status, elapsed_ms, evidence, checked_at "
                "FROM results WHERE platform = ? AND handle = ? AND verdict != 'unknown' "
                "AND julianday(checked_at) > julianday(?) ORDER BY julianday(checked_at) DESC, rowid DESC LIMIT 1",
                (platform, handle, _stamp(datetime.now(UTC) - max_age)),
            ).fetchone()
        return _result(row) if row else None

    def scans(self, brand: str) -> list[ScanRecord]:
        """The brand's scans (by `brand_key`), newest first."""
        with self._storing("read"):
            rows = self.db.execute(
                "SELECT s.id, s.brand, s.started_at, s.finished_at, s.status, "
                "(SELECT COUNT(*) FROM results r WHERE r.scan_id = s.id), "
                "(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) "
                f"FROM scans s WHERE {self._key} = ? ORDER BY julianday(s.started_at) DESC, s.id DESC",
                (brand_key(brand),),
            ).fetchall()
        return [ScanRecord(r[0], r[1], datetime.fromisoformat(r[2]), _time(r[3]), r[4], r[5], r[6]) for r in rows]

    def brands(self) -> list[BrandRecord]:
        """Every brand with a scan, by name (case and accents aside)."""
        with self._storing("read"):
            rows = self.db.execute(  # sqlite takes the bare columns from the row of the one max()
                f"SELECT {self._key} AS k, brand, started_at, COUNT(*), SUM(status = ?), "
                "MAX(julianday(started_at)) FROM scans GROUP BY k ORDER BY k",
                (DONE,),
            ).fetchall()
        return [BrandRecord(r[1], r[3], r[4], datetime.fromisoformat(r[2])) for r in rows]

    def results(self, scan_id: int) -> list[Result]:
        with self._storing("read"):
            rows = self.db.execute(
                "SELECT handle, platform, verdict, reason, url, http_status, elapsed_ms, evidence, checked_at "
                "FROM results WHERE scan_id = ? ORDER BY platform, handle",
                (scan_id,),
            ).fetchall()
        return [_result(row) for row in rows]

    def findings(self, scan_id: int) -> list[StoredFinding]:
        with self._storing("read"):
            rows = self.db.execute(
                "SELECT platform, handle, classification, risk, url FROM findings WHERE scan_id = ? "
                "ORDER BY risk DESC, platform, handle",
                (scan_id,),
            ).fetchall()
        return [StoredFinding(*row) for row in rows]

    def started_at(self, scan_id: int) -> datetime:
        """When the scan began (a resumed scan keeps its first start)."""
        with self._storing("read"):
            row = self.db.execute("SELECT started_at FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else datetime.now(UTC)

    def count_results(self, scan_id: int) -> int:
        with self._storing("read"):
            return int(self.db.execute("SELECT COUNT(*) FROM results WHERE scan_id = ?", (scan_id,)).fetchone()[0])


def no_scans(brand: str, path: Path) -> InputError:
    """The one answer to a brand the history has no scan of, whichever command asked."""
    return InputError(
        f"no scans of {printable(brand, 100)} in the history {path} (handlecheck history lists the brands it has)"
    )


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
