"""A Runbook as markdown, one printable html page, or json; and its section of the scan reports.

Names, roles and addresses come from the config, links and taps from platform files: all of
it is escaped for each format, and only http(s) URLs become links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from markupsafe import Markup

from ..models import Channel, Offered
from ..runbook import Runbook, RunbookRow, Standing, describe, flag
from ..text import printable
from .markup import environment, md, safe_url

RUNBOOK_FORMATS = ("markdown", "html", "json")
ACCOUNT_HEADERS = ("Platform", "Handle", "State", "Owner", "Backup", "Sign-in e-mail", "2FA", "Password manager")
NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class Cell:
    """What a table cell shows, and the link it carries (None: plain text)."""

    text: str
    url: str | None = None
    warn: bool = False
    wrap: bool = False
    """May break anywhere (an address, a URL), not only between words."""


@dataclass(frozen=True, slots=True)
class RowView:
    platform: str
    cells: tuple[Cell, ...]
    help: tuple[Cell, ...]
    """Stolen account, impersonator, verification."""
    missing: str
    """What the row lacks to be secure, in a few words."""


@dataclass(frozen=True, slots=True)
class RunbookView:
    """A runbook as the page shows it: every value in words, every link checked."""

    brand: str
    intro: str
    contacts: tuple[tuple[str, str, str, str], ...]
    rows: tuple[RowView, ...]


def _intro(runbook: Runbook) -> str:
    source = f"From {runbook.source}" if runbook.source else "From the command line"
    scanned = f"; free names from the scan of {runbook.scanned_at:%Y-%m-%d %H:%M} UTC" if runbook.scanned_at else ""
    return (
        f"{source} and the platform catalogue{scanned}. Every account the brand holds or should hold, who "
        "looks after it, and where to go when one is stolen or impersonated. Print it and keep a copy offline."
    )


def _account_cells(row: RunbookRow) -> tuple[Cell, ...]:
    owned = row.standing is Standing.OWNED
    return (
        Cell(printable(row.platform_name, 60)),
        Cell(printable(row.handle, 60)),
        Cell(row.standing.value),
        Cell(printable(row.owner or NOT_RECORDED, 100), warn=owned and row.owner is None),
        Cell(printable(row.backup or NOT_RECORDED, 100), warn=owned and row.backup is None),
        Cell(printable(row.email or NOT_RECORDED, 120), wrap=True),
        Cell(flag(row.two_factor, "on", "OFF"), warn=owned and row.two_factor is not True),
        Cell(flag(row.password_manager)),
    )


def _help_cell(channel: Channel, *, cost: bool = False) -> Cell:
    url = safe_url(channel.url) if channel.offered is Offered.LINK else None
    return Cell(printable(describe(channel, cost=cost), 500), url, warn=channel.offered is Offered.UNKNOWN, wrap=True)


def runbook_view(runbook: Runbook) -> RunbookView:
    rows = tuple(
        RowView(
            row.platform,
            _account_cells(row),
            (_help_cell(row.recovery), _help_cell(row.report), _help_cell(row.verification, cost=True)),
            ", ".join(gap.label for gap in row.gaps),
        )
        for row in runbook.rows
    )
    contacts = tuple(
        (printable(c.name, 100), printable(c.role or "", 100), printable(c.email or "", 120), printable(c.phone or ""))
        for c in runbook.contacts
    )
    return RunbookView(printable(runbook.brand, 100), _intro(runbook), contacts, rows)


def _md_help(cell: Cell) -> str:
    link = f"<{cell.url}>" if cell.url else ""
    return f"{link}: {md(cell.text)}" if link and cell.text else link or md(cell.text)


def _md_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]


def runbook_markdown(runbook: Runbook, level: int = 1) -> str:
    """The runbook as markdown, its title a heading of `level` (2 inside a scan report)."""
    view = runbook_view(runbook)
    head, sub = "#" * level, "#" * (level + 1)
    lines = [f"{head} Runbook: {md(view.brand)}", "", md(view.intro), "", f"{sub} Emergency contacts", ""]
    if view.contacts:
        lines += _md_table(("Name", "Role", "E-mail", "Phone"), list(view.contacts))
    else:
        lines.append("None recorded: add `contacts:` to the config (name, role, e-mail and/or phone).")
    lines += ["", f"{sub} Accounts", ""]
    if not view.rows:
        lines.append("None recorded: add `owned:` and `accounts:` to the config, or give a scan's history (--db).")
    else:
        lines += _md_table(ACCOUNT_HEADERS, [tuple(cell.text for cell in row.cells) for row in view.rows])
        lines += ["", f"{sub} Where to go", ""]
    for view_row, row in zip(view.rows, runbook.rows, strict=True):
        stolen, impostor, verify = (_md_help(cell) for cell in view_row.help)
        lines.append(f"- **{md(row.platform_name)}** {md(row.handle)}")
        lines += [f"  - stolen account: {stolen}", f"  - impersonator: {impostor}", f"  - verification: {verify}"]
        lines += [f"  - **missing:** {md('; '.join(gap.text for gap in row.gaps))}"] if row.gaps else []
    return "\n".join(lines) + "\n"


def runbook_html(runbook: Runbook) -> str:
    """One self-contained page, laid out to print on one landscape sheet."""
    page: Markup = environment().get_template("runbook.html.j2").module.page(runbook_view(runbook))  # type: ignore[attr-defined]
    return str(page)


def runbook_json(runbook: Runbook) -> str:
    return json.dumps(runbook.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_runbook(runbook: Runbook, fmt: str = "markdown") -> str:
    """The runbook in one of `RUNBOOK_FORMATS`."""
    renderers = {"markdown": runbook_markdown, "html": runbook_html, "json": runbook_json}
    return renderers[fmt](runbook)
