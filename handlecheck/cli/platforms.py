"""`handlecheck platforms list | validate | import | selfcheck`."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from .. import aio
from ..pipeline.selfcheck import Health, PlatformHealth, selfcheck, write_skip_file
from ..registry import import_file, validate_file
from ..registry.helplinks import help_gaps
from ..report.catalogue import health_counts, render_platform_list, render_selfcheck, render_validation
from ..report.yaml import dump_yaml
from ..text import plural, printable
from .common import (
    EXIT_OK,
    EXIT_POLICY,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    chosen_platforms,
    http_options,
    open_output,
    progress_bar,
    stop_exit,
    stopped,
)


def cmd_platforms_list(args: argparse.Namespace) -> int:
    sys.stdout.write(render_platform_list(chosen_platforms(args), os.environ, args.format))
    return EXIT_OK


def cmd_platforms_validate(args: argparse.Namespace) -> int:
    checked = validate_file(args.file)
    for error in checked.errors:
        print(f"handlecheck: error: {printable(str(error))}", file=sys.stderr)
    if checked.errors:
        count = plural(len(checked.catalogue.platforms), "platform")
        print(f"{args.file}: {plural(len(checked.errors), 'error')}, {count} without errors", file=sys.stderr)
    gaps = [] if checked.errors else help_gaps(checked.catalogue.platforms)  # errors first; gaps once they are fixed
    for platform, lacking in gaps:
        where = f"{printable(args.file, 200)}: {platform.id} ({platform.priority})"
        print(f"handlecheck: warning: {where}: no {', '.join(lacking)} recorded", file=sys.stderr)
    sys.stdout.write(render_validation(args.file, checked.catalogue, len(checked.errors)))
    return EXIT_USAGE if checked.errors else EXIT_OK


def cmd_platforms_import(args: argparse.Namespace) -> int:
    conversion = import_file(args.file, nsfw=args.nsfw)
    catalogue = conversion.catalogue
    header = (
        f"# Converted by handlecheck from {Path(args.file).name} ({catalogue.format} format).\n"
        "# The detection facts come from that database and its licence applies to them.\n"
    )
    document = {"version": 1, "platforms": list(conversion.entries)}
    with ExitStack() as stack:
        out = open_output(stack, args.output, "platform file")
        out.write(header + dump_yaml(document))
    for skipped in catalogue.skipped:
        print(f"handlecheck: left out {printable(skipped.name, 60)}: {printable(skipped.reason, 200)}", file=sys.stderr)
    print(
        f"handlecheck: {len(catalogue.platforms)} platforms converted, {len(catalogue.skipped)} left out",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_platforms_selfcheck(args: argparse.Namespace) -> int:
    platforms = chosen_platforms(args)
    reports: list[PlatformHealth] = []
    progress = progress_bar(args, "platform", len(platforms))

    async def run() -> None:
        async for report in selfcheck(platforms, http_options(args), seed=args.seed):
            reports.append(report)
            progress.update()

    stop: KeyboardInterrupt | None = None
    try:
        aio.run(run())
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: report the platforms checked so far
        stop = exc
    progress.close()
    counts = health_counts(reports)
    with ExitStack() as stack:
        open_output(stack, args.output, "selfcheck report").write(render_selfcheck(reports, args.format))
    if args.skip_file_out:
        written = write_skip_file(args.skip_file_out, reports)
        print(f"handlecheck: {written} broken platform ids written to {args.skip_file_out}", file=sys.stderr)
    if stop is not None:
        kept = f"{len(reports)} of {len(platforms)} platforms; those results are kept"
        print(f"handlecheck: {stopped(stop)} after {kept}", file=sys.stderr)
        return stop_exit(stop)
    if counts[Health.BROKEN.value]:
        return EXIT_POLICY
    if reports and counts[Health.UNREACHABLE.value] == len(reports):
        print("handlecheck: error: no platform could be reached; check the network or --proxy", file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK
