"""The domain's data: what a brand is checked for, what was found, and what to do about it.

Frozen dataclasses and enums only, with no I/O and no network stack behind them, so that the
pure parts (candidates, risk, to-do, config, history) and the renderers can share them.

    Depth, Owned -> Candidate (Technique, Tier) -> Finding (Classification) -> TodoItem (Action),
    BestHandle -> ScanReport
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from .errors import InputError
from .models import Platform, Priority, Profile, Result
from .pages import ProfilePage
from .summary import summarise

_SEPARATORS = str.maketrans("", "", "._-")
# The Bluesky entry, and the check of the brand's own domain as its Bluesky handle.
BLUESKY_ID = "bluesky"
DOMAIN_HANDLE_ID = "bluesky-domain-handle"


class Technique(StrEnum):
    OMISSION = "omission"
    REPETITION = "repetition"
    TRANSPOSITION = "transposition"
    KEYBOARD_REPLACEMENT = "keyboard-replacement"
    KEYBOARD_INSERTION = "keyboard-insertion"
    VOWEL_SWAP = "vowel-swap"
    ADDITION = "addition"
    BITSQUATTING = "bitsquatting"
    HOMOGLYPH = "homoglyph"
    SEPARATOR = "separator"
    PLURAL = "plural"
    DIGIT_SUFFIX = "digit-suffix"
    TLD_IN_LABEL = "tld-in-label"
    AFFIX = "affix"
    WORD_FORM = "word-form"


class Tier(IntEnum):
    """How dangerous a candidate handle is, most dangerous first (candidates/ranking.py says
    which candidate goes where, and how the tiers share the first ranks)."""

    SAME_SKELETON = 0  # reads as the brand: homoglyphs, the brand's own words separated
    COMBO = 1  # the brand plus a service word: paypal_support, officialpaypal
    ONE_EDIT = 2  # a single typo: paypa, paypla, paypall, paypsl, nike_
    COMBINED = 3  # a typo or homoglyph plus a service word: paypa1_support, paypal_support247
    OTHER = 4  # the rest: tld-in-label, digits, plurals, other words, bitsquats, two edits
    PARODY_OR_FAN = 5  # not, fake, parody, fan words
    SEPARATOR_NOISE = 6  # a separator inside a word: pa.ypal, ni_ke


@dataclass(frozen=True, slots=True)
class Candidate:
    """A handle an impersonator might pick, every technique that made it (the main one first),
    what it changed or added (`detail`), and the brand handle it was made from.

    How close it is to the brand is worked out when asked for: a brand has a thousand
    candidates, and most are only ever counted."""

    handle: str
    techniques: tuple[Technique, ...]
    tier: Tier
    detail: str = ""
    brand: str = ""

    @property
    def technique(self) -> Technique:
        return self.techniques[0]

    @property
    def distance(self) -> int:
        """Damerau-Levenshtein edits from the brand's handle to this one without separators."""
        return int(DamerauLevenshtein.distance(self.handle.translate(_SEPARATORS), self.brand))

    @property
    def similarity(self) -> float:
        """Jaro-Winkler similarity of this handle without separators to the brand's handle."""
        return float(JaroWinkler.similarity(self.handle.translate(_SEPARATORS), self.brand))

    def to_dict(self) -> dict[str, object]:
        return {
            "handle": self.handle,
            "technique": self.technique.value,
            "techniques": [t.value for t in self.techniques],
            "tier": self.tier.name.lower().replace("_", "-"),
            "distance": self.distance,
            "similarity": round(self.similarity, 3),
            "detail": self.detail,
        }


class Classification(StrEnum):
    IMPERSONATOR = "impersonator"
    PARODY = "parody"
    FAN = "fan"
    UNRELATED = "unrelated"


class Depth(StrEnum):
    """How far to look: quick = top 30 on critical and high-priority platforms; standard = top
    100 on all but low-priority ones; deep = every candidate everywhere."""

    QUICK = "quick"
    STANDARD = "standard"
    DEEP = "deep"


DEPTHS: dict[Depth, tuple[int | None, frozenset[Priority]]] = {
    Depth.QUICK: (30, frozenset({Priority.CRITICAL, Priority.HIGH})),
    Depth.STANDARD: (100, frozenset({Priority.CRITICAL, Priority.HIGH, Priority.NORMAL})),
    Depth.DEEP: (None, frozenset(Priority)),
}


@dataclass(frozen=True, slots=True)
class Owned:
    """An account the brand owns: never reported as a lookalike."""

    platform: str
    handle: str

    @classmethod
    def parse(cls, text: str) -> Owned:
        platform, separator, handle = text.partition(":")
        if not separator or not platform.strip() or not handle.strip():
            raise InputError(f"owned account {text!r} is not PLATFORM:HANDLE (e.g. github:acme)")
        return cls(platform.strip(), handle.strip().lstrip("@"))


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a finding's profile page is archived: a WARC file in the scan's evidence folder,
    the SHA-256 of the archived payload (the page's body), the UTC capture time, and a
    full-page screenshot beside it where one was taken. File names are relative to `folder`."""

    folder: str
    archive: str
    record_id: str
    payload_sha256: str
    captured_at: datetime
    http_status: int
    screenshot: str | None = None
    screenshot_sha256: str | None = None
    own_screenshot: str | None = None  # the brand's own account on that platform, for comparison

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "archive": self.archive,
            "record_id": self.record_id,
            "payload_sha256": self.payload_sha256,
            "captured_at": self.captured_at.isoformat(timespec="seconds"),
            "http_status": self.http_status,
            "screenshot": self.screenshot,
            "screenshot_sha256": self.screenshot_sha256,
            "own_screenshot": self.own_screenshot,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A lookalike account that exists, with what it shows and how risky it looks, and where
    its page is archived when evidence was kept."""

    platform: str
    handle: str
    url: str | None
    candidate: Candidate
    classification: Classification
    risk: int
    reasons: tuple[str, ...]
    profile: Profile | None
    seen_at: datetime
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "handle": self.handle,
            "url": self.url,
            "classification": self.classification.value,
            "risk": self.risk,
            "reasons": list(self.reasons),
            "technique": self.candidate.technique.value,
            "techniques": [t.value for t in self.candidate.techniques],
            "tier": self.candidate.tier.name.lower().replace("_", "-"),
            "profile": self.profile.to_dict() if self.profile else None,
            "seen_at": self.seen_at.isoformat(timespec="seconds"),
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


@dataclass(frozen=True, slots=True)
class HuntReport:
    """A hunt's answers and findings; `pages` holds the profile pages it read, by (platform,
    handle), for the evidence of the findings that turn out to matter."""

    brand: str
    results: tuple[Result, ...]
    findings: tuple[Finding, ...]
    owned_seen: int
    pages: Mapping[tuple[str, str], ProfilePage] = field(default_factory=dict)


class Action(StrEnum):
    """What to do, in the order a to-do list sorts actions of one priority (see `todo`)."""

    FIX = "fix"
    REPORT = "report"
    SECURE = "secure"
    REGISTER = "register"
    CLAIM = "claim"
    VERIFY = "verify"
    RETRY = "retry"
    WATCH = "watch"


@dataclass(frozen=True, slots=True)
class TodoItem:
    action: Action
    priority: Priority
    platform: str
    platform_name: str
    handle: str
    link: str | None
    reason: str
    owner: str | None = None
    email_alias: str | None = None
    steps: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    suggestion: str | None = None
    report_text: str | None = None  # a report, ready to paste into the platform's form

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "priority": self.priority.value,
            "platform": self.platform,
            "platform_name": self.platform_name,
            "handle": self.handle,
            "link": self.link,
            "reason": self.reason,
            "owner": self.owner,
            "email_alias": self.email_alias,
            "steps": list(self.steps),
            "evidence": list(self.evidence),
            "suggestion": self.suggestion,
            "report_text": self.report_text,
        }


@dataclass(frozen=True, slots=True)
class BestHandle:
    """The brand variant free (or already held) on the most platforms, weighted by priority."""

    handle: str
    weight: int
    total_weight: int
    available_on: tuple[str, ...] = field(default=())

    @property
    def coverage(self) -> float:
        return self.weight / self.total_weight if self.total_weight else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "coverage": round(self.coverage, 3),
            "weight": self.weight,
            "total_weight": self.total_weight,
            "available_on": list(self.available_on),
        }


@dataclass(frozen=True, slots=True)
class Unfinished:
    """What a scan that a stop interrupted had not done: its report is partial."""

    checks_done: int
    checks_planned: int
    lookalikes_checked: bool

    def describe(self) -> str:
        missing = self.checks_planned - self.checks_done
        parts = [f"{missing} of {self.checks_planned} handle checks not done"] if missing > 0 else []
        parts += [] if self.lookalikes_checked else ["lookalikes not checked"]
        return "the scan was stopped before the end: " + ("; ".join(parts) or "its findings were not stored")

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks_done": self.checks_done,
            "checks_planned": self.checks_planned,
            "lookalikes_checked": self.lookalikes_checked,
            "description": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Everything a scan learnt, and what to do about it; `unfinished` when a stop interrupted it."""

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
    unfinished: Unfinished | None = None
    owned: tuple[Owned, ...] = ()  # the config's own accounts: "ours", not someone else's "taken"

    @property
    def partial(self) -> bool:
        return self.unfinished is not None

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
            "partial": self.partial,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "handle": self.handle,
            "depth": self.depth.value,
            "status": "partial" if self.partial else "complete",
            "unfinished": self.unfinished.to_dict() if self.unfinished else None,
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
