"""Scoring a found lookalike account: impersonator, parody, fan or unrelated, and how risky.

Pure functions over a Candidate (how close the handle is to the brand) and a Profile (what the
account shows). The score starts from the handle's closeness and moves with the evidence:

    +25  the display name reads as the brand (TR39 skeleton)
    +10  the bio names the brand
    +20  support, DM, giveaway or "verify your account" wording
    +15  a link to a lookalike of the brand's domain
    -10  the platform marks the account verified
    x0.5 labelled parody / fan / unofficial (still listed, as parody or fan)

An account whose profile shows nothing of the brand is `unrelated`; one with no readable
profile is judged by its handle alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from .candidates import Brand, loose_skeleton
from .domain import (
    Candidate,
    Classification,
    Tier,
)
from .models import Profile

HANDLE_SCORE = {
    Tier.SAME_SKELETON: 45,
    Tier.PHISHING_AFFIX: 40,
    Tier.ONE_EDIT: 30,
    Tier.OTHER_AFFIX: 20,
    Tier.TWO_EDITS: 15,
    Tier.PARODY_OR_FAN: 10,
    Tier.DISTANT: 5,
}
SUPPORT_WORDS = (
    "support", "customer service", "customer care", "help desk", "helpdesk", "dm us", "dm me", "direct message",
    "message us", "giveaway", "give away", "airdrop", "verify your", "verification", "claim your", "refund",
    "recover your account", "24/7", "contact us", "whatsapp", "telegram me",
)  # fmt: skip
PARODY_WORDS = ("parody", "satire", "satirical", "not affiliated", "unofficial", "not the real", "commentary", "fake")
FAN_WORDS = ("fan account", "fan page", "fanpage", "fan club", "fans of", "fan-run", "fan run", "biggest fan", "fan of")
_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,24})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Assessment:
    classification: Classification
    risk: int
    reasons: tuple[str, ...]


def _mentions(text: str, words: Iterable[str]) -> str | None:
    lowered = text.casefold()
    return next((word for word in words if word in lowered), None)


def _lookalike_domains(text: str, brand: Brand, own_domains: frozenset[str]) -> list[str]:
    """Domains in the text whose name is close to the brand's but that the brand does not own."""
    found = []
    for domain in _DOMAIN.findall(text):
        domain = domain.casefold()
        if domain in own_domains or any(domain.endswith("." + own) for own in own_domains):
            continue
        label = loose_skeleton(domain.rsplit(".", 1)[0].replace(".", ""))
        if brand.skeleton in label or DamerauLevenshtein.distance(label, brand.skeleton) <= 2:
            found.append(domain)
    return found


def assess(
    brand: Brand,
    candidate: Candidate,
    profile: Profile | None,
    own_domains: Iterable[str] = (),
) -> Assessment:
    """Classify and score one found account."""
    reasons = [f"handle {candidate.handle!r}: {candidate.tier.name.lower().replace('_', ' ')} ({candidate.technique})"]
    risk = HANDLE_SCORE[candidate.tier]
    if profile is None:
        classification = (
            Classification.IMPERSONATOR
            if candidate.tier in (Tier.SAME_SKELETON, Tier.PHISHING_AFFIX)
            else Classification.UNRELATED
        )
        if candidate.tier is Tier.PARODY_OR_FAN:
            classification = (
                Classification.PARODY if candidate.detail in ("parody", "fake", "not") else Classification.FAN
            )
        reasons.append("no public profile to read: judged by the handle alone")
        return Assessment(classification, max(0, min(100, risk)), tuple(reasons))

    name = profile.display_name or ""
    bio = profile.bio or ""
    text = f"{name}\n{bio}"
    brand_signal = False
    if name and brand.skeleton and brand.skeleton in loose_skeleton(name):
        risk += 25
        brand_signal = True
        reasons.append(f"display name {name[:60]!r} reads as the brand")
    if bio and brand.skeleton and brand.skeleton in loose_skeleton(bio):
        risk += 10
        brand_signal = True
        reasons.append("the bio names the brand")
    support = _mentions(text, SUPPORT_WORDS)
    if support:
        risk += 20
        reasons.append(f"offers {support!r}")
    domains = _lookalike_domains(text, brand, frozenset(d.casefold() for d in own_domains))
    if domains:
        risk += 15
        brand_signal = True
        reasons.append(f"links to lookalike domain {domains[0]}")
    if profile.verified:
        risk -= 10
        reasons.append("marked verified by the platform")

    parody = _mentions(text, PARODY_WORDS)
    fan = _mentions(text, FAN_WORDS)
    if parody or fan:
        classification = Classification.PARODY if parody else Classification.FAN
        risk = risk // 2
        reasons.append(f"labelled {parody or fan!r}")
    elif brand_signal or (support and candidate.tier <= Tier.ONE_EDIT):
        classification = Classification.IMPERSONATOR
    else:
        classification = Classification.UNRELATED
        risk = min(risk, 25) // 2
        reasons.append("the profile shows nothing of the brand")
    return Assessment(classification, max(0, min(100, risk)), tuple(reasons))
