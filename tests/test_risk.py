"""Scoring found accounts: table-driven over the pure `assess`."""

from __future__ import annotations

import pytest

from handlecheck.candidates import Brand
from handlecheck.domain import Candidate, Classification, Technique, Tier
from handlecheck.models import Profile
from handlecheck.risk import assess

ACME = Brand.parse("Acme")


def candidate(handle: str, tier: Tier, technique: Technique = Technique.AFFIX, detail: str = "") -> Candidate:
    return Candidate(handle, technique, tier, 1, 0.9, detail)


SUPPORT = candidate("acme_support", Tier.PHISHING_AFFIX, detail="support")
TYPO = candidate("acne", Tier.ONE_EDIT, Technique.KEYBOARD_REPLACEMENT)
HOMOGLYPH = candidate("acrne", Tier.SAME_SKELETON, Technique.HOMOGLYPH)
PARODY_HANDLE = candidate("acmeparody", Tier.PARODY_OR_FAN, detail="parody")
FANS_HANDLE = candidate("acmefans", Tier.PARODY_OR_FAN, detail="fans")

CASES = [
    ("impersonator: brand name and DM-us support", SUPPORT,
     Profile(display_name="ACME", bio="Official support. DM us your order number 24/7"),
     Classification.IMPERSONATOR, 80, 100),
    ("homoglyph with a confusable display name", HOMOGLYPH, Profile(display_name="\u0391\u0421\u039c\u0395"),
     Classification.IMPERSONATOR, 65, 80),
    ("lookalike domain in the bio", TYPO, Profile(display_name="Deals", bio="Claim at acme-rewards.com now"),
     Classification.IMPERSONATOR, 50, 100),
    ("own domain is not a lookalike", TYPO, Profile(display_name="Deals", bio="see acme.com"),
     Classification.IMPERSONATOR, 30, 60),
    ("labelled parody", PARODY_HANDLE, Profile(display_name="ACME Parody", bio="Parody account. Not affiliated."),
     Classification.PARODY, 10, 30),
    ("fan account", FANS_HANDLE, Profile(display_name="ACME Fans", bio="Fan account for everything ACME"),
     Classification.FAN, 10, 30),
    ("unrelated: similar handle, nothing of the brand", TYPO,
     Profile(display_name="Acne Clinic", bio="Dermatology tips"), Classification.UNRELATED, 0, 15),
    ("verified lowers the score", SUPPORT, Profile(display_name="ACME", verified=True),
     Classification.IMPERSONATOR, 50, 60),
    ("no profile, phishing affix", SUPPORT, None, Classification.IMPERSONATOR, 40, 40),
    ("no profile, a typo", TYPO, None, Classification.UNRELATED, 30, 30),
    ("no profile, parody word in the handle", PARODY_HANDLE, None, Classification.PARODY, 10, 10),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "found", "profile", "classification", "low", "high"), CASES, ids=[c[0] for c in CASES]
)
def test_assess(
    name: str, found: Candidate, profile: Profile | None, classification: Classification, low: int, high: int
) -> None:
    result = assess(ACME, found, profile, own_domains=["acme.com"])
    assert result.classification is classification, result.reasons
    assert low <= result.risk <= high, (result.risk, result.reasons)
    assert len(result.reasons) >= 2 and result.reasons[0].startswith(f"handle {found.handle!r}: ")


def test_impersonator_outranks_parody_and_fan() -> None:
    impostor = assess(ACME, SUPPORT, Profile(display_name="ACME", bio="DM us for support")).risk
    parody = assess(ACME, PARODY_HANDLE, Profile(display_name="ACME Parody", bio="parody")).risk
    fan = assess(ACME, FANS_HANDLE, Profile(display_name="ACME fans", bio="fan account")).risk
    assert impostor > parody and impostor > fan
