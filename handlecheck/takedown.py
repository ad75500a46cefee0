"""The text of an impersonation report, ready to paste into a platform's form. Pure functions.

Trust-and-safety teams ask the same things whatever the form: who is being impersonated and
their real account, the impersonating account's address, what it shows that misleads, and
proof of what it showed when. The text gives those, plainly, from the config and the finding:
the official account on that platform (or, where the brand holds none there, its accounts
elsewhere), the finding's reasons that add to its risk (each quotes what the page shows), the
capture time and the SHA-256 of the archived page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .config import Config
from .domain import Finding
from .models import Platform
from .rules.templates import UnsafeValue, render_url
from .text import printable

_SCORED = re.compile(r"\s*\(\+\d+\)$")  # a reason that adds to the risk ends with its points
MAX_OFFICIAL = 3
MAX_CLAIMS = 8


def account_url(platform: Platform, handle: str) -> str | None:
    """The public address of `handle` on `platform`, where its profile URL template makes one."""
    if not platform.urls.profile:
        return None
    try:
        return render_url(platform.urls.profile, {"handle": handle})
    except UnsafeValue:
        return None


def official_accounts(config: Config, platform: Platform, platforms: Sequence[Platform]) -> list[str]:
    """The brand's own accounts to name: the one on `platform`, else those it holds elsewhere."""
    by_id = {p.id: p for p in platforms}

    def named(where: Platform, handle: str) -> str:
        url = account_url(where, handle)
        return f"{handle} on {where.name}" + (f" ({url})" if url else "")

    here = [named(platform, o.handle) for o in config.owned if o.platform == platform.id]
    if here:
        return here
    return [named(by_id[o.platform], o.handle) for o in config.owned if o.platform in by_id][:MAX_OFFICIAL]


def claims(finding: Finding) -> list[str]:
    """What the account shows that misleads: the reasons read from its profile that add to the
    risk, without the points (the first reason is about the handle, which the text names)."""
    return [_SCORED.sub("", reason) for reason in finding.reasons[1:] if _SCORED.search(reason)][:MAX_CLAIMS]


def report_text(config: Config, platform: Platform, finding: Finding, platforms: Sequence[Platform]) -> str:
    """A short, factual impersonation report for `platform`'s form."""
    brand = printable(config.brand, 100)
    official = official_accounts(config, platform, platforms)
    lines = [
        f"Impersonation of {brand} on {platform.name}",
        "",
        f"The account {printable(finding.handle, 100)} ({finding.url or 'no public address'}) impersonates "
        f"{brand}. It is not run by {brand} and has no permission to use its name.",
    ]
    if official:
        ours_here = any(o.platform == platform.id for o in config.owned)
        where = "Our official account here" if ours_here else f"{brand} has no account on {platform.name}; ours are"
        lines.append(f"{where}: {'; '.join(official)}.")
    found = claims(finding)
    if found:
        lines += ["", "What the account shows:"] + [f"- {printable(claim, 300)}" for claim in found]
    evidence = finding.evidence
    if evidence is not None:
        moment = evidence.captured_at.strftime("%Y-%m-%d %H:%M UTC")
        lines += ["", f"Captured {moment}; the archived page (WARC) has SHA-256 {evidence.payload_sha256}."]
    else:
        lines += ["", f"Seen {finding.seen_at.strftime('%Y-%m-%d %H:%M UTC')}."]
    lines += ["", "Please remove the account, or make clear that it is not ours, under your impersonation policy."]
    return "\n".join(lines)
