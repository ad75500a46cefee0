"""A ScanReport as table, markdown checklist, csv, json and a self-contained html page.

Scraped text (display names, bios, evidence) is untrusted: it is escaped for each format.
"""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources

import jinja2
from tabulate import tabulate

from ..domain import Action, ScanReport
from ..models import Verdict
from ..text import printable, spreadsheet_cell

TODO_CSV_FIELDS = (
    "priority", "action", "platform", "handle", "link", "reason", "owner", "email_alias", "suggestion", "evidence",
)  # fmt: skip
# What can start emphasis, code, links, HTML, tables or headings inside a line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
VERBS = {
    Action.FIX: "Fix",
    Action.REPORT: "Report",
    Action.REGISTER: "Register",
    Action.CLAIM: "Claim",
    Action.RETRY: "Retry",
    Action.WATCH: "Watch",
}


def md(text: str) -> str:
    """Text that Markdown shows as written: no links, emphasis or HTML from scraped content."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))


def _safe_url(url: str | None) -> str | None:
    """The URL when it can be shown as a link: http(s), printable, no space or angle bracket."""
    if not url or not url.startswith(("http://", "https://")) or not url.isprintable() or any(c in url for c in " <>"):
        return None
    return url


def _link(url: str | None) -> str:
    safe = _safe_url(url)
    return f"<{safe}>" if safe else "(no link)"


def _headline(report: ScanReport) -> str:
    found = len(report.findings)
    return (
        f"Scanned {report.started_at:%Y-%m-%d %H:%M} UTC, {len(report.platforms)} platforms, depth {report.depth}, "
        f"{report.lookalike_checks} lookalike checks, {found} lookalike account{'s' if found != 1 else ''} found"
    )


def _best(report: ScanReport) -> str | None:
    best = report.best_handle
    if best is None:
        return None
    return (
        f"{best.handle}: free or already yours on {len(best.available_on)} platforms, "
        f"{best.coverage:.0%} of the priority weight ({best.weight} of {best.total_weight})"
    )


def render_markdown(report: ScanReport) -> str:
    lines = [f"# handlecheck: {md(report.brand)}", "", md(_headline(report)) + "."]
    if report.incomplete:
        lines += ["", "**Incomplete:** too many platforms that matter most did not answer; run the scan again."]
    best = _best(report)
    if best:
        lines += ["", f"**Best common handle:** {md(best)}"]
    lines += ["", "## To do", ""]
    if not report.todo:
        lines.append("Nothing to do.")
    for item in report.todo:
        lines.append(
            f"- [ ] {VERBS[item.action]} {md(item.handle)} on {md(item.platform_name)}: {_link(item.link)} "
            f"({item.priority}; {md(item.reason)})"
        )
        if item.email_alias or item.owner:
            parts = [
                f"e-mail: {md(item.email_alias)}" if item.email_alias else "",
                f"owner: {md(item.owner)}" if item.owner else "",
            ]
            lines.append("  - " + ", ".join(p for p in parts if p))
        if item.suggestion:
            lines.append(f"  - alternative: {md(item.suggestion)}")
        for step in item.steps:
            lines.append(f"  - [ ] {md(step)}")
        for evidence in item.evidence:
            lines.append(f"  - {md(evidence)}")
    return "\n".join(lines) + "\n"


def render_csv(report: ScanReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TODO_CSV_FIELDS)
    for item in report.todo:
        cells = [
            item.priority.value, item.action.value, item.platform, item.handle, item.link or "", item.reason,
            item.owner or "", item.email_alias or "", item.suggestion or "", " | ".join(item.evidence),
        ]  # fmt: skip
        writer.writerow([spreadsheet_cell(cell) for cell in cells])
    return buffer.getvalue()


def render_json(report: ScanReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_table(report: ScanReport) -> str:
    blocks = [f"handlecheck: {printable(report.brand)}", _headline(report)]
    best = _best(report)
    if best:
        blocks.append(f"Best common handle: {best}")
    if report.incomplete:
        blocks.append("INCOMPLETE: too many critical/high platforms did not answer")
    rows = [[i.priority.value, i.action.value, printable(i.platform_name, 24), printable(i.handle, 24),
             printable(i.link or "-", 60), printable(i.reason, 70)] for i in report.todo]  # fmt: skip
    table = tabulate(rows, headers=["priority", "action", "platform", "handle", "link", "why"], tablefmt="simple")
    counts = report.summary()["todo"]
    tally = ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to do"
    return "\n".join(blocks) + "\n\n" + (table + "\n\n" if rows else "") + f"To do: {tally}\n"


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(lambda name: (resources.files("handlecheck") / "data" / name).read_text("utf-8"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(report: ScanReport) -> str:
    """One self-contained page: summary, availability grid, findings, to-do checklist."""
    grid = []
    for platform in report.platforms:
        cells = []
        for handle in report.handles:
            result = report.result(platform.id, handle)
            verdict = result.verdict.value if result else "unchecked"
            cells.append({"verdict": verdict, "title": printable(result.evidence if result else "", 300)})
        grid.append({"platform": platform, "cells": cells})
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        headline=_headline(report),
        best=_best(report),
        grid=grid,
        verbs=VERBS,
        verdicts=[v.value for v in Verdict],
        safe_link=_safe_url,
        clean=printable,
        todo_items=list(report.todo),
    )
