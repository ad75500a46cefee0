"""A ScanReport as table, markdown checklist, csv, json and a self-contained html page; the
markdown and the html with the brand's runbook after the to-do where one is given.

Scraped text (display names, bios, evidence) is untrusted: it is escaped for each format.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import textwrap
from pathlib import Path

from ..domain import Action, ScanReport
from ..evidence.folder import embedded_png
from ..models import Platform, Verdict
from ..rules.handles import canonical
from ..runbook import Runbook
from ..text import plural, printable, spreadsheet_cell
from .markup import environment, md_link, safe_url
from .markup import md as md  # report/history.py reads it from here
from .results import OURS, fit_table, paint
from .runbook import runbook_markdown, runbook_view

TODO_CSV_FIELDS = (
    "priority", "action", "platform", "handle", "link", "reason", "owner", "email_alias", "suggestion", "evidence",
)  # fmt: skip
# The html page's one script: the copy buttons of the report texts (allowed by its hash alone).
COPY_SCRIPT = (
    "document.querySelectorAll('button[data-copy]').forEach(function (b) { b.addEventListener('click', function () {"
    " var t = document.getElementById(b.dataset.copy); t.select();"
    " (navigator.clipboard ? navigator.clipboard.writeText(t.value) : Promise.reject()).catch(function () {"
    " document.execCommand('copy'); }); b.textContent = 'Copied'; }); });"
)
COPY_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(COPY_SCRIPT.encode()).digest()).decode()
VERBS = {
    Action.FIX: "Fix",
    Action.REPORT: "Report",
    Action.SECURE: "Secure",
    Action.REGISTER: "Register",
    Action.CLAIM: "Claim",
    Action.VERIFY: "Verify",
    Action.RETRY: "Retry",
    Action.WATCH: "Watch",
}


def _headline(report: ScanReport) -> str:
    found = len(report.findings)
    looked = f"{plural(report.lookalike_checks, 'lookalike check')}, {plural(found, 'lookalike account')} found"
    if report.unfinished is not None and not report.unfinished.lookalikes_checked:
        looked = "lookalikes not checked"
    scanned = f"Scanned {report.started_at:%Y-%m-%d %H:%M} UTC, {plural(len(report.platforms), 'platform')}"
    return f"{scanned}, depth {report.depth}, {looked}"


def state(report: ScanReport, platform: Platform, handle: str) -> str:
    """A handle's verdict on a platform; "ours" for a taken name the config owns; "unchecked"."""
    result = report.result(platform.id, handle)
    if result is None:
        return "unchecked"
    owned = {canonical(o.handle, platform) for o in report.owned if o.platform == platform.id}
    return OURS if result.verdict is Verdict.TAKEN and canonical(handle, platform) in owned else result.verdict.value


def counts(report: ScanReport) -> dict[str, int]:
    """The summary band: what is to register, report and claim, and what could not be told."""
    todo = report.summary()["todo"]
    unknown = sum(r.verdict is Verdict.UNKNOWN for r in report.results if r.handle == report.handle)
    return {"to register": todo.get("register", 0), "to report": todo.get("report", 0),
            "to claim": todo.get("claim", 0), "unknown": unknown}  # fmt: skip


def _evidence_link(evidence: str) -> str | None:
    """The profile URL of a "profile: URL" evidence line, when it can be a link."""
    label, _, rest = evidence.partition(": ")
    return safe_url(rest) if label == "profile" else None


def partial_line(report: ScanReport) -> str | None:
    """The first line of a partial report's every format; None for a complete one."""
    return f"PARTIAL SCAN: {report.unfinished.describe()}" if report.unfinished else None


def _best(report: ScanReport) -> str | None:
    best = report.best_handle
    if best is None:
        return None
    return (
        f"{best.handle}: free or already yours on {plural(len(best.available_on), 'platform')}, "
        f"{best.coverage:.0%} of the priority weight ({best.weight} of {best.total_weight})"
    )


def render_markdown(report: ScanReport, runbook: Runbook | None = None) -> str:
    partial = partial_line(report)
    lines = [f"**{md(partial)}**", ""] if partial else []
    lines += [f"# handlecheck: {md(report.brand)}", "", md(_headline(report)) + "."]
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
            f"- [ ] {VERBS[item.action]} {md(item.handle)} on {md(item.platform_name)}: {md_link(item.link)} "
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
            profile = _evidence_link(evidence)
            lines.append(f"  - profile: <{profile}>" if profile else f"  - {md(evidence)}")
        if item.report_text:
            lines += [f"  - report text, to paste into {md_link(item.link)}:", "", *_fenced(item.report_text), ""]
    text = "\n".join(lines) + "\n"
    return text + "\n" + runbook_markdown(runbook, level=2) if runbook is not None else text


def _fenced(text: str, indent: str = "    ") -> list[str]:
    """`text` as an indented code block in a list item, fenced by more backticks than it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        f"{indent}{fence}text",
        *(f"{indent}{line}" if line else "" for line in text.split("\n")),
        f"{indent}{fence}",
    ]


def _screenshots(report: ScanReport) -> dict[str, dict[str, str]]:
    """Each finding's screenshot, and the brand's own account's beside it, as data: URIs (the
    html page is one self-contained file), by "platform/handle"."""
    images: dict[str, dict[str, str]] = {}
    for finding in report.findings:
        kept = finding.evidence
        if kept is None:
            continue
        pair = {role: uri for role, name in (("suspect", kept.screenshot), ("own", kept.own_screenshot))
                if name and (uri := embedded_png(Path(kept.folder) / name)) is not None}  # fmt: skip
        if pair:
            images[f"{finding.platform}/{finding.handle}"] = pair
    return images


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


def render_table(report: ScanReport, *, width: int | None = None, color: bool = False) -> str:
    """The to-do list and the brand handle's state on each platform, `width` characters wide at
    most (free text is wrapped or cut short), verdicts coloured when `color` is on."""
    partial = partial_line(report)
    blocks = [partial] if partial else []
    blocks += [f"handlecheck: {printable(report.brand)}", _headline(report)]
    best = _best(report)
    if best:
        blocks.append(f"Best common handle: {printable(best)}")
    if report.incomplete:
        blocks.append("INCOMPLETE: too many critical/high platforms did not answer")
    text = "\n".join(textwrap.fill(block, width) if width else block for block in blocks) + "\n\n"
    rows = [[i.priority.value, i.action.value, printable(i.platform_name, 24), printable(i.handle, 24),
             printable(i.link or "-", 60), printable(i.reason, 70)] for i in report.todo]  # fmt: skip
    if rows:
        headers = ["priority", "action", "platform", "handle", "link", "why"]
        text += fit_table(rows, headers, (2, 4, 5), width) + "\n\n"
    looked_up = [(p, state(report, p, report.handle)) for p in report.platforms]
    states = [[printable(p.name, 24), p.priority.value, paint(word, word, color=color)] for p, word in looked_up]
    if states:
        text += fit_table(states, ["platform", "priority", printable(report.handle, 24)], (0,), width) + "\n\n"
    tally = ", ".join(f"{n} {a}" for a, n in report.summary()["todo"].items()) or "nothing to do"
    return text + f"To do: {tally}\n"


def render_html(report: ScanReport, runbook: Runbook | None = None) -> str:
    """One self-contained page: summary, availability grid, findings, to-do checklist (and the
    runbook after it, where one is given)."""
    grid = []
    for platform in report.platforms:
        cells = []
        for handle in report.handles:
            result = report.result(platform.id, handle)
            evidence = printable(result.evidence if result else "", 300)
            cells.append({"verdict": state(report, platform, handle), "title": evidence})
        grid.append({"platform": platform, "cells": cells})
    template = environment().get_template("report.html.j2")
    return template.render(
        report=report,
        headline=_headline(report),
        partial=partial_line(report),
        best=_best(report),
        grid=grid,
        verbs=VERBS,
        verdicts=[v.value for v in Verdict] + [OURS],
        counts=counts(report),
        profile_link=_evidence_link,
        safe_link=safe_url,
        clean=printable,
        todo_items=list(report.todo),
        copy_script=COPY_SCRIPT,
        script_hash=COPY_SCRIPT_HASH,
        screenshots=_screenshots(report),
        runbook=runbook_view(runbook) if runbook is not None else None,
    )
