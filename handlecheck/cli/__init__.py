"""The command line: the only package that prints or chooses an exit code. Each command
parses its flags, calls the library, renders with `report/` and picks the exit code.

Exit codes: 0 done, 1 a --fail-on policy matched (selfcheck: a broken rule), 2 usage or input
error, 3 nothing could be reached or the scan is incomplete, 130 interrupted (Ctrl-C), 143 and
129 stopped by SIGTERM and SIGHUP (each as Ctrl-C: the partial report is written).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from .. import aio
from ..errors import HandlecheckError
from ..text import printable
from .common import EXIT_OK, EXIT_USAGE, stop_exit, stopped
from .parser import build_parser
from .stdout import guarded_stdout, hold_standard_descriptors

__all__ = ["build_parser", "console", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        with guarded_stdout():
            args = parser.parse_args(argv)
            logging.basicConfig(
                level=logging.DEBUG if args.verbose else logging.WARNING,
                format="handlecheck: %(levelname)s: %(message)s",
                stream=sys.stderr,
            )
            run: Callable[[argparse.Namespace], int] = args.run
            return run(args)
    except HandlecheckError as exc:
        print(f"handlecheck: error: {printable(str(exc))}", file=sys.stderr)  # it may quote a file's text
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        print(f"handlecheck: {stopped(stop)}", file=sys.stderr)
        return stop_exit(stop)
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def console() -> int:
    """The `handlecheck` program: `main` in a process of its own, tuned for it, and stopped
    by SIGTERM and SIGHUP as by Ctrl-C (a signal while reports are written leaves no half)."""
    hold_standard_descriptors()
    aio.tune_garbage_collector()
    aio.stop_on_signals()
    return main()
