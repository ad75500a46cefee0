"""The one-table summary of a run over many brands (their reports are files of their own)."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from ..domain import ScanReport
from ..text import printable

HEADERS = ("brand", "report", "register", "claim", "fix", "lookalikes", "best handle", "incomplete")


def render_bulk_summary(reports: Sequence[ScanReport], where: str) -> str:
    rows = []
    for report in sorted(reports, key=lambda r: r.brand.casefold()):
        counts = report.summary()["todo"]
        best = report.best_handle.handle if report.best_handle else "-"
        actions = [counts.get(a, 0) for a in ("report", "register", "claim", "fix")]
        incomplete = "yes" if report.incomplete else ""
        rows.append([printable(report.brand, 60), *actions, len(report.findings), best, incomplete])
    table = tabulate(rows, headers=list(HEADERS), tablefmt="simple")
    noun = "brand" if len(rows) == 1 else "brands"
    return f"{table}\n\n{len(rows)} {noun}; reports in {printable(where, 200)}\n"
