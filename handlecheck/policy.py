"""What changed between two scans, and whether a CI policy should fail. Pure functions.

A Snapshot is what one scan knew: the verdict per (platform, handle) and the lookalike accounts
found. It comes from the history database, from a baseline file a repository commits, or from
a fresh ScanReport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .domain import Action, Classification, ScanReport
from .errors import ConfigError, InputError
from .models import Verdict
from .text import plural

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Snapshot:
    brand: str
    verdicts: Mapping[Key, str] = field(default_factory=dict)
    lookalikes: Mapping[Key, tuple[str, int]] = field(default_factory=dict)
    taken_at: str | None = None

    @classmethod
    def from_report(cls, report: ScanReport) -> Snapshot:
        return cls(
            brand=report.brand,
            verdicts={(r.platform, r.handle): r.verdict.value for r in report.results},
            lookalikes={(f.platform, f.handle): (f.classification.value, f.risk) for f in report.findings},
            taken_at=report.started_at.isoformat(timespec="seconds"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "taken_at": self.taken_at,
            "results": [{"platform": p, "handle": h, "verdict": v} for (p, h), v in sorted(self.verdicts.items())],
            "lookalikes": [
                {"platform": p, "handle": h, "classification": c, "risk": r}
                for (p, h), (c, r) in sorted(self.lookalikes.items())
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, source: str) -> Snapshot:
        try:
            verdicts = {(str(r["platform"]), str(r["handle"])): Verdict(r["verdict"]).value for r in data["results"]}
            lookalikes = {
                (str(f["platform"]), str(f["handle"])): (Classification(f["classification"]).value, int(f["risk"]))
                for f in data["lookalikes"]
            }
            return cls(str(data["brand"]), verdicts, lookalikes, data.get("taken_at"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"not a handlecheck baseline ({type(exc).__name__}: {exc})", source=source) from None


class ChangeKind(StrEnum):
    NAME_TAKEN = "name-taken"
    VERDICT_CHANGED = "verdict-changed"
    NEW_LOOKALIKE = "new-lookalike"
    VANISHED_LOOKALIKE = "vanished-lookalike"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    platform: str
    handle: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        if self.kind is ChangeKind.NAME_TAKEN:
            return f"{self.handle} on {self.platform} was available and is now taken: someone took the name"
        if self.kind is ChangeKind.VERDICT_CHANGED:
            return f"{self.handle} on {self.platform}: {self.before} -> {self.after}"
        if self.kind is ChangeKind.NEW_LOOKALIKE:
            return f"new lookalike {self.handle} on {self.platform} ({self.after})"
        return f"lookalike {self.handle} on {self.platform} is gone ({self.before})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "platform": self.platform, "handle": self.handle,
                "before": self.before, "after": self.after, "description": self.describe()}  # fmt: skip


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    """The changes from `old` to `new`. An `unknown` on either side is no change: it proves nothing."""
    changes: list[Change] = []
    for key, after in sorted(new.verdicts.items()):
        before = old.verdicts.get(key)
        if before is None or before == after or Verdict.UNKNOWN.value in (before, after):
            continue
        kind = ChangeKind.NAME_TAKEN if (before, after) == ("available", "taken") else ChangeKind.VERDICT_CHANGED
        changes.append(Change(kind, key[0], key[1], before, after))
    for key, (label, risk) in sorted(new.lookalikes.items()):
        if key not in old.lookalikes and label != Classification.UNRELATED.value:
            changes.append(Change(ChangeKind.NEW_LOOKALIKE, key[0], key[1], None, f"{label}, risk {risk}"))
    for key, (label, risk) in sorted(old.lookalikes.items()):
        if key not in new.lookalikes and label != Classification.UNRELATED.value:
            changes.append(Change(ChangeKind.VANISHED_LOOKALIKE, key[0], key[1], f"{label}, risk {risk}", None))
    return changes


class FailOn(StrEnum):
    NEVER = "never"
    AVAILABLE = "available"
    LOOKALIKE = "lookalike"
    NEW_LOOKALIKE = "new-lookalike"
    CHANGED = "changed"


def parse_policies(text: str) -> frozenset[FailOn]:
    try:
        policies = frozenset(FailOn(part.strip()) for part in text.split(",") if part.strip())
    except ValueError:
        choices = ", ".join(p.value for p in FailOn)
        raise InputError(f"--fail-on takes a comma-separated list of: {choices}") from None
    return policies or frozenset({FailOn.NEVER})


def violations(
    policies: Iterable[FailOn], report: ScanReport, changes: Sequence[Change], report_risk: int
) -> list[str]:
    """Why the run should fail, one line each; empty when the policy is met."""
    chosen = set(policies)
    if FailOn.NEVER in chosen:
        return []
    found: list[str] = []
    if FailOn.AVAILABLE in chosen:
        free = [i.platform for i in report.todo if i.action is Action.REGISTER]
        if free:
            found.append(f"{report.brand}: the name is free on {plural(len(free), 'platform')} ({', '.join(free[:8])})")
    if FailOn.LOOKALIKE in chosen:
        for item in report.todo:
            if item.action is Action.REPORT:
                found.append(f"{report.brand}: impersonator {item.handle} on {item.platform} ({item.reason})")
    if FailOn.NEW_LOOKALIKE in chosen:
        risky = {(f.platform, f.handle) for f in report.findings
                 if f.classification is Classification.IMPERSONATOR and f.risk >= report_risk}  # fmt: skip
        for change in changes:
            if change.kind is ChangeKind.NEW_LOOKALIKE and (change.platform, change.handle) in risky:
                found.append(f"{report.brand}: {change.describe()}")
    if FailOn.CHANGED in chosen:
        found.extend(f"{report.brand}: {change.describe()}" for change in changes)
    return found
