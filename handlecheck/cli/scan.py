"""`handlecheck scan`: the whole job, for one brand or many, with history and CI policy."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import aio
from ..brands import read_brands
from ..candidates import Brand
from ..config import Config, find_config, load_config, overlay
from ..domain import Depth, Owned, ScanReport
from ..errors import InputError
from ..models import Platform, Result
from ..pipeline.bulk import BrandOutcome, BulkScan
from ..policy import FailOn, parse_policies
from ..report.bulk import render_bulk_summary
from ..report.junit import render_junit
from ..report.scan import render_csv as render_scan_csv
from ..report.scan import render_html, render_markdown
from ..report.scan import render_json as render_scan_json
from ..report.scan import render_table as render_scan_table
from ..store.baseline import read_baseline, write_baseline
from ..store.history import History, default_path
from ..summary import summarise
from .common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_POLICY,
    EXIT_UNREACHABLE,
    chosen_platforms,
    expect,
    http_options,
    open_output,
    say_unreachable,
)

EXTENSIONS = {"table": "txt", "markdown": "md", "json": "json", "csv": "csv", "html": "html", "junit": "xml"}


SCAN_RENDERERS: dict[str, Callable[[ScanReport], str]] = {
    "table": render_scan_table, "markdown": render_markdown, "json": render_scan_json,
    "csv": render_scan_csv, "html": render_html, "junit": lambda report: render_junit([report]),
}  # fmt: skip


def cmd_scan(args: argparse.Namespace) -> int:
    policies = parse_policies(args.fail_on)
    if args.input:
        if not args.out:
            raise InputError("--input needs --out DIR for the per-brand reports")
        if args.baseline:
            raise InputError("--baseline holds one brand; with --input the history database is the baseline")
        configs = [replace(c, depth=Depth(args.depth)) if args.depth else c for c in read_brands(args.input)]
        if not configs:
            raise InputError(f"{args.input}: no brands")
    else:
        path = find_config(args.config)
        if path is None and not args.brand:
            raise InputError("no brand: give one (handlecheck scan acme) or write a config (handlecheck init)")
        config = overlay(
            load_config(path) if path is not None else None,
            brand=args.brand,
            aliases=args.alias,
            owned=[Owned.parse(text) for text in args.owned],
            email_domain=args.email_domain,
            domains=args.domain,
            depth=Depth(args.depth) if args.depth else None,
        )
        if not Brand.parse(config.brand).handle:
            raise InputError(f"brand {config.brand[:60]!r} has no letters or digits")
        configs = [config]
    platforms = chosen_platforms(args, configs[0] if not args.input else None)
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    with ExitStack() as stack:
        history = None if args.no_db else stack.enter_context(History(args.db or default_path()))
        bar = tqdm(unit="check", file=sys.stderr, disable=args.no_progress or not sys.stderr.isatty(), leave=False)
        stack.callback(bar.close)
        run = _BulkRun(args, platforms, history, bar, out_dir, policies)
        try:
            aio.run(run.scan_all(configs))
        except KeyboardInterrupt:
            written = run.write_partial()
            print(f"handlecheck: interrupted; partial reports written for {written} brands, "
                  "the rest resumes on the next run", file=sys.stderr)  # fmt: skip
            return EXIT_INTERRUPTED
        bar.close()
        run.finish()
        for line in run.violations:
            print(f"handlecheck: fail: {line}", file=sys.stderr)
        if run.violations:
            return EXIT_POLICY
        if run.unreachable is not None:
            say_unreachable(run.unreachable)
            return EXIT_UNREACHABLE
        if run.incomplete:  # whatever the policy: an incomplete scan never passes as clean
            names = ", ".join(run.incomplete[:10])
            print(f"handlecheck: incomplete: too many unknown answers on critical/high platforms ({names})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_UNREACHABLE
    return EXIT_OK


class _BulkRun:
    """The command line's side of a scan over one or many brands: progress, report files and
    the summary table. The scanning, the history and the policy are `bulk.BulkScan`'s."""

    def __init__(
        self, args: argparse.Namespace, platforms: Sequence[Platform], history: History | None, bar: tqdm[Any],
        out_dir: Path | None, policies: frozenset[FailOn],
    ) -> None:  # fmt: skip
        self.args = args
        self.bar = bar
        self.out_dir = out_dir
        self.scanner = BulkScan(
            platforms,
            options=http_options(args),
            history=history,
            max_age=timedelta(hours=args.max_age),
            baseline=read_baseline(args.baseline) if args.baseline else None,
            compare_with_history=not args.baseline,
            policies=policies,
            on_result=self._advance,
            on_planned=expect(bar),
        )
        self.violations: list[str] = []
        self.incomplete: list[str] = []
        self.unreachable: str | None = None  # why nothing answered, in a one-brand run
        self.written: list[ScanReport] = []
        self.bulk = out_dir is not None and bool(args.input)
        self.brands_done = 0

    def _advance(self, _: Result) -> None:
        self.bar.update()

    async def scan_all(self, configs: Sequence[Config]) -> None:
        async for outcome in self.scanner.run(configs):
            self.brands_done += 1
            self.bar.set_postfix_str(f"{self.brands_done}/{len(configs)} brands", refresh=False)
            self._conclude(outcome)

    def _conclude(self, outcome: BrandOutcome) -> None:
        report = outcome.report
        self.violations += outcome.violations
        if report.incomplete:
            self.incomplete.append(report.brand)
        mine = summarise(r for r in report.results if r.handle == report.handle)
        if not self.bulk and mine.unreachable:
            self.unreachable = mine.unreachable_cause
        if self.args.baseline and self.args.update_baseline:
            write_baseline(self.args.baseline, outcome.snapshot)
        self._write(report)

    def _write(self, report: ScanReport) -> None:
        fmt = self.args.format
        if not self.bulk:
            with ExitStack() as stack:
                open_output(stack, self.args.output).write(SCAN_RENDERERS[fmt](report))
            return
        assert self.out_dir is not None
        name = Brand.parse(report.brand).handle or "brand"
        (self.out_dir / f"{name}.{EXTENSIONS[fmt]}").write_text(SCAN_RENDERERS[fmt](report), encoding="utf-8")
        self.written.append(report)

    def finish(self) -> None:
        if not self.bulk:
            return
        with ExitStack() as stack:
            out = open_output(stack, self.args.output)
            if self.args.format == "junit":
                out.write(render_junit(self.written))
            else:
                out.write(render_bulk_summary(self.written, str(self.out_dir)))

    def write_partial(self) -> int:
        """Reports for the brands a Ctrl-C stopped, from what they had gathered; how many."""
        partial = self.scanner.partial_reports()
        for report in partial:
            self._write(report)
        self.finish()
        return len(partial)
