"""Scoring a found lookalike account: impersonator, parody, fan or unrelated, and how risky.

A pure function of the candidate (how close the handle is to the brand) and the profile (what
the account shows). The score starts from the handle's tier (HANDLE_SCORE):

    45  same_skeleton     reads as the brand: homoglyphs, the brand's words separated
    40  combo             the brand and a service word: paypal_support
    30  one_edit          one typo: paypa, paypall
    35  combined          a typo or homoglyph and a service word: paypa1_support
    15  other             plurals, digits, other words, two edits
    10  parody_or_fan     not, fake, parody, fan words
    20  separator_noise   a separator inside a word: ni_ke

Each signal in the profile then adds once (POINTS; the wording in six languages, see signals):

    +25  name_is_brand      the display name reads as the brand: "NIKE", in Greek or fullwidth letters, "OpenAI"
    +20  name_with_service  the brand beside a service word: "NIKE STORE", "PayPal Kundenservice"
    +10  name_word          the brand as one word among others: "Nike Adeyemi" (no claim by itself)
    +10  bio_names_brand    the bio names the brand as a word
    +20  lookalike_domain   a link to a lookalike of the brand's domain (see domains)
    +15  official           "official", "oficial", "offiziell"... (counted when the account names the brand)
    +15  support            "customer service", "soporte", "Kundenservice"... (likewise)
    +10  contact            "DM us", "escríbenos", "schreib uns", WhatsApp, Telegram
    +30  credentials        asks for a password, login, 2FA or verification code, seed phrase
    +30  payment            asks for card or bank details, a fee, crypto
    +25  recovery           offers to recover, unlock or verify an account
    +20  giveaway           giveaway, prize, refund (counted when the account shows the brand)
    -15  verified           the platform marks the account verified (not taken off when it phishes)

Then the score is kept within 0..100 and the class decides the rest:
  * phishing wording (credentials, payment, recovery, giveaway) makes an impersonator, whatever
    disclaimer the profile also shows: no parody or fan label lowers its score;
  * otherwise a parody label (parody, satire) makes a parody, a fan label or a disclaimer
    (unofficial, not affiliated) a fan, and halves the score;
  * otherwise a claim to be the brand (the name reads as the brand or its service account,
    official or support wording beside the brand's name, a lookalike domain) is an impersonator;
  * otherwise the account is unrelated, and its score is capped at

    15  unrelated_cap

A namesake (the brand only inside a longer word, "Nikesh Patel", "The Stripes", or a person's
name, "Anna Uber") makes no claim: it is unrelated unless it phishes. With no profile to read,
the handle alone decides: same_skeleton, combo and combined are impersonators, parody_or_fan a
parody (not, fake, parody) or a fan, the others unrelated. Every score change is a reason,
ending with its points: the points of a finding's reasons add up to its risk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..candidates.brand import Brand
from ..domain import Candidate, Classification, Tier
from ..models import Profile
from .domains import lookalike_domains
from .namesake import NameMatch, Presence, name_presence, names_brand
from .signals import Cue
from .wording import Hit, find_cues

__all__ = ["HANDLE_SCORE", "POINTS", "Assessment", "Points", "assess"]

HANDLE_SCORE = {
    Tier.SAME_SKELETON: 45,
    Tier.COMBO: 40,
    Tier.ONE_EDIT: 30,
    Tier.COMBINED: 35,
    Tier.OTHER: 15,
    Tier.PARODY_OR_FAN: 10,
    Tier.SEPARATOR_NOISE: 20,
}
CLAIMING_TIERS = frozenset({Tier.SAME_SKELETON, Tier.COMBO, Tier.COMBINED})
PARODY_DETAILS = frozenset({"not", "fake", "parody"})
MAX_NAME, MAX_BIO = 300, 3000  # characters read: profiles are short, hostile ones need not be


@dataclass(frozen=True, slots=True)
class Points:
    name_is_brand: int = 25
    name_with_service: int = 20
    name_word: int = 10
    bio_names_brand: int = 10
    lookalike_domain: int = 20
    official: int = 15
    support: int = 15
    contact: int = 10
    credentials: int = 30
    payment: int = 30
    recovery: int = 25
    giveaway: int = 20
    verified: int = -15
    unrelated_cap: int = 15

    def of(self, cue: Cue) -> int:
        return int(getattr(self, cue.name.lower()))


POINTS = Points()


@dataclass(frozen=True, slots=True)
class Assessment:
    classification: Classification
    risk: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the profile shows, before any scoring."""

    name: str
    name_match: NameMatch
    bio_names_brand: bool
    domains: tuple[str, ...]
    cues: tuple[Hit, ...]
    verified: bool

    def hit(self, cue: Cue) -> Hit | None:
        return next((hit for hit in self.cues if hit.cue is cue), None)


def _scored(points: int, reason: str) -> str:
    return f"{reason} ({points:+d})"


def _handle_reason(candidate: Candidate) -> str:
    detail = f" {candidate.detail!r}" if candidate.detail else ""
    tier = candidate.tier.name.lower().replace("_", " ")
    return _scored(HANDLE_SCORE[candidate.tier], f"handle {candidate.handle!r}: {tier}{detail} ({candidate.technique})")


def _handle_label(candidate: Candidate) -> Classification:
    return Classification.PARODY if candidate.detail.casefold() in PARODY_DETAILS else Classification.FAN


def _by_handle(candidate: Candidate) -> Classification:
    if candidate.tier in CLAIMING_TIERS:
        return Classification.IMPERSONATOR
    if candidate.tier is Tier.PARODY_OR_FAN:
        return _handle_label(candidate)
    return Classification.UNRELATED


def _read(brand: Brand, profile: Profile, own_domains: Iterable[str]) -> Evidence:
    name = (profile.display_name or "")[:MAX_NAME]
    bio = (profile.bio or "")[:MAX_BIO]
    text = f"{name}\n{bio}"
    return Evidence(
        name=name,
        name_match=name_presence(brand, name),
        bio_names_brand=names_brand(brand, bio),
        domains=lookalike_domains(brand, text, own_domains),
        cues=find_cues(text),
        verified=bool(profile.verified),
    )


def _name_reason(evidence: Evidence) -> tuple[int, str] | None:
    shown = repr(evidence.name[:60])
    match evidence.name_match.presence:
        case Presence.EXACT:
            return POINTS.name_is_brand, f"display name {shown} reads as the brand"
        case Presence.SERVICE:
            return POINTS.name_with_service, f"display name {shown} is the brand beside a service word"
        case Presence.WORD:
            return POINTS.name_word, f"display name {shown} has the brand as one word among others"
        case Presence.PART:
            return 0, f"display name {shown} shows the brand only inside a longer word: a namesake"
    return None


def _label(evidence: Evidence, candidate: Candidate) -> tuple[Classification, str] | None:
    """What the account says it is, if it says: parody first, then fan, then a bare disclaimer;
    the handle's own parody or fan word when the profile says nothing."""
    for cue, classification in ((Cue.PARODY, Classification.PARODY), (Cue.FAN, Classification.FAN)):
        hit = evidence.hit(cue)
        if hit:
            return classification, f"{cue.value} ({hit.words!r})"
    disclaimer = evidence.hit(Cue.DISCLAIMER)
    if disclaimer:
        return Classification.FAN, f"{Cue.DISCLAIMER.value} ({disclaimer.words!r}), an unofficial account"
    if candidate.tier is Tier.PARODY_OR_FAN:
        return _handle_label(candidate), f"the handle says {candidate.detail!r}"
    return None


def _judge(candidate: Candidate, evidence: Evidence) -> Assessment:
    tier = candidate.tier
    presence = evidence.name_match.presence
    claims_name = presence in (Presence.EXACT, Presence.SERVICE)
    names = claims_name or evidence.bio_names_brand or bool(evidence.domains) or tier in CLAIMING_TIERS
    shows = names or presence is Presence.WORD or tier is Tier.PARODY_OR_FAN
    reasons = [_handle_reason(candidate)]
    risk = HANDLE_SCORE[tier]

    def add(points: int, reason: str) -> None:
        nonlocal risk
        risk += points
        reasons.append(_scored(points, reason) if points else reason)

    name_reason = _name_reason(evidence)
    if name_reason:
        add(*name_reason)
    if evidence.bio_names_brand:
        add(POINTS.bio_names_brand, "the bio names the brand")
    if evidence.domains:
        add(POINTS.lookalike_domain, f"links to lookalike domain {', '.join(evidence.domains[:3])}")
    claim = claims_name or bool(evidence.domains)
    phishing = False
    for hit in evidence.cues:
        if hit.cue.label:
            continue
        counted = names if hit.cue.claim else shows if hit.cue is Cue.GIVEAWAY else True
        if not counted:
            add(0, f"{hit.cue.value} ({hit.words!r}), but the account does not name the brand: not counted")
            continue
        add(POINTS.of(hit.cue), f"{hit.cue.value} ({hit.words!r})")
        claim = claim or hit.cue.claim
        phishing = phishing or hit.cue.phishing
    if evidence.verified:
        if phishing:
            add(0, "marked verified by the platform, but it phishes: nothing taken off")
        else:
            add(POINTS.verified, "marked verified by the platform")

    label = _label(evidence, candidate)
    if phishing:
        classification = Classification.IMPERSONATOR
        if label:
            add(0, f"{label[1]} ignored: phishing wording outranks any disclaimer")
    elif label and shows:
        classification = label[0]
    elif claim:
        classification = Classification.IMPERSONATOR
    else:
        classification = Classification.UNRELATED

    if risk > 100 or risk < 0:
        add(max(0, min(100, risk)) - risk, "kept within 0..100")
    if classification in (Classification.PARODY, Classification.FAN) and label:
        add(risk // 2 - risk, f"{label[1]}: half the score")
    elif classification is Classification.UNRELATED:
        if risk > POINTS.unrelated_cap:
            add(POINTS.unrelated_cap - risk, f"no claim to the brand: risk capped at {POINTS.unrelated_cap}")
        else:
            add(0, "no claim to the brand")
    return Assessment(classification, risk, tuple(reasons))


def assess(
    brand: Brand,
    candidate: Candidate,
    profile: Profile | None,
    own_domains: Iterable[str] = (),
) -> Assessment:
    """Classify and score one found account (the module docstring has the score table)."""
    if profile is None or not ((profile.display_name or "").strip() or (profile.bio or "").strip()):
        reasons = (_handle_reason(candidate), "no public profile to read: judged by the handle alone")
        return Assessment(_by_handle(candidate), HANDLE_SCORE[candidate.tier], reasons)
    return _judge(candidate, _read(brand, profile, own_domains))
