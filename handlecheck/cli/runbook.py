"""`handlecheck runbook`: the plan a company hands its staff before a crisis, from the config and
the platform catalogue (and, with --db, the names the brand's latest scan found free)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from ..api import runbook
from ..config import Config, Selection, brand_note, find_config, load_config
from ..errors import InputError
from ..report.runbook import RUNBOOK_FORMATS, render_runbook
from ..store.history import open_history
from ..text import printable
from .common import EXIT_OK, open_output


def add_runbook_command(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "runbook",
        help="every account, its owners, 2FA, recovery/report/verification links, and whom to call: one page",
        description="Print the brand's runbook: every account it owns or should register, with its owner and "
        "backup owner, sign-in e-mail, two-factor and password-manager status as the config records them, the "
        "platform's account-recovery, impersonation-report and verification help, and the emergency contacts. "
        "Built from handlecheck.yaml (--config, $HANDLECHECK_CONFIG, or the nearest one upward) and the platform "
        "catalogue, with no network; what neither records reads 'not recorded'. The html page prints on one sheet.",
        epilog="Examples:\n  handlecheck runbook\n  handlecheck runbook --format html -o runbook.html\n"
        "  handlecheck runbook acme --db ~/.local/share/handlecheck/history.sqlite --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("brand", nargs="?", metavar="BRAND", help="the brand (default: from the config file)")
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: $HANDLECHECK_CONFIG or ./handlecheck.yaml upward)"
    )
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="also list the names the brand's latest scan in this history (a SQLite "
        "file or a postgresql:// URL) found free",
    )
    parser.add_argument("--platforms", metavar="FILE", help="platform file to use instead of the bundled catalogue")
    parser.add_argument(
        "--add-platforms", metavar="FILE", action="append", default=[], help="add the platforms of FILE (repeatable)"
    )
    parser.add_argument("--format", "-f", choices=RUNBOOK_FORMATS, default="markdown", help="default %(default)s")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the runbook here instead of stdout")
    parser.set_defaults(run=cmd_runbook)


def cmd_runbook(args: argparse.Namespace) -> int:
    path = find_config(args.config)
    if path is None and not args.brand:
        raise InputError("no brand: give one (handlecheck runbook acme) or write a config (handlecheck init)")
    base = load_config(path) if path is not None else Config(brand=args.brand)
    note = brand_note(base, args.brand)
    if note is not None:
        print(f"handlecheck: note: {printable(note)}", file=sys.stderr)
    flags = Selection(file=args.platforms, add=tuple(args.add_platforms))
    config = replace(base, selection=base.selection.overridden_by(flags))
    with ExitStack() as stack:
        history = stack.enter_context(open_history(args.db, readonly=True)) if args.db else None
        book = runbook(args.brand, config=config, history=history)
    with ExitStack() as stack:
        open_output(stack, args.output, "runbook").write(render_runbook(book, args.format))
    return EXIT_OK
