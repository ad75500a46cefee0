"""`handlecheck scan`'s history and CI flags, and `--report FORMAT=PATH`: several reports from one scan."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..net.pool import default_workers
from .history import DB_HELP
from .parser_types import hours

MAX_WORKERS = 64
SCAN_FORMATS = ("table", "markdown", "json", "csv", "html", "junit")


@dataclass(frozen=True, slots=True)
class ReportTarget:
    """One `--report FORMAT=PATH`: a report of the scan in FORMAT, written whole to PATH."""

    format: str
    path: str


def parse_reports(texts: Sequence[str], output: str | None, bulk: bool) -> tuple[ReportTarget, ...]:
    """The `--report FORMAT=PATH` options, refused with `--input` and when two reports (or `-o`)
    would go to one file."""
    if texts and bulk:
        raise InputError("--report is for one brand; with --input the per-brand reports go in --out DIR")
    targets, seen = [], {output} if output else set()
    for text in texts:
        fmt, equals, path = text.partition("=")
        if not equals or not path:
            raise InputError(f"--report {text}: not FORMAT=PATH (e.g. markdown=report.md)")
        if fmt not in SCAN_FORMATS:
            raise InputError(f"--report {text}: {fmt!r} is not a scan format: choose from {', '.join(SCAN_FORMATS)}")
        if path in seen:
            raise InputError(f"--report {text}: {path} is already written by this scan")
        seen.add(path)
        targets.append(ReportTarget(fmt, path))
    return tuple(targets)


def _workers(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"a number of processes from 1 to {MAX_WORKERS}, not {text!r}")
    return number


def add_ci(parser: argparse.ArgumentParser) -> None:
    bulk = parser.add_argument_group("many brands, history and CI")
    bulk.add_argument("--input", metavar="FILE", help="brands to scan: CSV (brand, aliases, owned, email_domain, "
                      "owner), YAML, or - for one brand a line on stdin")  # fmt: skip
    bulk.add_argument("--out", metavar="DIR", help="write one report per brand here (needed with --input)")
    bulk.add_argument("--shard", metavar="K/N", help="scan part K of N of the --input list (a CI matrix: N jobs "
                      "cover it exactly once; a brand stays in its part)")  # fmt: skip
    bulk.add_argument("--workers", type=_workers, metavar="N", help="processes that send the requests, each host in "
                      f"one of them (default: with --input the cores here, {default_workers()}; else 1)")  # fmt: skip
    bulk.add_argument("--broker", metavar="URL", help="send the requests to a fleet's workers instead (`handlecheck "
                      "worker --broker URL` on each machine), e.g. redis://HOST:6379/0; needs HANDLECHECK_BROKER_KEY, "
                      "the fleet's shared secret")  # fmt: skip
    bulk.add_argument("--db", metavar="PATH|URL", help=DB_HELP)
    bulk.add_argument("--no-db", action="store_true", help="keep no history")
    bulk.add_argument("--max-age", type=hours, default=24.0, metavar="HOURS",
                      help="answers younger than this are reused, not asked again (default %(default)s)")  # fmt: skip
    bulk.add_argument("--fail-on", default="never", metavar="POLICY",
                      help="exit 1 when it matches: never, available, lookalike, new-lookalike, changed "
                      "(comma-separated; default %(default)s)")  # fmt: skip
    bulk.add_argument("--baseline", metavar="FILE", help="compare with this JSON baseline instead of the last scan")
    bulk.add_argument("--update-baseline", action="store_true", help="write this scan to the --baseline file")
    bulk.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write the report in FORMAT to PATH, from the same scan (repeatable; one brand only): "
        "--report markdown=report.md --report junit=handlecheck.xml",
    )
    add_evidence_and_alerts(parser)


def add_evidence_and_alerts(parser: argparse.ArgumentParser) -> None:
    kept = parser.add_argument_group("evidence and alerts")
    kept.add_argument("--evidence", metavar="DIR", help="archive each impersonator's page here, a folder per brand "
                      "and scan (default: evidence/ beside the history database; none with --no-db)")  # fmt: skip
    kept.add_argument("--no-evidence", action="store_true", help="archive nothing")
    kept.add_argument("--evidence-all", action="store_true", help="archive every account found, not only impersonators")
    kept.add_argument(
        "--screenshots", action="store_true", help="also a full-page screenshot of each archived page (Chromium)"
    )
    kept.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="send one message per run with every new item to a webhook (JSON), Slack or Teams webhook, or "
        "smtp://host/?to=ADDR (repeatable). Secrets come from the environment: --notify env:SLACK_WEBHOOK_URL, "
        "or ${NAME} inside the URL; the SMTP password from HANDLECHECK_SMTP_PASSWORD",
    )
    kept.add_argument("--notify-on", metavar="POLICY", help="what to send, as --fail-on (default: the --fail-on "
                      "policy, or new-lookalike when that is never); an item is sent once per target")  # fmt: skip
