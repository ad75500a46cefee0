"""The brands in the history, a brand's scans (`history`) and what changed between two (`diff`).

A scan a stop interrupted is marked partial wherever it is shown: it knows only part of what a
whole scan does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from ..policy import Change
from ..store.baseline import INCLUDE_PARTIAL, ScanPair
from ..store.history import UNREACHED, BrandRecord, ScanRecord
from ..text import printable
from .scan import md

STAMP = "%Y-%m-%d %H:%M"
PARTIAL = "partial (running, or stopped)"
UNANSWERED = "unreached (no platform answered)"


def _when(scan: ScanRecord) -> str:
    return f"{scan.started_at:{STAMP}}"


def _status(scan: ScanRecord) -> str:
    if scan.status == UNREACHED:
        return UNANSWERED
    return "done" if scan.complete else PARTIAL


def render_brands(brands: Sequence[BrandRecord], path: str | Path, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{"brand": b.brand, "scans": b.scans, "complete_scans": b.complete,
                            "last_started_at": b.last_started.isoformat(timespec="seconds")} for b in brands],
                          indent=2, ensure_ascii=False) + "\n"  # fmt: skip
    if not brands:
        return f"no scans in the history {printable(str(path))} yet\n"
    rows = [[printable(b.brand, 60), b.scans, b.complete, f"{b.last_started:{STAMP}}"] for b in brands]
    return tabulate(rows, headers=["brand", "scans", "complete", "last scan (UTC)"], tablefmt="simple") + "\n"


def render_history(scans: Sequence[ScanRecord], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{"id": s.id, "brand": s.brand, "started_at": s.started_at.isoformat(timespec="seconds"),
                            "finished_at": s.finished_at.isoformat(timespec="seconds") if s.finished_at else None,
                            "status": s.status, "complete": s.complete, "results": s.results,
                            "findings": s.findings} for s in scans], indent=2, ensure_ascii=False) + "\n"  # fmt: skip
    rows = [[s.id, _when(s), _status(s), s.results, s.findings] for s in scans]
    headers = ["scan", "started (UTC)", "status", "results", "lookalikes"]
    return f"{printable(scans[0].brand, 100)}\n" + tabulate(rows, headers=headers, tablefmt="simple") + "\n"


def _scan(scan: ScanRecord) -> str:
    kind = "" if scan.complete else (", unreached" if scan.status == UNREACHED else ", partial")
    return f"scan {scan.id} ({_when(scan)}{kind})"


def _notes(pair: ScanPair) -> list[str]:
    if not pair.skipped:
        return []
    return [f"left out, newer but partial: {', '.join(_scan(s) for s in pair.skipped)}; {INCLUDE_PARTIAL}"]


def render_diff(pair: ScanPair, changes: Sequence[Change], fmt: str) -> str:
    older, latest = pair.older, pair.latest
    if fmt == "json":
        document = {"brand": latest.brand, "from_scan": older.id, "to_scan": latest.id,
                    "from_complete": older.complete, "to_complete": latest.complete,
                    "skipped_partial_scans": [s.id for s in pair.skipped],
                    "changes": [c.to_dict() for c in changes]}  # fmt: skip
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    title = f"{latest.brand}: {_scan(older)} -> {_scan(latest)}"
    if fmt == "markdown":
        lines = [f"## {md(title)}", "", *(f"_{md(note)}_" for note in _notes(pair))]
        lines += [f"- {md(c.describe())}" for c in changes] or ["No changes."]
        return "\n".join(lines) + "\n"
    rows = [[c.kind.value, printable(c.platform), printable(c.handle), printable(c.before or ""),
             printable(c.after or "")] for c in changes]  # fmt: skip
    body = tabulate(rows, headers=["change", "platform", "handle", "before", "after"], tablefmt="simple")
    head = [printable(title, 300), *(printable(note, 500) for note in _notes(pair))]
    return "\n".join(head) + "\n" + (body if rows else "no changes") + "\n"
