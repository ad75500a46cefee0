"""An entry's help links: where to report an impersonator, recover a stolen account and get
verified, as `urls.report`, `urls.recovery`, `verification` and `taps` give them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import Channel, Cost, Help, Offered, Platform, Priority

HELP_SENTINELS = (Offered.IN_APP.value, Offered.NONE.value)


def help_link(value: str | None) -> str | None:
    """A help link's URL, or None where the entry says "in-app" or "none"."""
    return None if value in HELP_SENTINELS else value


def _channel(value: str | None, taps: str = "") -> Channel:
    if value is None:
        return Channel()
    if value in HELP_SENTINELS:
        return Channel(Offered(value), how=taps if value == Offered.IN_APP.value else "")
    return Channel(Offered.LINK, url=value)


def read_help(urls: dict[str, Any], verification: str | dict[str, Any] | None, taps: dict[str, str]) -> Help:
    """The entry's report, recovery and verification help (platforms.schema.json: helpLink)."""
    if verification is None or isinstance(verification, str):
        verified = _channel(verification)
    else:
        url = help_link(verification.get("url"))
        offered = Offered.LINK if url else Offered.IN_APP
        verified = Channel(offered, url, verification["how"], Cost(verification.get("cost", "unknown")))
    return Help(
        report=_channel(urls.get("report"), taps.get("report", "")),
        recovery=_channel(urls.get("recovery"), taps.get("recovery", "")),
        verification=verified,
    )


# Platforms whose entries must say where to report, recover and get verified (issue 16).
HELP_PRIORITIES = frozenset({Priority.CRITICAL, Priority.HIGH, Priority.NORMAL})


def help_gaps(platforms: Iterable[Platform]) -> list[tuple[Platform, tuple[str, ...]]]:
    """Each priority platform that lacks some help (neither a link, in-app, nor "none" recorded),
    with what it lacks."""
    return [(p, p.help.missing()) for p in platforms if p.priority in HELP_PRIORITIES and p.help.missing()]
