"""From verdicts and findings to a to-do list. Pure functions.

Actions, in the order they are done on a day with little time:

    fix       an account the brand owns no longer answers as taken
    report    an impersonator was found: the platform's report link and the evidence
    secure    an account the brand owns has no recorded owner, backup owner or two-factor
    register  the name is free: the sign-up link, an e-mail alias and the security steps
    claim     the name is taken by someone else, or reserved: the policy link and an alternative
    verify    the platform verifies accounts (a badge or a domain handle): how, what it costs, where
    retry     the platform could not tell (with the reason)
    watch     a parody or fan account, or a weak lookalike

A priority comes first, then the action in that order. Secure and retry take the platform's
priority; verify one step below it, as it follows holding and securing the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from .candidates import Brand
from .config import Config
from .domain import BLUESKY_ID, DOMAIN_HANDLE_ID, Action, BestHandle, Classification, Finding, TodoItem
from .models import Cost, Offered, Platform, Priority, Reason, Result, Verdict
from .rules.handles import canonical
from .takedown import account_url, report_text

ACTION_ORDER = tuple(Action)
PRIORITY_ORDER = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)
ALIAS_STEP = "sign up with the distinct e-mail alias given here, not a person's own address"
NO_ALIAS_STEP = "sign up with a team address of the brand's (set email_domain for an alias each), not a person's own"
SECURITY_STEPS = (
    ALIAS_STEP,
    "a unique password, generated and kept in the team's password manager",
    "two-factor authentication on (an authenticator app or security key, not SMS)",
    "a named owner, and the account recorded in the brand's inventory",
    "if it is ever stolen: the platform's account-recovery or hacked-account page",
)
COSTS = {Cost.FREE: "free", Cost.PAID: "paid", Cost.UNKNOWN: "cost not recorded"}


class Gap(StrEnum):
    """What the config does not record about an account the brand holds."""

    OWNER = "owner"
    BACKUP = "backup"
    TWO_FACTOR_OFF = "two-factor off"
    TWO_FACTOR_UNRECORDED = "two-factor not recorded"

    @property
    def text(self) -> str:
        return {
            Gap.OWNER: "no owner recorded",
            Gap.BACKUP: "no backup owner recorded",
            Gap.TWO_FACTOR_OFF: "two-factor authentication is off",
            Gap.TWO_FACTOR_UNRECORDED: "two-factor authentication not recorded as on",
        }[self]

    @property
    def label(self) -> str:
        """A word or two, for a narrow column."""
        return {Gap.OWNER: "owner", Gap.BACKUP: "backup owner", Gap.TWO_FACTOR_OFF: "2FA (off)",
                Gap.TWO_FACTOR_UNRECORDED: "2FA (not recorded)"}[self]  # fmt: skip

    def step(self, platform_id: str) -> str:
        if self is Gap.OWNER:
            return f"name the person who looks after it: accounts.{platform_id}.owner (or owners:)"
        if self is Gap.BACKUP:
            return f"name a backup owner who can act when the owner cannot: accounts.{platform_id}.backup"
        return (
            "turn on two-factor authentication (an authenticator app or security key, not SMS), "
            f"then record accounts.{platform_id}.two_factor: true"
        )


VARIANT_FORMS = ("{}", "{}hq", "get{}", "{}app", "{}_official", "the{}", "{}official", "real{}", "{}_hq", "try{}")


def variants(brand: str, aliases: Iterable[str] = ()) -> tuple[str, ...]:
    """The handles worth holding everywhere: the brand, its common variants, its aliases."""
    base = Brand.parse(brand).handle
    found = [form.format(base) for form in VARIANT_FORMS]
    found += [alias.strip().lstrip("@") for alias in aliases if alias.strip()]
    return tuple(dict.fromkeys(found))


def _owned_on(config: Config, platform: Platform) -> list[str]:
    return [o.handle for o in config.owned if o.platform == platform.id]


def best_handle(
    handles: Sequence[str], results: Iterable[Result], platforms: Sequence[Platform], config: Config
) -> BestHandle | None:
    """Among `handles`, the one that is free or already ours on the most priority weight."""
    verdicts = {(r.platform, r.handle): r.verdict for r in results}
    total = sum(p.priority.weight for p in platforms)
    best: BestHandle | None = None
    for handle in handles:
        covered = []
        for platform in platforms:
            ours = {canonical(h, platform) for h in _owned_on(config, platform)}
            verdict = verdicts.get((platform.id, handle))
            if verdict is Verdict.AVAILABLE or (verdict is Verdict.TAKEN and canonical(handle, platform) in ours):
                covered.append(platform)
        candidate = BestHandle(handle, sum(p.priority.weight for p in covered), total, tuple(p.id for p in covered))
        if best is None or candidate.weight > best.weight:
            best = candidate
    return best


def security_gaps(config: Config, platform: Platform) -> tuple[Gap, ...]:
    """What the config leaves unsaid about the brand's account on `platform`."""
    account = config.account(platform.id)
    gaps = [Gap.OWNER] if config.owner_for(platform) is None else []
    gaps += [Gap.BACKUP] if account.backup is None else []
    if account.two_factor is not True:
        gaps.append(Gap.TWO_FACTOR_UNRECORDED if account.two_factor is None else Gap.TWO_FACTOR_OFF)
    return tuple(gaps)


def verifies(platform: Platform) -> bool:
    """Whether the platform is known to verify accounts (on a page or in its app)."""
    return platform.help.verification.offered in (Offered.LINK, Offered.IN_APP)


def _report_priority(risk: int) -> Priority:
    return Priority.CRITICAL if risk >= 80 else Priority.HIGH if risk >= 60 else Priority.NORMAL


def build_todo(
    config: Config,
    platforms: Sequence[Platform],
    results: Iterable[Result],
    findings: Iterable[Finding],
    best: BestHandle | None,
) -> tuple[TodoItem, ...]:
    """The to-do list, most urgent first."""
    brand_handle = Brand.parse(config.brand).handle
    by_pair: Mapping[tuple[str, str], Result] = {(r.platform, r.handle): r for r in results}
    by_id = {p.id: p for p in platforms}
    items: list[TodoItem] = []
    for platform in platforms:
        owner = config.owner_for(platform)
        ours = _owned_on(config, platform)
        for handle in ours:
            held = by_pair.get((platform.id, handle))
            if held is not None and held.verdict is not Verdict.TAKEN and held.verdict.conclusive:
                items.append(
                    TodoItem(Action.FIX, Priority.CRITICAL if platform.priority.weight >= 4 else Priority.HIGH,
                             platform.id, platform.name, handle, held.url or platform.urls.profile,
                             f"your account {handle} now reads as {held.verdict}: suspended, renamed or lost?",
                             owner=owner, evidence=(held.evidence,))
                )  # fmt: skip
            elif held is None or held.verdict is Verdict.TAKEN:  # in place: secure it, then verify it
                items += _secure(config, platform, handle, owner) + _verify(platform, handle, owner)
        if ours:
            continue
        result = by_pair.get((platform.id, brand_handle))
        if result is None:
            continue
        alternative = best.handle if best and platform.id in best.available_on else None
        if result.verdict is Verdict.AVAILABLE:
            items += [_register(config, platform, brand_handle, owner, "the name is free")]
            items += _verify(platform, brand_handle, owner)
        elif result.verdict is Verdict.INVALID and alternative:
            why = f"{brand_handle} breaks this platform's rules; {alternative} is the best common handle"
            items += [_register(config, platform, alternative, owner, why), *_verify(platform, alternative, owner)]
        elif result.verdict in (Verdict.TAKEN, Verdict.RESERVED):
            held_by = "someone else holds the name" if result.verdict is Verdict.TAKEN else "the platform reserves it"
            items.append(
                TodoItem(Action.CLAIM, platform.priority, platform.id, platform.name, brand_handle,
                         platform.urls.report or platform.urls.signup, held_by,
                         owner=owner, evidence=(result.evidence,), suggestion=alternative)
            )  # fmt: skip
        elif result.verdict is Verdict.UNKNOWN:
            advice = (
                "set the credential the check needs (see evidence), then scan again"
                if result.reason is Reason.MISSING_CREDENTIAL
                else "run the scan again later"
            )
            items.append(
                TodoItem(Action.RETRY, platform.priority, platform.id, platform.name, brand_handle, result.url,
                         f"no answer ({result.reason}): {advice}", owner=owner,
                         evidence=(result.evidence,))
            )  # fmt: skip
    for finding in findings:
        where = by_id.get(finding.platform)
        if where is None or finding.classification is Classification.UNRELATED:
            continue
        evidence = (f"profile: {finding.url}" if finding.url else "profile: (no public URL)", *finding.reasons[1:],
                    f"seen {finding.seen_at.isoformat(timespec='minutes')}", *_archived(finding))  # fmt: skip
        label = finding.classification.value
        if finding.classification is Classification.IMPERSONATOR and finding.risk >= config.report_risk:
            items.append(
                TodoItem(Action.REPORT, _report_priority(finding.risk), where.id, where.name, finding.handle,
                         where.urls.report or finding.url, f"impersonator, risk {finding.risk}{_how_to_report(where)}",
                         owner=config.owner_for(where), evidence=evidence,
                         report_text=report_text(config, where, finding, platforms))
            )  # fmt: skip
        else:
            items.append(
                TodoItem(Action.WATCH, Priority.LOW, where.id, where.name, finding.handle, finding.url,
                         f"{label}, risk {finding.risk}", owner=config.owner_for(where), evidence=evidence)
            )  # fmt: skip
    bluesky = by_id.get(BLUESKY_ID)
    if bluesky is not None:
        items += _domain_handles(config, bluesky, results)
    items.sort(key=lambda i: (PRIORITY_ORDER.index(i.priority), ACTION_ORDER.index(i.action), i.platform, i.handle))
    return tuple(items)


SETUP_STEP = (
    "in Bluesky: Settings > Account > Handle > I have my own domain; add the DNS TXT record it shows "
    "(_atproto.{domain}) or serve the DID at https://{domain}/.well-known/atproto-did, then verify"
)


def _domain_handles(config: Config, bluesky: Platform, results: Iterable[Result]) -> list[TodoItem]:
    """A `verify` for each of the brand's domains that is not its Bluesky handle yet."""
    why = "make {domain} the brand's Bluesky handle: it is not one yet (free; it proves the account is yours)"
    return [
        TodoItem(Action.VERIFY, bluesky.priority, bluesky.id, bluesky.name, r.handle, bluesky.help.verification.url,
                 why.format(domain=r.handle), owner=config.owner_for(bluesky), evidence=(r.evidence,),
                 steps=(SETUP_STEP.format(domain=r.handle),))
        for r in results
        if r.platform == DOMAIN_HANDLE_ID and r.verdict is Verdict.AVAILABLE
    ]  # fmt: skip


def _secure(config: Config, platform: Platform, handle: str, owner: str | None) -> list[TodoItem]:
    gaps = security_gaps(config, platform)
    if not gaps:
        return []
    reason = "; ".join(gap.text for gap in gaps)
    steps = tuple(dict.fromkeys(gap.step(platform.id) for gap in gaps))
    page = account_url(platform, handle)
    return [TodoItem(Action.SECURE, platform.priority, platform.id, platform.name, handle, page, reason, owner=owner,
                     steps=steps)]  # fmt: skip


def _verify(platform: Platform, handle: str, owner: str | None) -> list[TodoItem]:
    if not verifies(platform):
        return []
    channel = platform.help.verification
    where = "in the app" if channel.offered is Offered.IN_APP else "on its verification page"
    reason = f"get the verified badge or domain handle {where} ({COSTS[channel.cost]})"
    priority = PRIORITY_ORDER[min(PRIORITY_ORDER.index(platform.priority) + 1, len(PRIORITY_ORDER) - 1)]
    return [TodoItem(Action.VERIFY, priority, platform.id, platform.name, handle, channel.url, reason, owner=owner,
                     steps=(channel.how,) if channel.how else ())]  # fmt: skip


def _register(config: Config, platform: Platform, handle: str, owner: str | None, reason: str) -> TodoItem:
    alias = config.email_for(platform)
    return TodoItem(
        Action.REGISTER,
        platform.priority,
        platform.id,
        platform.name,
        handle,
        platform.urls.signup,
        reason,
        owner=owner,
        email_alias=alias,
        steps=SECURITY_STEPS if alias else (NO_ALIAS_STEP, *SECURITY_STEPS[1:]),
    )


def _archived(finding: Finding) -> tuple[str, ...]:
    """Where the finding's page is archived, and its screenshot."""
    kept = finding.evidence
    if kept is None:
        return ()
    folder = Path(kept.folder)
    lines = [f"archived: {folder / kept.archive} (page sha256 {kept.payload_sha256})"]
    lines += [f"screenshot: {folder / kept.screenshot}"] if kept.screenshot else []
    return tuple(lines)


def _how_to_report(platform: Platform) -> str:
    """Where a platform takes reports only in its app, what to tap there (its link is then the
    account's own page)."""
    channel = platform.help.report
    if channel.offered is Offered.IN_APP:
        return f"; report it in the app: {channel.how}" if channel.how else "; report it in the app"
    return ""
