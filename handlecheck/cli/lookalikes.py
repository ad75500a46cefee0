"""`handlecheck lookalikes`: the handles an impersonator would pick, and with --check the accounts."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from .. import aio
from ..candidates import LAYOUTS, brand_problem, generate, parse_techniques, read_affixes
from ..domain import Depth, Owned, Technique
from ..errors import InputError
from ..models import Result
from ..pipeline.hunt import assemble_hunt, candidate_pairs, hunt
from ..registry import load_catalogue, select
from ..report.lookalikes import render_candidates, render_findings
from ..summary import summarise
from ..text import plural
from .common import (
    EXIT_OK,
    EXIT_UNREACHABLE,
    chosen_platforms,
    domain_platforms_of,
    expect,
    http_options,
    open_output,
    progress_bar,
    report_shown,
    say_unreachable,
    stop_exit,
    stopped,
    with_domains,
)


def cmd_lookalikes(args: argparse.Namespace) -> int:
    brand = args.brand.strip()
    problem = brand_problem(brand)
    if problem is not None:
        raise InputError(problem)
    techniques = parse_techniques(args.techniques)
    affixes = read_affixes(args.affixes)
    if args.check:
        return _hunt(args, brand, techniques, affixes)
    if args.domains or args.tlds:
        raise InputError("--domains and --tlds need --check (domains are checked over RDAP)")
    platform = None
    if args.platform:
        platform = select(load_catalogue(args.platforms, nsfw=args.nsfw).platforms, only=[args.platform])[0]
    candidates = generate(
        brand,
        techniques=techniques,
        affixes=affixes,
        keyboards=args.keyboard or LAYOUTS,
        platform=platform,
        limit=args.max,
    )
    with ExitStack() as stack:
        open_output(stack, args.output, "lookalikes").write(render_candidates(brand, candidates, args.format))
    return EXIT_OK


def _hunt(
    args: argparse.Namespace, brand: str, techniques: tuple[Technique, ...] | None, affixes: tuple[str, ...]
) -> int:
    platforms = chosen_platforms(args)
    if args.domains or args.tlds:  # the candidates that are DNS labels, as domains of each TLD
        platforms = with_domains(platforms, domain_platforms_of(args))
    owned = [Owned.parse(text) for text in args.owned]
    depth = Depth(args.depth)
    keyboards = args.keyboard or LAYOUTS
    progress = progress_bar(args)
    gathered: list[Result] = []

    def advance(result: Result) -> None:
        gathered.append(result)
        progress.update()

    stop: KeyboardInterrupt | None = None
    planned = 0
    try:
        report = aio.run(
            hunt(brand, platforms, depth=depth, owned=owned, own_domains=args.domain, options=http_options(args),
                 techniques=techniques, affixes=affixes, keyboards=keyboards, on_result=advance,
                 on_planned=expect(progress))
        )  # fmt: skip
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: the accounts found so far, judged by name
        stop = exc
        pairs = candidate_pairs(brand, platforms, depth, techniques=techniques, affixes=affixes, keyboards=keyboards)
        report, planned = assemble_hunt(brand, pairs, gathered, owned=owned, own_domains=args.domain), len(pairs)
    progress.close()
    summary = summarise(report.results)
    if report_shown(args.output, summary.unreachable and stop is None):
        with ExitStack() as stack:
            rendered = render_findings(report, depth, summary, args.format, partial=stop is not None)
            open_output(stack, args.output, "findings").write(rendered)
    if stop is not None:
        kept = f"{len(gathered)} of {plural(planned, 'check')}"
        print(f"handlecheck: {stopped(stop)} after {kept}; the accounts found so far are kept, judged by their "
              "names (no profile was read)", file=sys.stderr)  # fmt: skip
        return stop_exit(stop)
    if summary.unreachable:
        say_unreachable(summary.unreachable_cause)
        return EXIT_UNREACHABLE
    return EXIT_OK
