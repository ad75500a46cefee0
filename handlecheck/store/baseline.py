"""Where a scan is compared from: the brand's earlier scans in the history, or a baseline file
(JSON, kept in the repository of a CI job). File and database I/O; the comparing is `policy`'s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ConfigError, InputError
from ..files import write_atomic
from ..policy import Snapshot
from ..reading import TooLarge, read_capped
from .history import History, ScanRecord, no_scans

INCLUDE_PARTIAL = "--include-partial compares partial scans too"


def from_history(history: History, scan_id: int, brand: str) -> Snapshot:
    """What one stored scan knew."""
    started = next((s.started_at for s in history.scans(brand) if s.id == scan_id), None)
    return Snapshot(
        brand=brand,
        verdicts={(r.platform, r.handle): r.verdict.value for r in history.results(scan_id)},
        lookalikes={(f.platform, f.handle): (f.classification, f.risk) for f in history.findings(scan_id)},
        taken_at=started.isoformat(timespec="seconds") if started else None,
    )


MAX_BASELINE_BYTES = 64 * 2**20  # one brand's accounts: a few hundred kilobytes


def read_baseline(path: str | Path) -> Snapshot | None:
    """The baseline in `path`, or None when the file does not exist yet."""
    file = Path(path)
    if not file.exists():
        return None
    try:
        data = json.loads(read_capped(file, MAX_BASELINE_BYTES).decode("utf-8"))
    except TooLarge as exc:
        raise ConfigError(exc.describe("a baseline", "is this the right file?"), source=str(path)) from None
    except RecursionError:
        raise ConfigError("cannot read baseline: JSON nested too deeply to be one", source=str(path)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read baseline: {exc}", source=str(path)) from None
    return Snapshot.from_dict(data, str(path))


def write_baseline(path: str | Path, snapshot: Snapshot) -> None:
    write_atomic(path, json.dumps(snapshot.to_dict(), indent=2) + "\n", "baseline")


@dataclass(frozen=True, slots=True)
class ScanPair:
    """The two scans `diff` compares, and the newer partial scans it left out to do so."""

    older: ScanRecord
    latest: ScanRecord
    skipped: tuple[ScanRecord, ...]


def scans_to_compare(
    history: History, brand: str, since: str | None = None, *, include_partial: bool = False
) -> ScanPair:
    """The brand's two newest complete scans (any scans, with `include_partial`), or its newest
    and the one `since` names. A scan a stop interrupted knows only part of what a whole one
    does: compared, it would show every lookalike it did not get to as vanished. A scan id given
    with `since` is used whether complete or not: it was asked for."""
    scans = history.scans(brand)
    if not scans:
        raise no_scans(brand, history.location)
    usable = scans if include_partial else [s for s in scans if s.complete]
    partial = len(scans) - len(usable)
    name = scans[0].brand
    if not usable:
        raise InputError(f"no complete scan of {name} yet, only {partial} partial ({INCLUDE_PARTIAL})")
    latest = usable[0]
    if since is None and len(usable) == 1 and partial:
        raise InputError(f"only one complete scan of {name}: nothing to compare with yet ({INCLUDE_PARTIAL})")
    by_id = since is not None and since.isdigit()
    older = earlier_scan(scans if by_id else usable, latest, since)
    return ScanPair(older, latest, tuple(scans[: scans.index(latest)]))


def earlier_scan(scans: Sequence[ScanRecord], latest: ScanRecord, since: str | None) -> ScanRecord:
    """The scan `diff` compares `latest` with: the one before it, a scan id, or the last before a date.
    `latest`'s own id means the one before it too: a scan is never compared with itself."""
    earlier = [s for s in scans if s.id != latest.id]
    if since is not None and since.isdigit() and int(since) != latest.id:
        chosen = next((s for s in earlier if s.id == int(since)), None)
        if chosen is None:
            raise InputError(f"no scan {since} of {latest.brand} (see: handlecheck history {latest.brand})")
        return chosen
    if since is None or since.isdigit():  # no choice, or the latest scan's own id
        if not earlier:
            raise InputError(f"only one scan of {latest.brand}: nothing to compare with yet")
        return earlier[0]
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        raise InputError(f"--since {since!r} is neither a scan id nor a date (YYYY-MM-DD)") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    before = [s for s in earlier if s.started_at <= when]
    if not before:
        raise InputError(f"no scan of {latest.brand} before {since}")
    return before[0]
