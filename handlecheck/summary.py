"""Counts over a set of results: what the summary line and the json `summary` say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .models import Reason, Result, Verdict


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    handles: int
    platforms: int
    verdicts: dict[str, int]
    unknown_reasons: dict[str, int]
    attempted: int = 0
    unreachable_count: int = 0
    elapsed_seconds: float | None = None
    offline: str | None = None
    """Why the run decided that nothing is reachable (see handlecheck.net.reachability)."""
    first_failure: str | None = None
    """The evidence of one platform that could not be reached: what a count of reasons hides."""

    @property
    def unreachable(self) -> bool:
        """True when requests were sent and not one platform answered at all."""
        return self.attempted > 0 and self.unreachable_count == self.attempted

    @property
    def unreachable_cause(self) -> str:
        """One line on why nothing answered: the offline decision, else the reasons counted."""
        if self.offline is not None:
            return self.offline
        counted = ", ".join(f"{n} {reason}" for reason, n in self.unknown_reasons.items())
        return f"{counted}; {self.first_failure}" if self.first_failure else counted

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "handles": self.handles,
            "platforms": self.platforms,
            "verdicts": self.verdicts,
            "unknown_reasons": self.unknown_reasons,
            "elapsed_seconds": self.elapsed_seconds,
        }


def summarise(results: Iterable[Result], elapsed_seconds: float | None = None) -> Summary:
    results = list(results)
    verdicts = Counter(r.verdict.value for r in results)
    reasons = Counter(r.reason.value for r in results if r.reason is not None)
    # Only results for which a request went out say anything about the network.
    attempted = [r for r in results if r.verdict is not Verdict.INVALID and (r.reason is None or r.reason.sent)]
    offline = next((_offline_cause(r.evidence) for r in results if r.reason is Reason.OFFLINE), None)
    return Summary(
        total=len(results),
        handles=len({r.handle for r in results}),
        platforms=len({r.platform for r in results}),
        verdicts={v.value: verdicts.get(v.value, 0) for v in Verdict},
        unknown_reasons=dict(sorted(reasons.items())),
        elapsed_seconds=round(elapsed_seconds, 3) if elapsed_seconds is not None else None,
        attempted=len(attempted),
        unreachable_count=sum(1 for r in attempted if r.reason is not None and r.reason.unreachable),
        offline=offline,
        first_failure=next((_first_check(r.evidence) for r in attempted if r.reason and r.reason.unreachable), None),
    )


def _first_check(evidence: str) -> str:
    """What the first check of a result saw, without its label: "check 1: DNS lookup failed: ...;
    check 2 (api): ..." -> "DNS lookup failed: ..."."""
    first = evidence.split("; check ", 1)[0]
    label, colon, rest = first.partition(": ")
    return rest if colon and label.startswith("check ") else first


def _offline_cause(evidence: str) -> str:
    """The offline decision in an `offline` result's evidence, without the check label before
    it ("check 1: offline: ..."); the whole evidence where it has no such decision."""
    _, marker, cause = evidence.partition("offline: ")
    return marker + cause if marker else evidence
