"""Check results as table, json, jsonl and csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from tabulate import tabulate

from ..models import Platform, Result, Verdict
from ..summary import Summary
from ..text import printable, spreadsheet_cell

VERDICT_ORDER = (Verdict.TAKEN, Verdict.AVAILABLE, Verdict.RESERVED, Verdict.UNKNOWN, Verdict.INVALID)
CSV_FIELDS = ("handle", "platform", "verdict", "reason", "url", "http_status", "elapsed_ms", "evidence", "checked_at")
_COLOURS = {
    Verdict.TAKEN: "\x1b[33m",
    Verdict.AVAILABLE: "\x1b[32m",
    Verdict.RESERVED: "\x1b[35m",
    Verdict.UNKNOWN: "\x1b[31m",
    Verdict.INVALID: "\x1b[2m",
}
_RESET = "\x1b[0m"


def _sort_key(result: Result) -> tuple[str, str]:
    return (result.handle, result.platform)


def render_table(
    results: Sequence[Result],
    summary: Summary,
    platforms: Mapping[str, Platform] | None = None,
    *,
    color: bool = False,
) -> str:
    """One table per verdict (taken first), then a summary line."""
    names = {pid: p.name for pid, p in (platforms or {}).items()}
    blocks: list[str] = []
    for verdict in VERDICT_ORDER:
        group = sorted((r for r in results if r.verdict is verdict), key=_sort_key)
        if not group:
            continue
        heading = f"{verdict.value.upper()} ({len(group)})"
        if color:
            heading = f"{_COLOURS[verdict]}{heading}{_RESET}"
        rows = []
        for r in group:
            row = [printable(r.handle), printable(names.get(r.platform, r.platform)), printable(r.url or "-", 70)]
            if verdict is Verdict.UNKNOWN:
                row.append(r.reason.value if r.reason else "-")
            row.append(printable(r.evidence, 90))
            rows.append(row)
        headers = ["handle", "platform", "url"] + (["reason"] if verdict is Verdict.UNKNOWN else []) + ["evidence"]
        blocks.append(heading + "\n" + tabulate(rows, headers=headers, tablefmt="simple"))
    blocks.append(summary_line(summary))
    return "\n\n".join(blocks) + "\n"


def summary_line(summary: Summary) -> str:
    counts = ", ".join(f"{summary.verdicts[v]} {v}" for v in VERDICT_ORDER if summary.verdicts.get(v))
    line = (
        f"{_count(summary.total, 'check')} ({_count(summary.handles, 'handle')} x "
        f"{_count(summary.platforms, 'platform')}): {counts or 'nothing'}"
    )
    if summary.unknown_reasons:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.unknown_reasons.items())
        line += f"; unknown because: {reasons}"
    if summary.elapsed_seconds is not None:
        line += f"; {summary.elapsed_seconds:.1f}s"
    return line


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def render_json(results: Sequence[Result], summary: Summary) -> str:
    document = {"results": [r.to_dict() for r in results], "summary": summary.to_dict()}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def jsonl_line(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


def csv_header() -> str:
    return _csv_line(list(CSV_FIELDS))


def csv_line(result: Result) -> str:
    record = result.to_dict()
    return _csv_line([spreadsheet_cell("" if record[f] is None else str(record[f])) for f in CSV_FIELDS])


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()
