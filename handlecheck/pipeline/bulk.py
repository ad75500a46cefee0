"""Many brands in one run: one session and its per-host limits, the history, and what changed.

`BulkScan.run(configs)` yields one `BrandOutcome` per brand as each finishes: its ScanReport,
what changed since the baseline (the previous complete scan in the history, or a baseline
snapshot), and which `--fail-on` policies it breaks. It writes nothing but the history: the
caller renders and stores the reports. Brands are taken from `configs` a few at a time and
outcomes are handed over through a short queue, so memory stays flat in the number of brands.

Rerunning a stopped run finishes it without a second scan of any brand: a brand's scan that
began within `max_age` is continued under its id (see `History.start_scan`), whether the stop
left it unfinished or it had finished just before. Its answers are recalled, not asked again,
and its outcome (and so its report) is made again, as if the first run had not been stopped.
A brand listed twice is recorded in that one scan too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from ..alerts import Alert
from ..broker import Broker, coordinator
from ..config import Config
from ..domain import ScanReport
from ..evidence.keeper import EvidenceKeeper, EvidencePlan
from ..models import Platform, Result
from ..net.checker import Checker
from ..net.http import HttpOptions
from ..net.pool import PooledChecker
from ..policy import Change, FailOn, Snapshot, alerts, compare, violations
from ..store.baseline import from_history
from ..store.history import DONE, UNREACHED, History
from ..summary import summarise
from .scan import Progress, assemble, scan

BRANDS_AT_ONCE = 4


@dataclass(frozen=True, slots=True)
class BrandOutcome:
    """One brand's scan and what it means for the run's policy."""

    config: Config
    report: ScanReport
    snapshot: Snapshot
    changes: tuple[Change, ...]
    violations: tuple[str, ...]
    alerts: tuple[Alert, ...] = ()  # what the notification policy matched (see `notify_run`)


class BulkScan:
    """`async for outcome in BulkScan(platforms, ...).run(configs)`; after a stop,
    `partial_reports()` has what the unfinished brands had gathered.

    Changes are against `baseline` when given, else (unless `compare_with_history` is off)
    against the brand's previous complete scan in `history`. `alert_on` is the policy whose
    matches become each outcome's alerts (default: `policies`). With `evidence`, the pages of
    the findings that matter are archived; `notes` then says what could not be kept. With
    `workers` > 1 the requests run in that many processes, each host in one (see `net.pool`);
    with a `broker`, in the fleet's workers on any machine (see `broker`)."""

    def __init__(
        self,
        platforms: Sequence[Platform],
        *,
        options: HttpOptions | None = None,
        history: History | None = None,
        max_age: timedelta = timedelta(hours=24),
        baseline: Snapshot | None = None,
        compare_with_history: bool = True,
        policies: frozenset[FailOn] = frozenset(),
        on_result: Callable[[Result], None] | None = None,
        on_planned: Callable[[int], None] | None = None,
        alert_on: frozenset[FailOn] | None = None,
        evidence: EvidencePlan | None = None,
        workers: int = 1,
        broker: Broker | None = None,
    ) -> None:
        self.platforms = platforms
        self.broker = broker
        self.alert_on = policies if alert_on is None else alert_on
        self.evidence = evidence
        self.workers = workers
        self.notes: list[str] = []
        self.options = options
        self.history = history
        self.max_age = max_age
        self.baseline = baseline
        self.compare_with_history = compare_with_history
        self.policies = policies
        self.on_result = on_result
        self.on_planned = on_planned
        self._unfinished: dict[int, tuple[Config, Progress]] = {}

    async def run(self, configs: Iterable[Config]) -> AsyncGenerator[BrandOutcome, None]:
        outcomes: asyncio.Queue[BrandOutcome | None] = asyncio.Queue(maxsize=BRANDS_AT_ONCE)
        source = iter(configs)
        keeper = EvidenceKeeper(self.evidence) if self.evidence is not None else None
        kept = keeper if keeper is not None else nullcontext()
        checker: Checker
        if self.broker is not None:
            checker = coordinator(self.broker, self.options, self._recall)
        elif self.workers > 1:
            checker = PooledChecker(self.options, workers=self.workers, recall=self._recall)
        else:
            checker = Checker(self.options, recall=self._recall)
        async with checker, kept:
            self.notes = keeper.notes if keeper is not None else []

            async def worker() -> None:
                for config in source:  # shared: each worker takes the next brand
                    await outcomes.put(await self._scan_one(config, checker, keeper))

            async def feed() -> None:
                try:
                    async with asyncio.TaskGroup() as group:
                        for _ in range(BRANDS_AT_ONCE):
                            group.create_task(worker())
                finally:
                    await outcomes.put(None)

            feeder = asyncio.create_task(feed())
            try:
                while (outcome := await outcomes.get()) is not None:
                    yield outcome
                await _first_error(feeder)
            finally:
                feeder.cancel()
                await asyncio.gather(feeder, return_exceptions=True)

    def partial_reports(self) -> list[ScanReport]:
        """Reports for the brands a stop interrupted, from what they had gathered: marked partial."""
        return [
            assemble(config, self.platforms, progress, config.depth, stopped=True)
            for config, progress in self._unfinished.values()
        ]

    def _recall(self, handle: str, platform: Platform) -> Result | None:
        return self.history.fresh(platform.id, handle, self.max_age) if self.history else None

    async def _scan_one(self, config: Config, checker: Checker, keeper: EvidenceKeeper | None) -> BrandOutcome:
        history = self.history
        scan_id = history.start_scan(config.brand, resume_within=self.max_age) if history else 0
        progress = Progress(started_at=history.started_at(scan_id)) if history else Progress()
        key = id(progress)
        self._unfinished[key] = (config, progress)

        def record(result: Result) -> None:
            if history is not None:
                history.record(scan_id, result)
            if self.on_result is not None:
                self.on_result(result)

        report = await scan(
            config, self.platforms, checker=checker, progress=progress, on_result=record, on_planned=self.on_planned,
            evidence=keeper,
        )  # fmt: skip
        previous = self._previous(config.brand, scan_id)
        if history is not None:
            history.record_findings(scan_id, report.findings)
            history.finish_scan(scan_id, UNREACHED if summarise(report.results).unreachable else DONE)
        del self._unfinished[key]
        snapshot = Snapshot.from_report(report)
        if previous is not None:
            changes = compare(previous, snapshot)
        elif FailOn.NEW_LOOKALIKE in self.policies | self.alert_on:
            changes = compare(Snapshot(report.brand), snapshot)  # no earlier scan: every lookalike is new
        else:
            changes = []
        broken = violations(self.policies, report, changes, config.report_risk)
        told = alerts(self.alert_on, report, changes, config.report_risk)
        return BrandOutcome(config, report, snapshot, tuple(changes), tuple(broken), tuple(told))

    def _previous(self, brand: str, scan_id: int) -> Snapshot | None:
        if self.baseline is not None or not self.compare_with_history:
            return self.baseline
        if self.history is None:
            return None
        earlier = [s for s in self.history.scans(brand) if s.id != scan_id and s.complete]  # never a partial one
        return from_history(self.history, earlier[0].id, brand) if earlier else None


async def _first_error(feeder: asyncio.Task[None]) -> None:
    """Wait for the workers; re-raise the first error one of them met, as itself (a
    HandlecheckError stays one line), not wrapped in an ExceptionGroup."""
    try:
        await feeder
    except BaseExceptionGroup as group:
        first = group.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
