"""Scan history: every result and finding, written as it arrives, in a SQLite file or a shared
PostgreSQL database (a postgresql:// URL; see `open_history`).

One commit per result: a run killed outright (or a connection lost) loses at most the checks in
flight. A brand's scan that began within `max_age` is continued under the same id (resumed when
a stop left it unfinished), and conclusive answers younger than `max_age` are recalled instead
of asked again. Times are stored in UTC and compared as times (see `Store.time`; "within" a
window is strictly younger, so a window of 0 holds nothing), never as text.

A database that cannot be stored to is a one-line `StorageError`; one that is not a handlecheck
history is a one-line `ConfigError` (see `store.sqlite` and `store.postgres`). Reading commands
change nothing: a history on a read-only mount can still be read, and a missing one reads empty.

A brand is found by its `brand_key` (case, accents and spacing do not count), the same way by
every command: `scan Acme` continues a scan of "acme", `history ACMÉ` lists both.
A scan is complete once `finish_scan` marked it done; one a stop interrupted stays `running`
(resumable), one that no platform answered is `unreached`, and `diff` and `--fail-on` leave both
out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs

from ..domain import Finding
from ..errors import InputError
from ..models import Reason, Result, Verdict
from ..text import brand_key, printable
from .backend import Store
from .sqlite import open_sqlite
from .urls import is_postgres_url, masked

DONE = "done"
UNREACHED = "unreached"
"""A scan that ran to its end without one platform answering (offline): not complete, so never
the scan that `diff` and `--fail-on` compare with, and continued by the next run."""


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


def _utc(moment: datetime) -> datetime:
    """A time in UTC (a naive time is taken to be in UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    """A time as stored: ISO 8601 in UTC."""
    return _utc(moment).isoformat()


def _upsert(table: str, columns: tuple[str, ...], keys: int) -> str:
    """An INSERT of a whole row that replaces the row with the same first `keys` columns."""
    changed = ", ".join(f"{column} = excluded.{column}" for column in columns[keys:])
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(columns[:keys])}) DO UPDATE SET {changed}"
    )


RECORD_RESULT = _upsert(
    "results",
    ("scan_id", "platform", "handle", "verdict", "reason", "url", "http_status", "elapsed_ms", "evidence",
     "checked_at"),
    3,
)  # fmt: skip
RECORD_FINDING = _upsert(
    "findings",
    ("scan_id", "platform", "handle", "classification", "risk", "url", "reasons", "seen_at", "archive",
     "payload_sha256", "captured_at"),
    3,
)  # fmt: skip
RESULT_FIELDS = "handle, platform, verdict, reason, url, http_status, elapsed_ms, evidence, checked_at"


class History:
    """One history of scans: a SQLite file, or the PostgreSQL database a postgresql:// (or
    postgres://) URL names. Use as a context manager; not shared across threads.

    `readonly` is for the commands that only read (`history`, `diff`, `runbook`): the database
    is neither created nor changed, and a missing file or an empty database reads as an empty
    history. `location` names it in messages (a URL with its password masked); `path` is the
    SQLite file's, None for a URL."""

    def __init__(self, target: str | Path, *, readonly: bool = False) -> None:
        self.path: Path | None
        if is_postgres_url(target):
            self.path = None
            self.store, version = _open_postgres(str(target), readonly)
        else:
            self.path = Path(target)
            self.store, version = open_sqlite(self.path, readonly=readonly)
        self.location = self.store.location
        # A version 1 database that a reading command opened (and so did not migrate) has no
        # brand keys: they are worked out from the names as it is read.
        self._keyed = version >= 2
        self._storing = self.store.guard

    @property
    def db(self) -> Any:
        """The driver's own connection (sqlite3's or psycopg's; an in-memory sqlite3 one for a history
        read before it exists), for code that knows which it is."""
        return self.store.raw

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # --- writing ---------------------------------------------------------------------------

    def start_scan(self, brand: str, *, resume_within: timedelta) -> int:
        """The scan to record `brand` into: its latest scan when that began within
        `resume_within`, else a new one. An unfinished scan is resumed; a finished one is
        continued (its answers are still fresh, so they are recalled, not asked again), so a
        rerun of a stopped run adds no second scan of a brand the first one had finished, and
        `diff` never compares a brand with a copy of itself."""
        now, key, time = datetime.now(UTC), brand_key(brand), self.store.time
        with self._storing("write"), self.store.transaction():  # one process at a time: no twin scans
            rows = self.store.query(
                f"SELECT id FROM scans WHERE brand_key = ? AND {time('started_at')} > {time('?')} "
                f"ORDER BY {time('started_at')} DESC, id DESC LIMIT 1",
                (key, _stamp(now - resume_within)),
            )
            if rows:  # written to now, so a history that cannot be fails before the scan does
                self.store.execute("UPDATE scans SET finished_at = finished_at WHERE id = ?", (rows[0][0],))
                return int(rows[0][0])
            return self.store.insert(
                "INSERT INTO scans (brand, brand_key, started_at) VALUES (?, ?, ?)", (brand, key, _stamp(now))
            )

    def record(self, scan_id: int, result: Result) -> None:
        """Store one result now (its own transaction), once per (scan, platform, handle)."""
        with self._storing("write"):
            self.store.execute(
                RECORD_RESULT,
                (scan_id, result.platform, result.handle, result.verdict.value,
                 result.reason.value if result.reason else None, result.url, result.http_status, result.elapsed_ms,
                 result.evidence, _stamp(result.checked_at)),
            )  # fmt: skip

    def record_findings(self, scan_id: int, findings: Sequence[Finding]) -> None:
        with self._storing("write"), self.store.transaction():
            for f in findings:
                kept = f.evidence
                self.store.execute(
                    RECORD_FINDING,
                    (scan_id, f.platform, f.handle, f.classification.value, f.risk, f.url, json.dumps(f.reasons),
                     _stamp(f.seen_at), kept and str(Path(kept.folder) / kept.archive), kept and kept.payload_sha256,
                     kept and _stamp(kept.captured_at)),
                )  # fmt: skip
            if folders := {f.evidence.folder for f in findings if f.evidence}:
                self.store.execute("UPDATE scans SET evidence_dir = ? WHERE id = ?", (min(folders), scan_id))

    def unsent(self, target: str, keys: Sequence[str]) -> list[str]:
        """Of the alert `keys`, those not yet sent to `target` (a hash of its URL), in order."""
        with self._storing("read"):
            sent = {row[0] for row in self.store.query("SELECT alert_key FROM alerts_sent WHERE target = ?", (target,))}
        return [key for key in keys if key not in sent]

    def mark_sent(self, target: str, keys: Sequence[str]) -> None:
        """Remember that the alerts `keys` reached `target`: they are not sent there again."""
        now = _stamp(datetime.now(UTC))
        with self._storing("write"), self.store.transaction():
            self.store.execute_many(
                "INSERT INTO alerts_sent (target, alert_key, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(target, key, now) for key in keys],
            )

    def finish_scan(self, scan_id: int, status: str = DONE) -> None:
        with self._storing("write"):
            self.store.execute(
                "UPDATE scans SET finished_at = ?, status = ? WHERE id = ?",
                (_stamp(datetime.now(UTC)), status, scan_id),
            )

    # --- reading ---------------------------------------------------------------------------

    def fresh(self, platform: str, handle: str, max_age: timedelta) -> Result | None:
        """The newest conclusive answer about (platform, handle) younger than max_age."""
        time = self.store.time
        with self._storing("read"):
            rows = self.store.query(
                f"SELECT {RESULT_FIELDS} FROM results WHERE platform = ? AND handle = ? AND verdict != 'unknown' "
                f"AND {time('checked_at')} > {time('?')} ORDER BY {time('checked_at')} DESC, scan_id DESC LIMIT 1",
                (platform, handle, _stamp(datetime.now(UTC) - max_age)),
            )
        return _result(rows[0]) if rows else None

    def scans(self, brand: str) -> list[ScanRecord]:
        """The brand's scans (by `brand_key`), newest first."""
        key, time = brand_key(brand), self.store.time
        select = (
            "SELECT s.id, s.brand, s.started_at, s.finished_at, s.status, "
            "(SELECT COUNT(*) FROM results r WHERE r.scan_id = s.id), "
            "(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) FROM scans s"
        )
        newest_first = f" ORDER BY {time('s.started_at')} DESC, s.id DESC"
        with self._storing("read"):
            if self._keyed:
                rows = self.store.query(f"{select} WHERE s.brand_key = ?{newest_first}", (key,))
            else:
                rows = [row for row in self.store.query(select + newest_first) if brand_key(row[1]) == key]
        return [ScanRecord(r[0], r[1], datetime.fromisoformat(r[2]), _time(r[3]), r[4], r[5], r[6]) for r in rows]

    def brands(self) -> list[BrandRecord]:
        """Every brand with a scan, by name (case and accents aside)."""
        group, time = ("brand_key" if self._keyed else "brand"), self.store.time
        with self._storing("read"):
            rows = self.store.query(  # each group's newest scan, with the group's counts
                f"SELECT k, brand, started_at, n, done FROM (SELECT {group} AS k, brand, started_at, "
                f"COUNT(*) OVER (PARTITION BY {group}) AS n, "
                f"SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) OVER (PARTITION BY {group}) AS done, "
                f"ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY {time('started_at')} DESC, id DESC) AS nth "
                "FROM scans) AS newest WHERE nth = 1",
                (DONE,),
            )
        found: dict[str, BrandRecord] = {}
        for group_key, name, started, count, done in rows:  # unkeyed: names of one brand are merged
            key = group_key if self._keyed else brand_key(group_key)
            record = BrandRecord(name, int(count), int(done), datetime.fromisoformat(started))
            if (seen := found.get(key)) is not None:
                newest = record if _utc(record.last_started) > _utc(seen.last_started) else seen
                record = BrandRecord(newest.brand, seen.scans + record.scans, seen.complete + record.complete,
                                     newest.last_started)  # fmt: skip
            found[key] = record
        return [found[key] for key in sorted(found)]  # in code point order, whatever the database's collation

    def results(self, scan_id: int) -> list[Result]:
        with self._storing("read"):
            rows = self.store.query(f"SELECT {RESULT_FIELDS} FROM results WHERE scan_id = ?", (scan_id,))
        return [_result(row) for row in sorted(rows, key=lambda row: (row[1], row[0]))]  # by platform, handle

    def findings(self, scan_id: int) -> list[StoredFinding]:
        with self._storing("read"):
            rows = self.store.query(
                "SELECT platform, handle, classification, risk, url FROM findings WHERE scan_id = ?", (scan_id,)
            )
        return [StoredFinding(*row) for row in sorted(rows, key=lambda row: (-row[3], row[0], row[1]))]

    def started_at(self, scan_id: int) -> datetime:
        """When the scan began (a resumed scan keeps its first start)."""
        with self._storing("read"):
            rows = self.store.query("SELECT started_at FROM scans WHERE id = ?", (scan_id,))
        return datetime.fromisoformat(rows[0][0]) if rows else datetime.now(UTC)

    def count_results(self, scan_id: int) -> int:
        with self._storing("read"):
            ((count,),) = self.store.query("SELECT COUNT(*) FROM results WHERE scan_id = ?", (scan_id,))
        return int(count)


def open_history(target: str | Path | None, *, readonly: bool = False) -> History:
    """The history `--db` names: a postgresql:// or postgres:// URL is a PostgreSQL database,
    anything else a SQLite file's path, and None (or "") the default file (`default_path`)."""
    return History(target or default_path(), readonly=readonly)


def _open_postgres(url: str, readonly: bool) -> tuple[Store, int]:
    """The PostgreSQL store, its driver imported only now: a SQLite history needs no psycopg."""
    try:
        from .postgres import open_postgres
    except ImportError as exc:
        raise InputError(
            f"cannot open the history {masked(url)}: PostgreSQL needs psycopg ({printable(str(exc), 100)}): "
            "pip install 'handlecheck[postgres]'"
        ) from None
    return open_postgres(url, readonly=readonly)


def no_scans(brand: str, where: str | Path) -> InputError:
    """The one answer to a brand the history has no scan of, whichever command asked."""
    return InputError(
        f"no scans of {printable(brand, 100)} in the history {where} (handlecheck history lists the brands it has)"
    )


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
