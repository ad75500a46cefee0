"""`handlecheck scan`: the whole job, for one brand or many, with history and CI policy."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack, aclosing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import aio
from ..alerts import Alert
from ..brands import Shard, read_brands
from ..broker import Broker
from ..candidates import brand_problem
from ..config import Config, brand_note, find_config, load_config, overlay
from ..domain import Depth, Owned, ScanReport
from ..errors import InputError, StorageError
from ..evidence.keeper import EvidencePlan, Scope
from ..files import storage_error, write_atomic
from ..models import Platform, Result
from ..net.pool import default_workers
from ..notify.targets import Target, parse_target
from ..pipeline.alerting import notify_run
from ..pipeline.bulk import BrandOutcome, BulkScan
from ..policy import FailOn, parse_policies
from ..report.bulk import BulkRow, bulk_summary_lines, report_file_name
from ..report.junit import JUNIT_HEAD, JUNIT_TAIL, junit_suite, render_junit
from ..report.scan import render_csv as render_scan_csv
from ..report.scan import render_html, render_markdown
from ..report.scan import render_json as render_scan_json
from ..report.scan import render_table as render_scan_table
from ..runbook import scan_runbook
from ..store.baseline import read_baseline, write_baseline
from ..store.history import History, default_path, open_history
from ..store.spool import SortedSpool
from ..store.urls import is_postgres_url
from ..summary import summarise
from ..text import plural, printable
from .common import (
    EXIT_OK,
    EXIT_POLICY,
    EXIT_UNREACHABLE,
    chosen_platforms,
    expect,
    http_options,
    open_output,
    progress_bar,
    report_shown,
    say_unreachable,
    scan_domains,
    stop_exit,
    stopped,
    terminal_width,
    use_color,
    with_domains,
)
from .scan_args import ReportTarget, parse_reports

EXTENSIONS = {"table": "txt", "markdown": "md", "json": "json", "csv": "csv", "html": "html", "junit": "xml"}


SCAN_RENDERERS: dict[str, Callable[[ScanReport], str]] = {
    "table": render_scan_table, "markdown": render_markdown, "json": render_scan_json,
    "csv": render_scan_csv, "html": render_html, "junit": lambda report: render_junit([report]),
}  # fmt: skip


def _render(fmt: str, report: ScanReport, config: Config | None) -> str:
    """A scan report; the markdown and html ones end with the brand's runbook (its config's
    accounts and contacts, and the names the scan found free)."""
    if config is not None and fmt in ("markdown", "html"):
        renderer = render_markdown if fmt == "markdown" else render_html
        return renderer(report, scan_runbook(config, report))
    return SCAN_RENDERERS[fmt](report)


def _alert_policies(args: argparse.Namespace, policies: frozenset[FailOn]) -> frozenset[FailOn]:
    """What --notify sends: --notify-on, else the --fail-on policy, else new impersonators."""
    if not args.notify:
        return frozenset()
    if args.notify_on:
        return parse_policies(args.notify_on, "--notify-on")
    return frozenset({FailOn.NEW_LOOKALIKE}) if FailOn.NEVER in policies else policies


def _evidence_plan(args: argparse.Namespace) -> EvidencePlan | None:
    """Where evidence goes: --evidence, else beside the history (none with --no-db, which keeps
    nothing on disk, unless --evidence says where)."""
    if args.no_evidence or (args.no_db and not args.evidence):
        return None
    beside = default_path() if not args.db or is_postgres_url(args.db) else Path(args.db)  # a URL has no folder
    root = Path(args.evidence) if args.evidence else beside.parent / "evidence"
    scope = Scope.ALL if args.evidence_all else Scope.IMPERSONATORS
    return EvidencePlan(root, scope, screenshots=args.screenshots, proxy=args.proxy)


def cmd_scan(args: argparse.Namespace) -> int:
    policies = parse_policies(args.fail_on)
    targets = [parse_target(text, os.environ) for text in args.notify]  # refused before the scan, not after
    reports = parse_reports(args.report, args.output, bool(args.input))
    if args.broker and args.workers:
        raise InputError("--broker and --workers: with a broker the fleet's workers send the requests; give one")
    if args.input:
        if not args.out:
            raise InputError("--input needs --out DIR for the per-brand reports")
        if args.baseline:
            raise InputError("--baseline holds one brand; with --input the history database is the baseline")
        shard = Shard.parse(args.shard) if args.shard else None
        brands = read_brands(args.input, shard)  # checked whole here, then read again a brand at a time
        if not brands and shard is None:
            raise InputError(f"{args.input}: no brands")
        depth = Depth(args.depth) if args.depth else None
        configs: Iterable[Config] = (replace(c, depth=depth) if depth else c for c in brands)
        total, single = len(brands), None
        listed: Iterable[Config] = brands
    else:
        if args.shard:
            raise InputError("--shard splits a brand list: it needs --input")
        path = find_config(args.config)
        if path is None and not args.brand:
            raise InputError("no brand: give one (handlecheck scan acme) or write a config (handlecheck init)")
        base = load_config(path) if path is not None else None
        note = brand_note(base, args.brand)
        if note is not None:
            print(f"handlecheck: note: {printable(note)}", file=sys.stderr)
        config = overlay(
            base,
            brand=args.brand,
            aliases=args.alias,
            owned=[Owned.parse(text) for text in args.owned],
            email_domain=args.email_domain,
            domains=args.domain,
            depth=Depth(args.depth) if args.depth else None,
            fediverse=args.fediverse,
        )
        problem = brand_problem(config.brand)
        if problem is not None:
            raise InputError(problem)
        configs, total, single, listed = [config], 1, config, ()
    platforms = with_domains(chosen_platforms(args, single, brands=listed), scan_domains(args, single))
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error("reports into", out_dir, exc) from None
    with ExitStack() as stack:
        history = None if args.no_db else stack.enter_context(open_history(args.db))
        bar = progress_bar(args)
        stack.callback(bar.close)
        spool = stack.enter_context(SortedSpool()) if args.input else None  # each brand's line, on disk
        run = _BulkRun(args, platforms, history, bar, out_dir, policies, spool, reports)
        try:
            aio.run(run.scan_all(configs, total), uvloop=args.broker is None)
        except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM, SIGHUP
            written = run.write_partial()
            after = "the next run resumes from the history" if history else "--no-db kept nothing to resume from"
            print(f"handlecheck: {stopped(stop)}; partial reports written for {plural(written, 'brand')}; {after}",
                  file=sys.stderr)  # fmt: skip
            return stop_exit(stop)
        except StorageError as exc:  # e.g. the history's disk is full: report what was gathered
            written = run.write_partial()
            if not written:
                raise
            print(f"handlecheck: error: {printable(str(exc))}; partial reports written for {plural(written, 'brand')}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_UNREACHABLE  # the scan is incomplete
        bar.close()
        run.finish()
        run.tell(targets)
        for line in run.violations:  # brands, handles and reasons from files and servers: made printable
            print(f"handlecheck: fail: {printable(line, 500)}", file=sys.stderr)
        if run.violations:
            return EXIT_POLICY
        if run.unreachable is not None:
            say_unreachable(run.unreachable)
            return EXIT_UNREACHABLE
        if run.incomplete_count:  # whatever the policy: an incomplete scan never passes as clean
            names = ", ".join(printable(name, 60) for name in run.incomplete[:10])
            more = f" and {run.incomplete_count - 10} more" if run.incomplete_count > 10 else ""
            print(f"handlecheck: incomplete: too many unknown answers on critical/high platforms ({names}{more})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_UNREACHABLE
    return EXIT_OK


class _BulkRun:
    """The command line's side of a scan over one or many brands: progress, report files and
    the summary table. The scanning, the history and the policy are `bulk.BulkScan`'s."""

    def __init__(
        self, args: argparse.Namespace, platforms: Sequence[Platform], history: History | None, bar: tqdm[Any],
        out_dir: Path | None, policies: frozenset[FailOn], spool: SortedSpool | None = None,
        reports: Sequence[ReportTarget] = (),
    ) -> None:  # fmt: skip
        self.args = args
        self.bar = bar
        self.out_dir = out_dir
        self.reports = reports  # --report FORMAT=PATH, one brand only
        self.history = history
        self.alerts: list[Alert] = []
        self.started_at = datetime.now(UTC)
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
            alert_on=_alert_policies(args, policies),
            evidence=_evidence_plan(args),
            workers=args.workers or (default_workers() if args.input else 1),
            broker=Broker.from_environment(args.broker, os.environ) if args.broker else None,
        )
        self.violations: list[str] = []
        self.incomplete: list[str] = []  # the first ten brands whose scan is incomplete
        self.incomplete_count = 0
        self.unreached = 0  # brands of which no platform answered
        self._unreached_cause: str | None = None
        self.spool = spool  # with --input: each brand's summary line (or junit <testsuite>), not its report
        self.bulk = out_dir is not None and bool(args.input)
        self.brands_done = 0

    @property
    def unreachable(self) -> str | None:
        """Why no platform answered, when none did for any brand (a machine offline)."""
        return self._unreached_cause if self.unreached == self.brands_done else None

    def _advance(self, _: Result) -> None:
        self.bar.update()

    async def scan_all(self, configs: Iterable[Config], total: int) -> None:
        async with aclosing(self.scanner.run(configs)) as outcomes:  # closed here if a report fails
            async for outcome in outcomes:
                self.brands_done += 1
                self.bar.set_postfix_str(f"{self.brands_done}/{total} brands", refresh=False)
                self._conclude(outcome)

    def _conclude(self, outcome: BrandOutcome) -> None:
        report = outcome.report
        self.violations += outcome.violations
        self.alerts += outcome.alerts
        if report.incomplete:
            self.incomplete_count += 1
            if len(self.incomplete) < 10:
                self.incomplete.append(report.brand)
        mine = summarise(r for r in report.results if r.handle == report.handle)
        if mine.unreachable:
            self.unreached += 1
            self._unreached_cause = self._unreached_cause or mine.unreachable_cause
        if self.args.baseline and self.args.update_baseline:
            write_baseline(self.args.baseline, outcome.snapshot)
        self._write(report, outcome.config)

    def _write(self, report: ScanReport, config: Config | None = None) -> None:
        fmt = self.args.format
        if not self.bulk:
            if report_shown(self.args.output, self.unreachable is not None):
                self._show(report, config)
            for target in self.reports:
                write_atomic(target.path, _render(target.format, report, config), "report")
            return
        assert self.out_dir is not None and self.spool is not None
        name = report_file_name(report.brand, EXTENSIONS[fmt])
        write_atomic(self.out_dir / name, _render(fmt, report, config), "report")
        row = BulkRow.of(report, name)
        self.spool.add(row.brand.casefold(), [junit_suite(report)] if fmt == "junit" else row.cells())

    def _show(self, report: ScanReport, config: Config | None) -> None:
        """One brand's report on stdout, or in -o FILE."""
        fmt = self.args.format
        with ExitStack() as stack:
            out = open_output(stack, self.args.output)
            if fmt == "table":  # fitted to the terminal, coloured by --color
                out.write(render_scan_table(report, width=terminal_width(out), color=use_color(self.args, out)))
            else:
                out.write(_render(fmt, report, config))

    def finish(self) -> None:
        if not self.bulk or not report_shown(self.args.output, self.unreachable is not None):
            return
        assert self.spool is not None
        with ExitStack() as stack:
            out = open_output(stack, self.args.output)
            if self.args.format != "junit":
                out.writelines(bulk_summary_lines(self.spool, str(self.out_dir)))
            elif not self.spool:
                out.write(render_junit([]))
            else:
                out.write(JUNIT_HEAD)
                out.writelines(suite for (suite,) in self.spool)
                out.write(JUNIT_TAIL)

    def tell(self, targets: Sequence[Target]) -> None:
        """What could not be archived, then the alerts: one line on stderr for each that failed."""
        notes = self.scanner.notes
        for note in notes[:10]:
            print(f"handlecheck: note: {printable(note, 300)}", file=sys.stderr)
        if len(notes) > 10:
            print(f"handlecheck: note: and {len(notes) - 10} more evidence notes", file=sys.stderr)
        if not targets:
            return
        if self.history is None:
            print("handlecheck: note: --notify with --no-db: nothing remembers what was sent", file=sys.stderr)
        deliveries = aio.run(
            notify_run(targets, self.alerts, self.history, started_at=self.started_at, brands=self.brands_done,
                       report=self.args.out or self.args.output)
        )  # fmt: skip
        for delivery in deliveries:
            if not delivery.ok:
                print(f"handlecheck: warning: notify failed: {printable(delivery.detail, 300)}", file=sys.stderr)

    def write_partial(self) -> int:
        """Reports for the brands a Ctrl-C stopped, from what they had gathered; how many."""
        partial = self.scanner.partial_reports()
        for report in partial:
            self._write(report)
        self.finish()
        return len(partial)
