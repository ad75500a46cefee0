"""The command line: the only module that prints or chooses an exit code.

Exit codes: 0 done, 2 usage or input error, 3 nothing could be reached, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import IO

from tabulate import tabulate
from tqdm import tqdm

from . import __version__, aio
from .engine import Checker
from .errors import HandlecheckError, InputError
from .handles import normalise
from .http import DEFAULT_USER_AGENT, HttpOptions
from .models import Platform, Result
from .registry import load_platforms, select
from .report.results import csv_header, csv_line, jsonl_line, render_json, render_table
from .summary import summarise

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130
FORMATS = ("table", "json", "jsonl", "csv")
STREAMING_FORMATS = ("jsonl", "csv")

log = logging.getLogger("handlecheck")


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 86400 seconds")
    return value


def _id_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _add_selection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("platform selection")
    group.add_argument("--platforms", metavar="FILE", help="platform file to use instead of the bundled catalogue")
    group.add_argument("--only", metavar="IDS", type=_id_list, default=[], help="comma-separated platform ids")
    group.add_argument("--tags", metavar="TAGS", type=_id_list, default=[], help="platforms with any of these tags")
    group.add_argument("--exclude", metavar="IDS", type=_id_list, default=[], help="platform ids to leave out")


def _add_http(parser: argparse.ArgumentParser) -> None:
    defaults = HttpOptions()
    group = parser.add_argument_group("network")
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        default=defaults.concurrency,
        help="requests in flight overall (default %(default)s)",
    )
    group.add_argument(
        "--host-concurrency",
        type=_positive_int,
        default=defaults.host_concurrency,
        help="requests in flight per host, unless the platform sets its own (default %(default)s)",
    )
    group.add_argument(
        "--host-interval",
        type=_seconds,
        default=defaults.host_interval,
        metavar="SECONDS",
        help="minimum gap between requests to one host (default %(default)s)",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=defaults.timeout,
        metavar="SECONDS",
        help="per-request timeout (default %(default)s)",
    )
    group.add_argument(
        "--retries",
        type=_non_negative_int,
        default=defaults.retries,
        help="retries after a network error, 429 or 5xx (default %(default)s)",
    )
    group.add_argument(
        "--max-retry-after",
        type=_seconds,
        default=defaults.max_retry_after,
        metavar="SECONDS",
        help="longest Retry-After honoured; a longer one ends the check as rate_limited (default %(default)s)",
    )
    group.add_argument(
        "--max-body",
        type=_positive_int,
        default=defaults.max_body_bytes,
        metavar="BYTES",
        help="bytes of a response body read at most (default %(default)s)",
    )
    group.add_argument(
        "--max-redirects",
        type=_non_negative_int,
        default=defaults.max_redirects,
        help="redirects followed at most (default %(default)s)",
    )
    group.add_argument("--proxy", metavar="URL", help="send every request through this HTTP proxy")
    group.add_argument(
        "--user-agent",
        default=DEFAULT_USER_AGENT,
        metavar="UA",
        help="User-Agent header (default: a current desktop browser)",
    )


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--format", "-f", choices=formats, default=formats[0], help="default %(default)s")
    group.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table (auto: on a terminal, unless NO_COLOR is set)",
    )
    group.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handlecheck",
        description="Check whether a brand's handle is registered on social platforms.",
        epilog="Exit codes: 0 done, 2 usage or input error, 3 no platform could be reached, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"handlecheck {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="check handles on every selected platform",
        description="Ask every selected platform whether each handle is registered. "
        "Verdicts: available, taken, reserved, invalid, unknown (with a reason).",
        epilog="Examples:\n  handlecheck check acme\n  handlecheck check acme acmehq --only github,reddit "
        "--format jsonl\n  handlecheck check acme --tags developer -o acme.csv --format csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("handles", nargs="+", metavar="HANDLE", help="one or more handles (a leading @ is dropped)")
    _add_selection(check)
    _add_http(check)
    _add_output(check, FORMATS)
    check.set_defaults(run=cmd_check)

    platforms = commands.add_parser("platforms", help="list or validate platform files")
    sub = platforms.add_subparsers(dest="platforms_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the platforms of a file (the bundled catalogue by default)")
    _add_selection(listing)
    listing.add_argument("--format", "-f", choices=("table", "json"), default="table")
    listing.set_defaults(run=cmd_platforms_list)
    validate = sub.add_parser("validate", help="check a platform file for errors (exit 2 when it has one)")
    validate.add_argument("file", metavar="FILE")
    validate.set_defaults(run=cmd_platforms_validate)
    return parser


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


def _chosen_platforms(args: argparse.Namespace) -> tuple[Platform, ...]:
    return select(load_platforms(args.platforms), only=args.only, tags=args.tags, exclude=args.exclude)


def _http_options(args: argparse.Namespace) -> HttpOptions:
    return HttpOptions(
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        host_interval=args.host_interval,
        timeout=args.timeout,
        retries=args.retries,
        max_retry_after=args.max_retry_after,
        max_body_bytes=args.max_body,
        max_redirects=args.max_redirects,
        proxy=args.proxy,
        user_agent=args.user_agent,
    )


def _open_output(stack: ExitStack, path: str | None) -> IO[str]:
    if path is None:
        return sys.stdout
    try:
        return stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _use_color(args: argparse.Namespace, out: IO[str]) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    return out.isatty() and "NO_COLOR" not in os.environ


def cmd_check(args: argparse.Namespace) -> int:
    handles = list(dict.fromkeys(normalise(h) for h in args.handles))
    platforms = _chosen_platforms(args)
    options = _http_options(args)
    results: list[Result] = []
    interrupted = False
    started = time.monotonic()
    with ExitStack() as stack:
        out = _open_output(stack, args.output)
        streaming = args.format in STREAMING_FORMATS
        if args.format == "csv":
            out.write(csv_header())
        progress = tqdm(
            total=len(handles) * len(platforms),
            unit="check",
            file=sys.stderr,
            disable=args.no_progress or not sys.stderr.isatty(),
            leave=False,
        )
        stack.callback(progress.close)

        def record(result: Result) -> None:
            results.append(result)
            progress.update()
            if streaming:
                out.write(jsonl_line(result) if args.format == "jsonl" else csv_line(result))
                out.flush()

        try:
            aio.run(_collect(handles, platforms, options, record))
        except KeyboardInterrupt:
            interrupted = True
        progress.close()
        summary = summarise(results, time.monotonic() - started)
        unreachable = summary.unreachable and not interrupted
        if not streaming and (args.output or not unreachable):
            if args.format == "json":
                out.write(render_json(results, summary))
            else:
                by_id = {p.id: p for p in platforms}
                out.write(render_table(results, summary, by_id, color=_use_color(args, out)))
    if interrupted:
        total = len(handles) * len(platforms)
        print(
            f"handlecheck: interrupted after {len(results)} of {total} checks; those results are kept", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    if unreachable:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.unknown_reasons.items())
        print(
            f"handlecheck: error: no platform could be reached ({reasons}); check the network or --proxy",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    return EXIT_OK


async def _collect(
    handles: Sequence[str],
    platforms: Sequence[Platform],
    options: HttpOptions,
    record: Callable[[Result], None],
) -> None:
    async with Checker(options) as checker:
        async for result in checker.run(handles, platforms):
            record(result)


def cmd_platforms_list(args: argparse.Namespace) -> int:
    platforms = _chosen_platforms(args)
    if args.format == "json":
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "tags": list(p.tags),
                "priority": p.priority.value,
                "verified": p.verified,
                "profile": p.urls.profile,
            }
            for p in platforms
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    table = [[p.id, p.name, ",".join(p.tags), p.priority.value, "yes" if p.verified else "no"] for p in platforms]
    print(tabulate(table, headers=["id", "name", "tags", "priority", "verified"], tablefmt="simple"))
    print(f"\n{len(platforms)} platforms")
    return EXIT_OK


def cmd_platforms_validate(args: argparse.Namespace) -> int:
    platforms = load_platforms(args.file)
    print(f"{args.file}: {len(platforms)} platforms, no errors")
    return EXIT_OK
