"""The whole job: brand -> its variants on every platform -> lookalikes -> findings -> to-do.

`scan` returns a ScanReport, the one object every report format renders.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .config import Config
from .engine import Checker
from .http import HttpOptions
from .hunt import Depth, Finding, hunt
from .lookalikes import Brand
from .models import Platform, Priority, Result, Verdict
from .planner import BestHandle, TodoItem, best_handle, plan, variants
from .summary import summarise


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Everything a scan learnt, and what to do about it."""

    brand: str
    handle: str
    depth: Depth
    platforms: tuple[Platform, ...]
    handles: tuple[str, ...]
    results: tuple[Result, ...]
    findings: tuple[Finding, ...]
    todo: tuple[TodoItem, ...]
    best_handle: BestHandle | None
    lookalike_checks: int
    started_at: datetime
    finished_at: datetime
    timings: dict[str, float] = field(default_factory=dict)
    incomplete: bool = False

    def result(self, platform: str, handle: str) -> Result | None:
        return next((r for r in self.results if r.platform == platform and r.handle == handle), None)

    def summary(self) -> dict[str, Any]:
        counts = summarise(r for r in self.results if r.handle == self.handle)
        return {
            "brand_handle": counts.to_dict(),
            "findings": dict(Counter(f.classification.value for f in self.findings)),
            "todo": dict(Counter(item.action.value for item in self.todo)),
            "lookalike_checks": self.lookalike_checks,
            "incomplete": self.incomplete,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "handle": self.handle,
            "depth": self.depth.value,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds"),
            "timings": self.timings,
            "platforms": [
                {
                    "id": p.id,
                    "name": p.name,
                    "priority": p.priority.value,
                    "tags": list(p.tags),
                    "profile": p.urls.profile,
                    "signup": p.urls.signup,
                    "report": p.urls.report,
                }
                for p in self.platforms
            ],
            "handles": list(self.handles),
            "best_handle": self.best_handle.to_dict() if self.best_handle else None,
            "todo": [item.to_dict() for item in self.todo],
            "findings": [f.to_dict() for f in self.findings],
            "results": [r.to_dict() for r in self.results],
            "summary": self.summary(),
        }


def is_incomplete(results: Sequence[Result], platforms: Sequence[Platform], handle: str, max_unknown: float) -> bool:
    """Too many unknowns on the platforms that matter most: the scan cannot pass as clean."""
    important = {p.id for p in platforms if p.priority in (Priority.CRITICAL, Priority.HIGH)}
    mine = [r for r in results if r.handle == handle and r.platform in important]
    if not mine:
        return False
    unknown = sum(r.verdict is Verdict.UNKNOWN for r in mine)
    return unknown / len(mine) > max_unknown


async def scan(
    config: Config,
    platforms: Sequence[Platform],
    *,
    options: HttpOptions | None = None,
    depth: Depth | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> ScanReport:
    """Run the whole job for one brand."""
    started, clock = datetime.now(UTC), time.monotonic()
    depth = depth or config.depth
    handle = Brand.parse(config.brand).handle
    handles = variants(config.brand, config.aliases)
    pairs = [(h, p) for h in handles for p in platforms]
    pairs += [(o.handle, p) for p in platforms for o in config.owned if o.platform == p.id]
    results: list[Result] = []
    async with Checker(options) as checker:
        async for result in checker.run_pairs(pairs):
            results.append(result)
            if on_result is not None:
                on_result(result)
        checked = time.monotonic()
        report = await hunt(
            config.brand, platforms, depth=depth, owned=config.owned, own_domains=config.domains,
            on_result=on_result, checker=checker,
        )  # fmt: skip
    hunted = time.monotonic()
    best = best_handle(handles, results, platforms, config)
    todo = plan(config, platforms, results, report.findings, best)
    return ScanReport(
        brand=config.brand,
        handle=handle,
        depth=depth,
        platforms=tuple(platforms),
        handles=handles,
        results=tuple(results),
        findings=report.findings,
        todo=todo,
        best_handle=best,
        lookalike_checks=len(report.results),
        started_at=started,
        finished_at=datetime.now(UTC),
        timings={
            "checks_seconds": round(checked - clock, 3),
            "lookalikes_seconds": round(hunted - checked, 3),
            "total_seconds": round(time.monotonic() - clock, 3),
        },
        incomplete=is_incomplete(results, platforms, handle, config.max_unknown),
    )
