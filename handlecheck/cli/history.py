"""`handlecheck init`, `history` and `diff`: the config starter and the stored scans."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import starter
from ..errors import InputError
from ..files import write_atomic
from ..policy import compare
from ..report.history import render_brands, render_diff, render_history
from ..store.baseline import from_history, scans_to_compare
from ..store.history import History, default_path, no_scans
from .common import EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise InputError(f"{path} exists already (--force overwrites it)")
    write_atomic(path, starter(args.brand), "config")
    print(f"wrote {path}: edit it, then run: handlecheck scan")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    """A brand's scans; without one, the brands. A brand with no scans is the error `diff` gives."""
    with History(args.db or default_path(), readonly=True) as history:
        if args.brand is None:
            sys.stdout.write(render_brands(history.brands(), history.path, args.format))
            return EXIT_OK
        scans = history.scans(args.brand)
        if not scans:
            raise no_scans(args.brand, history.path)
    sys.stdout.write(render_history(scans, args.format))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    with History(args.db or default_path(), readonly=True) as history:
        pair = scans_to_compare(history, args.brand, args.since, include_partial=args.include_partial)
        older, latest = (from_history(history, scan.id, args.brand) for scan in (pair.older, pair.latest))
    sys.stdout.write(render_diff(pair, compare(older, latest), args.format))
    return EXIT_OK
