"""`handlecheck check`: handles on every selected platform."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, aclosing

from .. import aio
from ..api import check
from ..models import Platform, Result
from ..net.http import HttpOptions
from ..report.results import csv_header, csv_line, jsonl_line, render_json, render_table
from ..rules.handles import normalise
from ..summary import summarise
from .common import (
    EXIT_OK,
    EXIT_UNREACHABLE,
    STREAMING_FORMATS,
    chosen_platforms,
    http_options,
    open_output,
    progress_bar,
    report_shown,
    say_unreachable,
    stop_exit,
    stopped,
    terminal_width,
    use_color,
)


def cmd_check(args: argparse.Namespace) -> int:
    handles = list(dict.fromkeys(normalise(h) for h in args.handles))
    platforms = chosen_platforms(args)
    options = http_options(args)
    results: list[Result] = []
    stop: KeyboardInterrupt | None = None
    started = time.monotonic()
    with ExitStack() as stack:
        out = open_output(stack, args.output, "results")  # streamed to a temporary file, renamed at the end
        streaming = args.format in STREAMING_FORMATS
        if args.format == "csv":
            out.write(csv_header())
        progress = progress_bar(args, total=len(handles) * len(platforms))
        stack.callback(progress.close)

        def record(result: Result) -> None:
            results.append(result)
            progress.update()
            if streaming:
                out.write(jsonl_line(result) if args.format == "jsonl" else csv_line(result))
                out.flush()

        try:
            aio.run(_collect(args.handles, platforms, options, record))
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: keep what was gathered
            stop = exc
        progress.close()
        summary = summarise(results, time.monotonic() - started)
        unreachable = summary.unreachable and stop is None
        if not streaming and report_shown(args.output, unreachable):
            if args.format == "json":
                out.write(render_json(results, summary))
            else:
                by_id = {p.id: p for p in platforms}
                width = terminal_width(out)
                out.write(render_table(results, summary, by_id, color=use_color(args, out), width=width))
    if stop is not None:
        total = len(handles) * len(platforms)
        print(
            f"handlecheck: {stopped(stop)} after {len(results)} of {total} checks; those results are kept",
            file=sys.stderr,
        )
        return stop_exit(stop)
    if unreachable:
        say_unreachable(summary.unreachable_cause)
        return EXIT_UNREACHABLE
    return EXIT_OK


async def _collect(
    handles: Sequence[str],
    platforms: Sequence[Platform],
    options: HttpOptions,
    record: Callable[[Result], None],
) -> None:
    """`handlecheck.check` on the handles as typed (it normalises them itself)."""
    async with aclosing(check(handles, platforms, options=options)) as results:
        async for result in results:
            record(result)
