"""What changed between two scans, and whether a CI policy should fail. Pure functions.

A Snapshot is what one scan knew: the verdict per (platform, handle) and the lookalike accounts
found. It comes from the history database, from a baseline file a repository commits, or from
a fresh ScanReport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from .alerts import Alert, AlertKind
from .domain import Action, Classification, Finding, ScanReport
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


def parse_policies(text: str, flag: str = "--fail-on") -> frozenset[FailOn]:
    try:
        policies = frozenset(FailOn(part.strip()) for part in text.split(",") if part.strip())
    except ValueError:
        choices = ", ".join(p.value for p in FailOn)
        raise InputError(f"{flag} takes a comma-separated list of: {choices}") from None
    return policies or frozenset({FailOn.NEVER})


_CHANGE_ALERTS = {
    ChangeKind.NAME_TAKEN: AlertKind.NAME_TAKEN,
    ChangeKind.VERDICT_CHANGED: AlertKind.VERDICT_CHANGED,
    ChangeKind.NEW_LOOKALIKE: AlertKind.NEW_LOOKALIKE,
    ChangeKind.VANISHED_LOOKALIKE: AlertKind.VANISHED_LOOKALIKE,
}


def alerts(policies: Iterable[FailOn], report: ScanReport, changes: Sequence[Change], report_risk: int) -> list[Alert]:
    """Every item the `policies` match in this scan, in policy order; empty when the policy is met
    (or is `never`). The one place that decides what a policy matches: `violations` and the
    notifications both start here."""
    chosen = set(policies)
    if FailOn.NEVER in chosen:
        return []
    findings = {(f.platform, f.handle): f for f in report.findings}
    found: list[Alert] = []
    if FailOn.AVAILABLE in chosen:
        found += [
            Alert(report.brand, AlertKind.AVAILABLE, i.platform, i.handle,
                  f"{report.brand}: the name {i.handle} is free on {i.platform_name}", "available", report_link=i.link)
            for i in report.todo if i.action is Action.REGISTER
        ]  # fmt: skip
    if FailOn.LOOKALIKE in chosen:
        for item in report.todo:
            if item.action is Action.REPORT:
                found.append(_account_alert(report.brand, AlertKind.IMPERSONATOR, item.platform, item.handle,
                                            f"{report.brand}: impersonator {item.handle} on {item.platform} "
                                            f"({item.reason})", findings, item.link))  # fmt: skip
    if FailOn.NEW_LOOKALIKE in chosen:
        for change in changes:
            seen = findings.get((change.platform, change.handle))
            risky = seen is not None and seen.classification is Classification.IMPERSONATOR and seen.risk >= report_risk
            if change.kind is ChangeKind.NEW_LOOKALIKE and risky:
                found.append(_change_alert(report, change, findings))
    if FailOn.CHANGED in chosen:
        found.extend(_change_alert(report, change, findings) for change in changes)
    return list({alert.key: alert for alert in found}.values())


def _account_alert(
    brand: str, kind: AlertKind, platform: str, handle: str, text: str, findings: Mapping[Key, Finding],
    report_link: str | None,
) -> Alert:  # fmt: skip
    seen = findings.get((platform, handle))
    return Alert(
        brand, kind, platform, handle, text, seen.classification.value if seen else "",
        url=seen.url if seen else None, report_link=report_link,
        evidence_sha256=seen.evidence.payload_sha256 if seen and seen.evidence else None,
    )  # fmt: skip


def _change_alert(report: ScanReport, change: Change, findings: Mapping[Key, Finding]) -> Alert:
    kind = _CHANGE_ALERTS[change.kind]
    text = f"{report.brand}: {change.describe()}"
    if kind in (AlertKind.NEW_LOOKALIKE, AlertKind.VANISHED_LOOKALIKE):
        where = next((p for p in report.platforms if p.id == change.platform), None)
        link = where.urls.report if where is not None else None
        alert = _account_alert(report.brand, kind, change.platform, change.handle, text, findings, link)
        return alert if kind is AlertKind.NEW_LOOKALIKE else replace(alert, after="gone")
    result = report.result(change.platform, change.handle)
    url = result.url if result is not None else None
    return Alert(report.brand, kind, change.platform, change.handle, text, change.after or "", url=url)


def violations(
    policies: Iterable[FailOn], report: ScanReport, changes: Sequence[Change], report_risk: int
) -> list[str]:
    """Why the run should fail, one line each (the free names of a brand on one line)."""
    return describe(alerts(policies, report, changes, report_risk))


def describe(found: Sequence[Alert]) -> list[str]:
    """The alerts as `--fail-on` prints them: one line each, a brand's free names on one line
    (first, as `alerts` lists them)."""
    free: dict[str, list[str]] = {}
    for alert in found:
        if alert.kind is AlertKind.AVAILABLE:
            free.setdefault(alert.brand, []).append(alert.platform)
    lines = [f"{brand}: the name is free on {plural(len(where), 'platform')} ({', '.join(where[:8])})"
             for brand, where in free.items()]  # fmt: skip
    return lines + [alert.text for alert in found if alert.kind is not AlertKind.AVAILABLE]
