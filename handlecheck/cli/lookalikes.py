"""`handlecheck lookalikes`: the handles an impersonator would pick, and with --check the accounts."""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from .. import aio
from ..candidates import LAYOUTS, brand_problem, generate, parse_techniques, read_affixes
from ..domain import Depth, Owned, Technique
from ..errors import InputError
from ..models import Result
from ..pipeline.hunt import hunt
from ..registry import load_catalogue, select
from ..report.lookalikes import render_candidates, render_findings
from ..summary import summarise
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
    progress = progress_bar(args)

    def advance(_: Result) -> None:
        progress.update()

    report = aio.run(
        hunt(brand, platforms, depth=depth, owned=owned, own_domains=args.domain, options=http_options(args),
             techniques=techniques, affixes=affixes, keyboards=args.keyboard or LAYOUTS, on_result=advance,
             on_planned=expect(progress))
    )  # fmt: skip
    progress.close()
    summary = summarise(report.results)
    if report_shown(args.output, summary.unreachable):
        with ExitStack() as stack:
            open_output(stack, args.output, "findings").write(render_findings(report, depth, summary, args.format))
    if summary.unreachable:
        say_unreachable(summary.unreachable_cause)
        return EXIT_UNREACHABLE
    return EXIT_OK
