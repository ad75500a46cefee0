"""The self-check: does each platform's rule still work against the live site?

For every platform it asks about the `known.taken` canary (which must come back `taken`) and
a fresh random name that satisfies the platform's handle rule (which must not: a rule that
calls a random name taken sees accounts everywhere). Websites change every week; this is how
a rule earns `verified: true`, and how a stale one is found and skipped.
"""

from __future__ import annotations

import random
import string
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..files import write_atomic
from ..models import Platform, Reason, Result, Verdict
from ..net.checker import Checker
from ..net.http import HttpOptions
from ..registry.select import skip_entries
from ..rules.handles import case_folded, why_invalid

# An unknown for one of these reasons says the site could not be asked, not that the rule is wrong.
NOT_ANSWERED = frozenset(
    {
        Reason.NETWORK,
        Reason.OFFLINE,
        Reason.TIMEOUT,
        Reason.TLS,
        Reason.SERVER_ERROR,
        Reason.RATE_LIMITED,
        Reason.CHALLENGE,
        Reason.BLOCKED,
        Reason.LOGIN_WALL,
    }
)
_LENGTHS = (10, 8, 12, 6, 15, 5, 20, 4, 3, 25)


class Health(StrEnum):
    WORKING = "working"
    BROKEN = "broken"
    UNREACHABLE = "unreachable"
    UNTESTED = "untested"


@dataclass(frozen=True, slots=True)
class PlatformHealth:
    platform: str
    health: Health
    detail: str
    canary: Result | None = None
    control: Result | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "health": self.health.value,
            "detail": self.detail,
            "canary": self.canary.to_dict() if self.canary else None,
            "control": self.control.to_dict() if self.control else None,
        }


def control_name(platform: Platform, rng: random.Random) -> str | None:
    """A random name the platform's handle rule accepts (so an account by it is unlikely)."""
    alphabets = (
        string.ascii_lowercase + string.digits,
        string.ascii_lowercase,
        string.ascii_uppercase,
        string.ascii_uppercase + string.digits,
        string.ascii_letters + string.digits,
        string.ascii_lowercase + string.digits + "_",
    )
    for length in _LENGTHS:
        for alphabet in alphabets:
            letters = [c for c in alphabet if c.isalpha()]
            name = rng.choice(letters) + "".join(rng.choices(alphabet, k=length - 1))
            name = case_folded(name, platform)
            if why_invalid(name, platform) is None:
                return name
    return next((n for n in platform.known.available if why_invalid(n, platform) is None), None)


def judge(platform: Platform, canary: Result | None, control: Result | None) -> PlatformHealth:
    """Pure: the health of a platform's rule from the answers about its canary and a random name."""

    def health(state: Health, detail: str) -> PlatformHealth:
        return PlatformHealth(platform.id, state, detail, canary, control)

    if canary is None:
        return health(Health.UNTESTED, "no known.taken canary in the platform file")
    for label, result in (("canary", canary), ("random name", control)):
        if result is not None and result.verdict is Verdict.UNKNOWN and result.reason in NOT_ANSWERED:
            return health(Health.UNREACHABLE, f"{label} {result.handle!r}: unknown ({result.reason})")
    if canary.verdict is not Verdict.TAKEN:
        why = f"{canary.verdict}" + (f" ({canary.reason})" if canary.reason else "")
        return health(Health.BROKEN, f"canary {canary.handle!r} reads as {why}: the rule no longer sees accounts")
    if control is None:
        return health(Health.WORKING, "canary taken; no random name fits the handle rule to test the other side")
    if control.verdict is Verdict.TAKEN:
        return health(Health.BROKEN, f"random name {control.handle!r} reads as taken: the rule calls every name taken")
    if control.verdict is Verdict.UNKNOWN:
        return health(
            Health.BROKEN, f"random name {control.handle!r} reads as unknown ({control.reason}): no missing signal"
        )
    return health(Health.WORKING, f"canary {canary.handle!r} taken, random name {control.handle!r} {control.verdict}")


async def selfcheck(
    platforms: Sequence[Platform], options: HttpOptions | None = None, *, seed: int | None = None
) -> AsyncGenerator[PlatformHealth, None]:
    """Yield the health of each platform as soon as both of its answers are in."""
    rng = random.Random(seed)
    wanted: dict[str, list[str]] = {}
    pairs: list[tuple[str, Platform]] = []
    by_id = {p.id: p for p in platforms}
    for platform in platforms:
        names = list(platform.known.taken[:1])
        control = control_name(platform, rng) if names else None
        if control is not None:
            names.append(control)
        wanted[platform.id] = names
        pairs.extend((name, platform) for name in names)
        if not names:
            yield judge(platform, None, None)
    answers: dict[str, dict[str, Result]] = {}
    async with Checker(options) as checker, aclosing(checker.run_pairs(pairs)) as answered:
        async for result in answered:
            got = answers.setdefault(result.platform, {})
            got[result.handle] = result
            names = wanted[result.platform]
            if len(got) == len(names):
                control_result = got.get(names[1]) if len(names) > 1 else None
                yield judge(by_id[result.platform], got[names[0]], control_result)


@dataclass(frozen=True, slots=True)
class SkipFile:
    """What `write_skip_file` wrote: how many ids, and how many of those it kept from the file
    before because this run did not judge their platform."""

    broken: int
    kept: int


def write_skip_file(path: str | Path, reports: Sequence[PlatformHealth]) -> SkipFile:
    """Write the ids of broken platforms, one a line with the reason. The file is updated, not
    replaced: a platform this run judged (working or broken) takes its new place, and one it did
    not (unreachable, untested, not selected, not reached before a stop) keeps its old line, so a
    run stopped early, offline or on a few platforms never forgets a broken rule."""
    earlier = skip_entries(path) if Path(path).is_file() else {}
    judged = {r.platform for r in reports if r.health in (Health.WORKING, Health.BROKEN)}
    lines = {r.platform: f"{r.platform}\t{r.detail}" for r in reports if r.health is Health.BROKEN}
    kept = {platform: line for platform, line in earlier.items() if platform not in judged}
    lines.update(kept)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    header = f"# handlecheck selfcheck {stamp}: platforms whose rules failed; later runs skip them"
    write_atomic(path, "\n".join([header, *(lines[p] for p in sorted(lines))]) + "\n", "skip file")
    return SkipFile(len(lines), len(kept))
