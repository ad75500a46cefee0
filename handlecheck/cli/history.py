"""`handlecheck init`, `history` and `diff`: the config starter and the stored scans."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import starter
from ..errors import InputError
from ..files import write_atomic
from ..policy import compare
from ..report.history import render_diff, render_history
from ..store.baseline import earlier_scan, from_history
from ..store.history import History, default_path
from .common import EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise InputError(f"{path} exists already (--force overwrites it)")
    write_atomic(path, starter(args.brand), "config")
    print(f"wrote {path}: edit it, then run: handlecheck scan")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    with History(args.db or default_path(), readonly=True) as history:
        scans = history.scans(args.brand)
    sys.stdout.write(render_history(args.brand, scans, args.format))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    with History(args.db or default_path(), readonly=True) as history:
        scans = history.scans(args.brand)
        if not scans:
            raise InputError(f"no scans of {args.brand} in the history")
        latest = scans[0]
        older = earlier_scan(scans, latest, args.since)
        changes = compare(from_history(history, older.id, args.brand), from_history(history, latest.id, args.brand))
    sys.stdout.write(render_diff(args.brand, older, latest, changes, args.format))
    return EXIT_OK
