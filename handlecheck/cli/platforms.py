"""`handlecheck platforms list | validate | import | selfcheck`."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack, aclosing
from dataclasses import replace
from pathlib import Path

from .. import aio
from ..files import storage_error, write_atomic
from ..models import HttpRequest, HttpResponse
from ..net.http import HttpClient
from ..net.sending import FetchError
from ..pipeline.selfcheck import Health, PlatformHealth, selfcheck, write_skip_file
from ..registry import import_file, validate_file
from ..registry.domains import (
    IANA_BOOTSTRAP_URL,
    MAX_BOOTSTRAP_BYTES,
    downloaded_path,
    load_bootstrap,
    parse_bootstrap,
)
from ..registry.helplinks import help_gaps
from ..report.catalogue import health_counts, render_platform_list, render_selfcheck, render_validation
from ..report.yaml import dump_yaml
from ..summary import summarise
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
    report_shown,
    say_unreachable,
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
        async with aclosing(selfcheck(platforms, http_options(args), seed=args.seed)) as healths:
            async for report in healths:
                reports.append(report)
                progress.update()

    stop: KeyboardInterrupt | None = None
    try:
        aio.run(run())
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: report the platforms checked so far
        stop = exc
    progress.close()
    counts = health_counts(reports)
    asked = summarise(r for report in reports for r in (report.canary, report.control) if r is not None)
    unreachable = asked.unreachable and stop is None
    if report_shown(args.output, unreachable):
        with ExitStack() as stack:
            open_output(stack, args.output, "selfcheck report").write(render_selfcheck(reports, args.format))
    if args.skip_file_out:
        written = write_skip_file(args.skip_file_out, reports)
        earlier = f" ({written.kept} kept from before: not judged this run)" if written.kept else ""
        print(f"handlecheck: {written.broken} broken platform ids written to {args.skip_file_out}{earlier}",
              file=sys.stderr)  # fmt: skip
    if stop is not None:
        kept = f"{len(reports)} of {len(platforms)} platforms; those results are kept"
        print(f"handlecheck: {stopped(stop)} after {kept}", file=sys.stderr)
        return stop_exit(stop)
    if unreachable:
        say_unreachable(asked.unreachable_cause)
        return EXIT_UNREACHABLE
    if counts[Health.BROKEN.value]:
        return EXIT_POLICY
    return EXIT_OK


def cmd_platforms_rdap_bootstrap(args: argparse.Namespace) -> int:
    """Download an RDAP bootstrap file (IANA's by default), check it, and keep it where later
    runs look (the user's data folder) or in -o FILE."""
    options = replace(http_options(args), max_body_bytes=MAX_BOOTSTRAP_BYTES)
    request = HttpRequest("GET", args.url, (("Accept", "application/json"),))

    async def download() -> HttpResponse:
        async with HttpClient(options) as client:
            return await client.fetch(request)

    try:
        response = aio.run(download())
    except FetchError as exc:
        print(f"handlecheck: error: {printable(args.url, 200)}: {printable(exc.detail, 300)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if response.status != 200 or response.truncated:
        why = "more than the size cap" if response.truncated else f"status {response.status}"
        print(f"handlecheck: error: {printable(args.url, 200)} answered {why}", file=sys.stderr)
        return EXIT_UNREACHABLE
    text = response.body.decode("utf-8", errors="replace")
    bootstrap = parse_bootstrap(text, source=args.url)  # not a bootstrap file: a ConfigError, exit 2
    target = Path(args.output) if args.output else downloaded_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error("the RDAP bootstrap into", target.parent, exc) from None
    write_atomic(target, text, "RDAP bootstrap")
    tlds = plural(len(bootstrap.servers), "TLD")
    print(f"handlecheck: RDAP bootstrap published {printable(bootstrap.publication, 40)} ({tlds}) written to {target}",
          file=sys.stderr)  # fmt: skip
    if not args.output and load_bootstrap(environ={}).publication != bootstrap.publication:
        print("handlecheck: note: the shipped copy is newer and stays in use", file=sys.stderr)
    return EXIT_OK


def add_rdap_bootstrap(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """`platforms rdap-bootstrap`'s parser (the caller adds the network flags)."""
    refresh = actions.add_parser(
        "rdap-bootstrap",
        help="download IANA's RDAP bootstrap file: which server answers for each TLD's domains",
        description="Download the RDAP bootstrap file (RFC 9224) that says which RDAP server answers for each "
        "TLD, check it, and keep it in the user's data folder: later runs use the newer (by its publication "
        "date) of that copy and the one handlecheck ships.",
        epilog="Examples:\n  handlecheck platforms rdap-bootstrap\n  handlecheck platforms rdap-bootstrap -o dns.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    refresh.add_argument("--url", default=IANA_BOOTSTRAP_URL, help="where to download it from (default %(default)s)")
    refresh.add_argument("-o", "--output", metavar="FILE", help=f"write it here instead (default {downloaded_path()})")
    refresh.set_defaults(run=cmd_platforms_rdap_bootstrap)
    return refresh
