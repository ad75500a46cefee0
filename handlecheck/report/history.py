"""The history's scans of a brand (`history`) and what changed between two (`diff`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tabulate import tabulate

from ..policy import Change
from ..store.history import ScanRecord
from ..text import printable
from .scan import md

STAMP = "%Y-%m-%d %H:%M"


def render_history(brand: str, scans: Sequence[ScanRecord], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{"id": s.id, "brand": s.brand, "started_at": s.started_at.isoformat(timespec="seconds"),
                            "finished_at": s.finished_at.isoformat(timespec="seconds") if s.finished_at else None,
                            "status": s.status, "results": s.results, "findings": s.findings} for s in scans],
                          indent=2) + "\n"  # fmt: skip
    if not scans:
        return f"no scans of {printable(brand, 100)} in the history\n"
    rows = [[s.id, f"{s.started_at:{STAMP}}", s.status, s.results, s.findings] for s in scans]
    headers = ["scan", "started (UTC)", "status", "results", "lookalikes"]
    return tabulate(rows, headers=headers, tablefmt="simple") + "\n"


def render_diff(brand: str, older: ScanRecord, latest: ScanRecord, changes: Sequence[Change], fmt: str) -> str:
    if fmt == "json":
        document = {"brand": brand, "from_scan": older.id, "to_scan": latest.id,
                    "changes": [c.to_dict() for c in changes]}  # fmt: skip
        return json.dumps(document, indent=2) + "\n"
    title = f"{brand}: scan {older.id} ({older.started_at:{STAMP}}) -> scan {latest.id} ({latest.started_at:{STAMP}})"
    if fmt == "markdown":
        lines = [f"## {md(title)}", ""] + [f"- {md(c.describe())}" for c in changes]
        return "\n".join(lines if changes else [*lines, "No changes."]) + "\n"
    rows = [[c.kind.value, c.platform, c.handle, c.before or "", c.after or ""] for c in changes]
    body = tabulate(rows, headers=["change", "platform", "handle", "before", "after"], tablefmt="simple")
    return printable(title, 300) + "\n" + (body if rows else "no changes") + "\n"
