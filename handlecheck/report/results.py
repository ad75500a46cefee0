"""Check results as table, json, jsonl and csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from tabulate import tabulate

from ..models import Platform, Result, Verdict
from ..summary import Summary
from ..text import plural, printable, spreadsheet_cell

VERDICT_ORDER = (Verdict.TAKEN, Verdict.AVAILABLE, Verdict.RESERVED, Verdict.UNKNOWN, Verdict.INVALID)
CSV_FIELDS = ("handle", "platform", "verdict", "reason", "url", "http_status", "elapsed_ms", "evidence", "checked_at")
OURS = "ours"  # a taken name the brand's config lists as its own
_COLOURS = {
    Verdict.TAKEN.value: "\x1b[33m",
    Verdict.AVAILABLE.value: "\x1b[32m",
    Verdict.RESERVED.value: "\x1b[35m",
    Verdict.UNKNOWN.value: "\x1b[31m",
    Verdict.INVALID.value: "\x1b[2m",
    OURS: "\x1b[36m",
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
    width: int | None = None,
) -> str:
    """One table per verdict (taken first), then a summary line; each table at most `width`
    characters wide (url and evidence are cut first)."""
    names = {pid: p.name for pid, p in (platforms or {}).items()}
    blocks: list[str] = []
    for verdict in VERDICT_ORDER:
        group = sorted((r for r in results if r.verdict is verdict), key=_sort_key)
        if not group:
            continue
        heading = f"{verdict.value.upper()} ({len(group)})"
        heading = paint(heading, verdict.value, color=color)
        rows = []
        for r in group:
            row = [printable(r.handle), printable(names.get(r.platform, r.platform)), printable(r.url or "-", 70)]
            if verdict is Verdict.UNKNOWN:
                row.append(r.reason.value if r.reason else "-")
            row.append(printable(r.evidence, 90))
            rows.append(row)
        headers = ["handle", "platform", "url"] + (["reason"] if verdict is Verdict.UNKNOWN else []) + ["evidence"]
        blocks.append(heading + "\n" + fit_table(rows, headers, (2, len(headers) - 1), width))
    blocks.append(summary_line(summary))
    return "\n\n".join(blocks) + "\n"


def summary_line(summary: Summary) -> str:
    counts = ", ".join(f"{summary.verdicts[v]} {v}" for v in VERDICT_ORDER if summary.verdicts.get(v))
    # "2 handles x 13 platforms" only when every pair is there (not in a run a stop cut short).
    times = " x " if summary.total == summary.handles * summary.platforms else ", on "
    line = (
        f"{plural(summary.total, 'check')} ({plural(summary.handles, 'handle')}{times}"
        f"{plural(summary.platforms, 'platform')}): {counts or 'nothing'}"
    )
    if summary.unknown_reasons:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.unknown_reasons.items())
        line += f"; unknown because: {reasons}"
    if summary.elapsed_seconds is not None:
        line += f"; {summary.elapsed_seconds:.1f}s"
    return line


def paint(text: str, state: str, *, color: bool) -> str:
    """`text` in the colour of a verdict (or of "ours") when `color` is on."""
    code = _COLOURS.get(state)
    return f"{code}{text}{_RESET}" if color and code else text


def fit_table(rows: Sequence[Sequence[str]], headers: Sequence[str], free: Sequence[int], width: int | None) -> str:
    """A "simple" table at most `width` characters wide (None: as wide as it comes): the widest of
    the free-text columns `free` (by index) are cut down to one level with `printable`'s limit."""
    table = tabulate(rows, headers=headers, tablefmt="simple")
    if width is None:
        return table
    limits = {i: max((len(row[i]) for row in rows), default=0) for i in free}
    floor = {i: max(len(headers[i]), 8) for i in free}
    while (over := max(len(printable(line)) for line in table.splitlines()) - width) > 0:  # colours: no width
        level = max(limits.values(), default=0)
        while level > 0 and sum(max(0, n - max(level, floor[i])) for i, n in limits.items()) < over:
            level -= 1
        lowered = {i: min(n, max(level, floor[i])) for i, n in limits.items()}
        if lowered == limits:
            break  # the fixed columns alone are wider than the terminal
        limits = lowered
        cut = [[printable(cell, limits[i]) if i in limits else cell for i, cell in enumerate(row)] for row in rows]
        table = tabulate(cut, headers=headers, tablefmt="simple")
    return table


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
