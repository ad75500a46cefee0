"""The runbook: every account the brand holds or should hold, who looks after it, how it is
secured and where to go when it is stolen or impersonated, and whom to call. The page a company
hands its staff before a crisis.

Pure: built from the config, the platform catalogue and, where one is given, a scan's results
(which names are free). Nothing here is guessed: what the config or the catalogue does not
record reads "not recorded".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .candidates import Brand
from .config import Config, Contact
from .domain import ScanReport
from .models import Channel, Cost, Offered, Platform, Priority, Result, Verdict
from .todo import COSTS, PRIORITY_ORDER, Gap, security_gaps

SCANNED_PRIORITIES = (Priority.CRITICAL, Priority.HIGH)
"""A scan's free names that become rows: the platforms that matter most (the to-do lists the rest),
so that the runbook stays one page."""


class Standing(StrEnum):
    OWNED = "owned"
    TO_REGISTER = "to register"
    TO_CLAIM = "to claim"


@dataclass(frozen=True, slots=True)
class RunbookRow:
    """One account: where, which handle, who looks after it, how it is secured, where to go."""

    platform: str
    platform_name: str
    priority: Priority
    handle: str
    standing: Standing
    owner: str | None
    backup: str | None
    email: str | None
    two_factor: bool | None
    password_manager: bool | None
    recovery: Channel
    report: Channel
    verification: Channel
    gaps: tuple[Gap, ...] = ()
    """What is missing to call an account the brand holds secure (see `todo.security_gaps`)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "platform_name": self.platform_name,
            "priority": self.priority.value,
            "handle": self.handle,
            "state": self.standing.value,
            "owner": self.owner,
            "backup": self.backup,
            "email": self.email,
            "two_factor": self.two_factor,
            "password_manager": self.password_manager,
            "recovery": _channel_dict(self.recovery),
            "report": _channel_dict(self.report),
            "verification": {**_channel_dict(self.verification), "cost": self.verification.cost.value},
            "missing": [gap.value for gap in self.gaps],
        }


@dataclass(frozen=True, slots=True)
class Runbook:
    brand: str
    rows: tuple[RunbookRow, ...]
    contacts: tuple[Contact, ...]
    source: str | None = None
    """The config file it was built from."""
    scanned_at: datetime | None = None
    """When the scan whose free names it lists started; None: built from the config alone."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "source": self.source,
            "scanned_at": self.scanned_at.isoformat(timespec="seconds") if self.scanned_at else None,
            "contacts": [{"name": c.name, "role": c.role, "email": c.email, "phone": c.phone} for c in self.contacts],
            "accounts": [row.to_dict() for row in self.rows],
        }


def _channel_dict(channel: Channel) -> dict[str, Any]:
    return {"offered": channel.offered.value, "url": channel.url, "how": channel.how or None}


def describe(channel: Channel, *, cost: bool = False) -> str:
    """A channel in words, without its URL: what to do there, "in the app: <taps>", "none public"
    or "not recorded"; with `cost`, what it costs where that is recorded."""
    if channel.offered is Offered.UNKNOWN:
        return "not recorded"
    if channel.offered is Offered.NONE:
        return "none public"
    text = f"in the app: {channel.how}" if channel.offered is Offered.IN_APP and channel.how else channel.how
    text = text or ("in the app" if channel.offered is Offered.IN_APP else "")
    if cost and channel.cost is not Cost.UNKNOWN:
        text = f"{text} ({COSTS[channel.cost]})" if text else COSTS[channel.cost]
    return text


def flag(value: bool | None, yes: str = "yes", no: str = "NO") -> str:
    """A recorded yes/no in words; "not recorded" where the config says nothing."""
    return "not recorded" if value is None else yes if value else no


def build_runbook(
    config: Config,
    platforms: Sequence[Platform],
    results: Iterable[Result] = (),
    scanned_at: datetime | None = None,
) -> Runbook:
    """The runbook of `config`'s brand: a row per account it owns; then per account the config
    records but the brand does not hold yet (to claim where the scan found the name taken), and per
    free name of the scan (`results`) on a critical or high platform: to register."""
    by_id = {p.id: p for p in platforms}
    handle = Brand.parse(config.brand).handle
    verdicts = {r.platform: r.verdict for r in results if r.handle == handle}
    rows = [_row(config, by_id.get(o.platform) or Platform(o.platform, o.platform, ()), o.handle, Standing.OWNED)
            for o in dict.fromkeys(config.owned)]  # fmt: skip
    held = {o.platform for o in config.owned}
    for account in config.accounts:
        if account.platform not in held:
            taken = verdicts.get(account.platform) in (Verdict.TAKEN, Verdict.RESERVED)
            where = by_id.get(account.platform) or Platform(account.platform, account.platform, ())
            rows.append(_row(config, where, handle, Standing.TO_CLAIM if taken else Standing.TO_REGISTER))
            held.add(account.platform)
    for platform in platforms:
        free = verdicts.get(platform.id) is Verdict.AVAILABLE
        if free and platform.id not in held and platform.priority in SCANNED_PRIORITIES:
            rows.append(_row(config, platform, handle, Standing.TO_REGISTER))
    standings = tuple(Standing)
    rows.sort(key=lambda r: (standings.index(r.standing), PRIORITY_ORDER.index(r.priority),
                             r.platform_name.casefold(), r.handle))  # fmt: skip
    return Runbook(config.brand, tuple(rows), config.contacts, config.source, scanned_at)


def scan_runbook(config: Config, report: ScanReport) -> Runbook:
    """The runbook of a scan's config, with the names the scan found free: for its report."""
    return build_runbook(config, report.platforms, report.results, report.started_at)


def _row(config: Config, platform: Platform, handle: str, standing: Standing) -> RunbookRow:
    account = config.account(platform.id)
    return RunbookRow(
        platform=platform.id,
        platform_name=platform.name,
        priority=platform.priority,
        handle=handle,
        standing=standing,
        owner=config.owner_for(platform),
        backup=account.backup,
        email=config.email_for(platform),
        two_factor=account.two_factor,
        password_manager=account.password_manager,
        recovery=platform.help.recovery,
        report=platform.help.report,
        verification=platform.help.verification,
        gaps=security_gaps(config, platform) if standing is Standing.OWNED else (),
    )
