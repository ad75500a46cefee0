"""The whole job: brand -> its variants on every platform -> lookalikes -> findings -> to-do.

`scan` returns a ScanReport, the one object every report format renders.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ..candidates import Brand
from ..config import Config
from ..domain import BLUESKY_ID, Action, Depth, Finding, ScanReport, TodoItem, Unfinished
from ..evidence.keeper import EvidenceKeeper
from ..models import Platform, Priority, Result, Verdict
from ..net.checker import Checker
from ..net.http import HttpOptions
from ..registry.domain_handles import domain_handle_platform
from ..registry.domains import is_domain
from ..registry.fediverse import fediverse_platforms
from ..todo import best_handle, build_todo, variants
from .hunt import hunt


def is_incomplete(results: Sequence[Result], platforms: Sequence[Platform], handle: str, max_unknown: float) -> bool:
    """Too many unknowns on the platforms that matter most: the scan cannot pass as clean."""
    important = {p.id for p in platforms if p.priority in (Priority.CRITICAL, Priority.HIGH)}
    mine = [r for r in results if r.handle == handle and r.platform in important]
    if not mine:
        return False
    unknown = sum(r.verdict is Verdict.UNKNOWN for r in mine)
    return unknown / len(mine) > max_unknown


@dataclass
class Progress:
    """What a scan has gathered so far: enough to write a partial report if it is stopped."""

    results: list[Result] = field(default_factory=list)
    findings: tuple[Finding, ...] = ()
    lookalike_checks: int = 0
    planned: int = 0  # handle checks
    hunted: bool = False  # the lookalike hunt finished
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def scan(
    config: Config,
    platforms: Sequence[Platform],
    *,
    options: HttpOptions | None = None,
    depth: Depth | None = None,
    on_result: Callable[[Result], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    checker: Checker | None = None,
    progress: Progress | None = None,
    evidence: EvidenceKeeper | None = None,
) -> ScanReport:
    """Run the whole job for one brand.

    Pass an open `checker` to share one session (and its per-host limits) across brands, a
    `progress` to keep what was gathered if the scan is stopped half-way, and an open `evidence`
    keeper to archive the pages of the findings that matter (in a folder named by the scan's start)."""
    if checker is None:
        async with Checker(options) as own:
            return await scan(
                config, platforms, depth=depth, on_result=on_result, on_planned=on_planned, checker=own,
                progress=progress, evidence=evidence,
            )  # fmt: skip
    if config.fediverse:  # servers the config names, besides the catalogue's
        known = {p.id for p in platforms}
        platforms = (*platforms, *(p for p in fediverse_platforms(config.fediverse) if p.id not in known))
    gathered = progress if progress is not None else Progress()
    clock = time.monotonic()
    depth = depth or config.depth
    handles = variants(config.brand, config.aliases)
    pairs = [(h, p) for h in handles for p in platforms]
    pairs += [(o.handle, p) for p in platforms for o in config.owned if o.platform == p.id]
    bluesky = next((p for p in platforms if p.id == BLUESKY_ID), None)
    if bluesky is not None and config.domains:  # is the brand's own domain its Bluesky handle yet?
        as_handle = domain_handle_platform(bluesky)
        pairs += [(domain, as_handle) for domain in config.domains]
    gathered.planned = len(pairs)
    if on_planned is not None:
        on_planned(len(pairs))

    def keep(result: Result) -> None:
        if on_result is not None:
            on_result(result)

    async with aclosing(checker.run_pairs(checker.slowest_first(pairs))) as answered:
        async for result in answered:
            gathered.results.append(result)
            keep(result)
    gathered.results = await _with_registrations(checker, gathered.results, {p.id: p for p in platforms})
    checked = time.monotonic()
    handles_only = [p for p in platforms if not is_domain(p)]  # lookalike domains: on request (lookalikes --domains)
    hunted = checked
    if checker.reachability.offline is None:  # offline, every lookalike check would end `offline`: none is planned
        hunted_report = await hunt(
            config.brand, handles_only, depth=depth, owned=config.owned, own_domains=config.domains,
            on_result=keep, on_planned=on_planned, checker=checker,
        )  # fmt: skip
        hunted = time.monotonic()
        gathered.findings = hunted_report.findings
        if evidence is not None:
            gathered.findings = await evidence.keep(
                config, handles_only, hunted_report.findings, hunted_report.pages, checker, gathered.started_at
            )
        gathered.lookalike_checks = len(hunted_report.results)
    gathered.hunted = True
    timings = {
        "checks_seconds": round(checked - clock, 3),
        "lookalikes_seconds": round(hunted - checked, 3),
        "evidence_seconds": round(time.monotonic() - hunted, 3),
        "total_seconds": round(time.monotonic() - clock, 3),
    }
    return assemble(config, platforms, gathered, depth, timings)


async def _with_registrations(checker: Checker, results: list[Result], by_id: dict[str, Platform]) -> list[Result]:
    """A held domain's evidence names its registrar and registration date (its RDAP record, read
    as the domain platform's profile), for the claim item and the report."""
    held = [
        i for i, r in enumerate(results)
        if r.platform in by_id and is_domain(by_id[r.platform]) and r.verdict is Verdict.TAKEN
    ]  # fmt: skip
    records = await asyncio.gather(*(checker.profile(results[i].handle, by_id[results[i].platform]) for i in held))
    told = list(results)
    for i, record in zip(held, records, strict=True):
        if record is None:
            continue
        facts = [f"registrar {record.display_name}" if record.display_name else "",
                 f"registered {record.created}" if record.created else ""]  # fmt: skip
        if any(facts):
            told[i] = replace(told[i], evidence=f"{told[i].evidence}; {', '.join(f for f in facts if f)}")
    return told


def assemble(
    config: Config,
    platforms: Sequence[Platform],
    gathered: Progress,
    depth: Depth,
    timings: dict[str, float] | None = None,
    *,
    stopped: bool = False,
) -> ScanReport:
    """A ScanReport from what was gathered: the whole of it, or (`stopped`) what a stopped
    scan had, marked partial, with running the scan again first on its to-do list."""
    handle = Brand.parse(config.brand).handle
    handles = variants(config.brand, config.aliases)
    results = tuple(gathered.results)
    best = best_handle(handles, results, platforms, config)
    todo = build_todo(config, platforms, results, gathered.findings, best)
    unfinished = Unfinished(len(results), gathered.planned, gathered.hunted) if stopped else None
    if unfinished is not None:
        rerun = TodoItem(Action.RETRY, Priority.CRITICAL, "", "the whole scan", handle, None,
                         f"{unfinished.describe()}; run it again (it resumes)")  # fmt: skip
        todo = (rerun, *todo)
    return ScanReport(
        brand=config.brand,
        handle=handle,
        depth=depth,
        platforms=tuple(platforms),
        handles=handles,
        results=results,
        findings=gathered.findings,
        todo=todo,
        best_handle=best,
        lookalike_checks=gathered.lookalike_checks,
        started_at=gathered.started_at,
        finished_at=datetime.now(UTC),
        timings=timings or {},
        incomplete=is_incomplete(results, platforms, handle, config.max_unknown),
        unfinished=unfinished,
        owned=config.owned,
    )
