"""Lookalike candidates (`lookalikes`) and the accounts found (`lookalikes --check`)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ..domain import Candidate, Depth, HuntReport
from ..summary import Summary
from ..text import printable, spreadsheet_cell

CANDIDATE_FIELDS = ("handle", "tier", "techniques", "detail", "distance", "similarity")
FINDING_FIELDS = ("platform", "handle", "classification", "risk", "url", "display_name", "reasons")


def render_candidates(brand: str, candidates: Sequence[Candidate], fmt: str) -> str:
    rows = [c.to_dict() for c in candidates]
    if fmt == "json":
        return json.dumps({"brand": brand, "candidates": rows}, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CANDIDATE_FIELDS)
        writer.writerows([spreadsheet_cell(_cell(row[field])) for field in CANDIDATE_FIELDS] for row in rows)
        return out.getvalue()
    table = [
        [i, printable(c.handle), row["tier"], _cell(row["techniques"]), printable(c.detail, 40), c.distance]
        for i, (c, row) in enumerate(zip(candidates, rows, strict=True), 1)
    ]
    headers = ["rank", "handle", "tier", "techniques", "detail", "edits"]
    return tabulate(table, headers=headers, tablefmt="simple") + f"\n\n{len(candidates)} candidates\n"


def _cell(value: object) -> str:
    """A list of techniques as one cell: homoglyph+affix."""
    return "+".join(str(v) for v in value) if isinstance(value, list) else str(value)


def render_findings(report: HuntReport, depth: Depth, summary: Summary, fmt: str, *, partial: bool = False) -> str:
    """The accounts a hunt found; `partial` for a hunt a stop cut short."""
    rows = [f.to_dict() for f in report.findings]
    if fmt == "json":
        document: dict[str, Any] = {"brand": report.brand, "depth": depth.value, "partial": partial}
        document |= {"findings": rows, "summary": summary.to_dict()}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FINDING_FIELDS)
        for f in report.findings:
            name = f.profile.display_name if f.profile and f.profile.display_name else ""
            cells = [f.platform, f.handle, f.classification.value, str(f.risk), f.url or "", name, "; ".join(f.reasons)]
            writer.writerow([spreadsheet_cell(c) for c in cells])
        return out.getvalue()
    table = [[f.risk, f.classification.value, printable(f.platform), printable(f.handle),
              printable(f.url or "-", 60), printable("; ".join(f.reasons[1:]) or f.reasons[0], 90)]
             for f in report.findings]  # fmt: skip
    headers = ["risk", "class", "platform", "handle", "url", "why"]
    counts = Counter(f.classification.value for f in report.findings)
    found = ", ".join(f"{n} {c}" for c, n in counts.most_common()) or "no lookalike accounts"
    owned_note = f"; {report.owned_seen} owned accounts not flagged" if report.owned_seen else ""
    return (
        tabulate(table, headers=headers, tablefmt="simple")
        + "\n\n"
        + f"{len(report.results)} lookalike checks ({depth.value}{', stopped early' if partial else ''}): "
        + f"{found}{owned_note}\n"
    )
