"""What a run tells the people who must act: one Alert per item a notification policy matched.

An alert is built by `policy.alerts` from a scan and what changed; the notifiers (`notify`)
turn a run's alerts into one message per channel, and the history remembers each alert's `key`
per channel, so that the same item is never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .text import brand_key


class AlertKind(StrEnum):
    IMPERSONATOR = "impersonator"  # an impersonating account was found (policy `lookalike`)
    NEW_LOOKALIKE = "new-lookalike"  # one that the previous scan had not seen (policy `new-lookalike`)
    NAME_TAKEN = "name-taken"  # a name that was free is taken now (policy `changed`)
    VERDICT_CHANGED = "verdict-changed"  # any other verdict that changed (policy `changed`)
    VANISHED_LOOKALIKE = "vanished-lookalike"  # a lookalike account is gone (policy `changed`)
    AVAILABLE = "available"  # the brand's name is free on a platform (policy `available`)


@dataclass(frozen=True, slots=True)
class Alert:
    """One item worth telling someone about. `text` is one line; `after` is what the account
    or the name became (a classification, a verdict), part of what makes two alerts the same."""

    brand: str
    kind: AlertKind
    platform: str
    handle: str
    text: str
    after: str = ""
    url: str | None = None  # the account's address
    report_link: str | None = None  # where the platform takes a report of it
    evidence_sha256: str | None = None  # the archived profile page's payload hash

    @property
    def key(self) -> str:
        """The same brand (whatever its case or accents), kind, account and outcome: the same
        alert, sent once per channel however many runs match it again."""
        return "\x1f".join((brand_key(self.brand), self.kind.value, self.platform, self.handle, self.after))

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "kind": self.kind.value,
            "platform": self.platform,
            "handle": self.handle,
            "text": self.text,
            "url": self.url,
            "report_link": self.report_link,
            "evidence_sha256": self.evidence_sha256,
        }
