"""`handlecheck evidence verify DIR`: has any archived evidence changed since it was written?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..evidence.verify import FileState, verify
from ..text import plural, printable
from .common import EXIT_OK, EXIT_POLICY


def add_evidence_command(commands: argparse._SubParsersAction[Any]) -> None:
    evidence = commands.add_parser(
        "evidence",
        help="check the evidence a scan archived (WARC files, screenshots) against its recorded hashes",
        description="Work with the evidence folders that scan writes (--evidence DIR): a folder per brand and "
        "scan, holding a WARC file per finding, screenshots, and a manifest of their SHA-256 hashes.",
        epilog="Examples:\n  handlecheck evidence verify ~/.local/share/handlecheck/evidence\n"
        "  handlecheck evidence verify evidence/acme-1a2b3c4d5e6f --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = evidence.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "verify",
        help="recompute every hash under DIR and say which files changed (exit 1 when one did)",
        description="Recompute the SHA-256 of every file each manifest under DIR lists, and every digest inside "
        "each WARC file, and check that each archived page is the one whose hash the scan reported. Lists "
        "changed and missing files (exit 1), and files no manifest lists (a note, exit 0).",
        epilog="Examples:\n  handlecheck evidence verify evidence/\n  handlecheck evidence verify evidence/ -f json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("folder", metavar="DIR", help="an evidence folder, or a folder of them")
    check.add_argument("--format", "-f", choices=("table", "json"), default="table", help="default %(default)s")
    check.set_defaults(run=cmd_evidence_verify)


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    checks = verify(Path(args.folder))
    problems = [c for c in checks if c.state.is_problem]
    if args.format == "json":
        rows = [{"path": str(c.path), "state": c.state.value, "detail": c.detail} for c in checks]
        print(json.dumps({"files": rows, "problems": len(problems)}, indent=2, ensure_ascii=False))
    else:
        for check in checks:
            if check.state is not FileState.INTACT:
                print(printable(check.describe(), 500))
        intact = sum(c.state is FileState.INTACT for c in checks)
        print(f"{plural(intact, 'file')} intact, {len(problems)} changed or missing")
    if problems:
        print(f"handlecheck: evidence changed: {plural(len(problems), 'file')} under {args.folder}", file=sys.stderr)
        return EXIT_POLICY
    return EXIT_OK
