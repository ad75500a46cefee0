"""`handlecheck init`, `history` and `diff`: the config starter and the stored scans."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..config import CONFIG_NAME, starter
from ..errors import InputError
from ..files import write_atomic
from ..policy import compare
from ..report.history import render_brands, render_diff, render_history
from ..store.baseline import from_history, scans_to_compare
from ..store.history import default_path, no_scans, open_history
from .common import EXIT_OK

DB_HELP = f"history database: a SQLite file, or a postgresql://user@host:port/dbname URL (default {default_path()})"


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise InputError(f"{path} exists already (--force overwrites it)")
    write_atomic(path, starter(args.brand), "config")
    print(f"wrote {path}: edit it, then run: handlecheck scan")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    """A brand's scans; without one, the brands. A brand with no scans is the error `diff` gives."""
    with open_history(args.db, readonly=True) as history:
        if args.brand is None:
            sys.stdout.write(render_brands(history.brands(), history.location, args.format))
            return EXIT_OK
        scans = history.scans(args.brand)
        if not scans:
            raise no_scans(args.brand, history.location)
    sys.stdout.write(render_history(scans, args.format))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    with open_history(args.db, readonly=True) as history:
        pair = scans_to_compare(history, args.brand, args.since, include_partial=args.include_partial)
        older, latest = (from_history(history, scan.id, args.brand) for scan in (pair.older, pair.latest))
    sys.stdout.write(render_diff(pair, compare(older, latest), args.format))
    return EXIT_OK


def add_history_commands(commands: argparse._SubParsersAction[Any]) -> None:
    past = commands.add_parser(
        "history",
        help="the brands in the history, or the stored scans of one",
        description="Without BRAND, list the brands in the history with their number of scans and the time "
        "of the last one. With BRAND, list its scans, newest first; a scan a stop interrupted is marked "
        "partial. Brands match whatever their case or accents (acme, ACME and Acmé are one brand); a brand "
        "with no scans is an error (exit 2), as in diff.",
        epilog="Examples:\n  handlecheck history\n  handlecheck history acme --format json\n"
        "  handlecheck history 'Acme Coffee' --db agency.sqlite\n"
        "  handlecheck history acme --db postgresql://team@db.example:5432/handlecheck",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    past.add_argument("brand", nargs="?", metavar="BRAND", help="the brand (default: list the brands)")
    past.add_argument("--db", metavar="PATH|URL", help=DB_HELP)
    past.add_argument("--format", "-f", choices=("table", "json"), default="table", help="default %(default)s")
    past.set_defaults(run=cmd_history)

    delta = commands.add_parser(
        "diff",
        help="what changed since an earlier scan: new and vanished lookalikes, verdicts that changed",
        description="Compare the brand's latest complete scan with an earlier one (the complete one before "
        "it, or --since a scan id or a date): new and vanished lookalike accounts, and verdicts that changed, "
        "above all available -> taken (someone took the name). Scans a stop interrupted are partial and "
        "left out unless --include-partial; the first line says which two scans are compared.",
        epilog="Examples:\n  handlecheck diff acme\n  handlecheck diff acme --since 2026-11-01 --format markdown\n"
        "  handlecheck diff acme --since 12 --include-partial",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    delta.add_argument("brand", metavar="BRAND", help="the brand (case and accents do not matter)")
    delta.add_argument("--since", metavar="SCAN|DATE", help="a scan id, or a date (YYYY-MM-DD[THH:MM])")
    delta.add_argument("--include-partial", action="store_true", help="compare scans a stop interrupted too")
    delta.add_argument("--db", metavar="PATH|URL", help=DB_HELP)
    delta.add_argument(
        "--format", "-f", choices=("table", "json", "markdown"), default="table", help="default %(default)s"
    )
    delta.set_defaults(run=cmd_diff)

    init = commands.add_parser(
        "init",
        help="write a commented starter handlecheck.yaml",
        description="Write a commented starter config (brand, aliases, owned accounts, e-mail domain, "
        "platforms, depth) for handlecheck scan to read; an existing file is kept unless --force.",
        epilog="Examples:\n  handlecheck init --brand 'Acme Coffee'\n  handlecheck init -o ci/handlecheck.yaml --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("--brand", default="Acme", help="the brand's name (default %(default)s)")
    init.add_argument("-o", "--output", default=CONFIG_NAME, metavar="FILE", help="where (default %(default)s)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(run=cmd_init)
