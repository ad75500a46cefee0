"""The platforms of a catalogue (`platforms list`) and the health of their rules (`selfcheck`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

from tabulate import tabulate

from ..models import Catalogue, Platform, SourceFormat
from ..pipeline.selfcheck import Health, PlatformHealth
from ..registry.helplinks import HELP_PRIORITIES, help_gaps
from ..text import plural, printable, spreadsheet_cell

HEALTH_ORDER = (Health.BROKEN, Health.UNREACHABLE, Health.UNTESTED, Health.WORKING)


def render_platform_list(platforms: Sequence[Platform], environ: Mapping[str, str], fmt: str) -> str:
    """`environ` says which credential variables are set (never their values)."""
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "tags": ",".join(p.tags),
            "priority": p.priority.value,
            "verified": p.verified,
            "profile": p.urls.profile,
            "credentials": ", ".join(f"{env} ({'set' if environ.get(env) else 'not set'})" for _, env in p.secrets),
        }
        for p in platforms
    ]
    if fmt == "json":
        documents = [
            {**row, "tags": list(p.tags), "credentials": {env: bool(environ.get(env)) for _, env in p.secrets}}
            for row, p in zip(rows, platforms, strict=True)
        ]
        return json.dumps(documents, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: spreadsheet_cell(str(v)) for k, v in row.items()} for row in rows)
        return out.getvalue()
    table = [
        [printable(str(r["id"])), printable(str(r["name"])), printable(str(r["tags"])), r["priority"],
         "yes" if r["verified"] else "no", printable(str(r["credentials"]))]
        for r in rows
    ]  # fmt: skip
    headers = ["id", "name", "tags", "priority", "verified", "credentials (environment)"]
    return tabulate(table, headers=headers, tablefmt="simple") + f"\n\n{plural(len(platforms), 'platform')}\n"


def health_counts(reports: Sequence[PlatformHealth]) -> dict[str, int]:
    return {h.value: sum(r.health is h for r in reports) for h in HEALTH_ORDER}


def render_selfcheck(reports: Sequence[PlatformHealth], fmt: str) -> str:
    ordered = sorted(reports, key=lambda r: (HEALTH_ORDER.index(r.health), r.platform))
    counts = health_counts(reports)
    if fmt == "json":
        return json.dumps({"platforms": [r.to_dict() for r in ordered], "summary": counts}, indent=2) + "\n"
    rows = [[printable(r.platform), r.health.value, printable(r.detail, 100)] for r in ordered]
    return (
        tabulate(rows, headers=["platform", "health", "detail"], tablefmt="simple")
        + "\n\n"
        + ", ".join(f"{n} {h}" for h, n in counts.items() if n)
        + "\n"
    )


def render_validation(path: str, catalogue: Catalogue, errors: int) -> str:
    """The summary of `platforms validate` (its errors go to stderr, one a line)."""
    where = printable(path, 200)
    if catalogue.format is not SourceFormat.HANDLECHECK:
        lines = [
            f"{where}: {catalogue.format} database: {plural(len(catalogue.platforms), 'platform')} import, "
            f"{len(catalogue.skipped)} left out"
        ]
        lines += [f"  {printable(s.name, 60)}: {printable(s.reason, 200)}" for s in catalogue.skipped]
        return "\n".join(lines) + "\n"
    if errors:
        return ""
    priority = [p for p in catalogue.platforms if p.priority in HELP_PRIORITIES]
    complete = len(priority) - len(help_gaps(priority))
    return (
        f"{where}: {plural(len(catalogue.platforms), 'platform')}, no errors\n"
        f"help: {complete} of {len(priority)} critical, high and normal platforms say where to report, "
        "recover and get verified\n"
    )
