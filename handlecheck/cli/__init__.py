"""The command line: the only package that prints or chooses an exit code. Each command
parses its flags, calls the library, renders with `report/` and picks the exit code.

Exit codes: 0 done, 1 a --fail-on policy matched (selfcheck: a broken rule), 2 usage or input
error, 3 nothing could be reached or the scan is incomplete, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from .. import aio
from ..errors import HandlecheckError
from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .parser import build_parser

__all__ = ["build_parser", "console", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="handlecheck: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except HandlecheckError as exc:
        print(f"handlecheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("handlecheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def console() -> int:
    """The `handlecheck` program: `main` in a process of its own, tuned for it."""
    aio.tune_garbage_collector()
    return main()
