"""Lookalike handles for a brand, ranked by danger, for one platform or for any.

`generate` runs the families (families.py) once per brand and settings (cached), then for a
platform keeps what its rules allow, counts handles the platform treats as one only once, and
merges the tiers in the order ranking.py sets. Never returns the brand itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

from ..domain import Candidate, Technique, Tier
from ..errors import InputError
from ..models import Platform
from ..rules.handles import canonical, case_folded, why_invalid
from . import families
from .brand import Brand
from .keyboards import LAYOUTS
from .ranking import interleave
from .words import DEFAULT_AFFIXES


def generate(
    brand_name: str,
    *,
    techniques: Iterable[Technique] | None = None,
    affixes: Sequence[str] = DEFAULT_AFFIXES,
    keyboards: Sequence[str] = LAYOUTS,
    platform: Platform | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Ranked lookalike candidates for a brand (the first `limit` of them).

    With `platform`, only handles its rules allow are kept, and two handles the platform would
    treat as one (case, ignored characters) count once."""
    chosen = frozenset(techniques) if techniques is not None else frozenset(Technique)
    queues = _queues(brand_name, chosen, tuple(affixes), tuple(keyboards))
    if platform is None:
        return interleave(queues, limit)
    seen = {canonical(Brand.parse(brand_name).handle, platform)}
    kept: dict[Tier, list[Candidate]] = {}
    for tier, queue in queues.items():
        for candidate in queue:
            handle = case_folded(candidate.handle, platform)
            if why_invalid(handle, platform) is not None:
                continue
            identity = canonical(handle, platform)
            if identity in seen:
                continue
            seen.add(identity)
            kept.setdefault(tier, []).append(
                candidate if handle == candidate.handle else replace(candidate, handle=handle)
            )
    return interleave(kept, limit)


@lru_cache(maxsize=4)
def _queues(
    brand_name: str, chosen: frozenset[Technique], affixes: tuple[str, ...], layouts: tuple[str, ...]
) -> dict[Tier, tuple[Candidate, ...]]:
    """Every family's candidates for the brand by tier, in rank order, each handle once (in
    its most dangerous tier), never the brand itself."""
    brand = Brand.parse(brand_name)
    own = brand.handle
    seen = {own, ""}
    queues: dict[Tier, tuple[Candidate, ...]] = {}
    for tier, variants in _tiers(brand, chosen, affixes, layouts):
        kept = []
        for handle, made, detail in variants:
            if handle not in seen:
                seen.add(handle)
                kept.append(Candidate(handle, made, tier, detail, own))
        queues[tier] = tuple(kept)
    return queues


def _tiers(
    brand: Brand, chosen: frozenset[Technique], affixes: tuple[str, ...], layouts: tuple[str, ...]
) -> Iterator[tuple[Tier, list[families.Variant]]]:
    """Each tier's variants, most dangerous tier first (a handle counts in the first it is in)."""
    base = brand.handle
    words, parody = families.combo_words(affixes) if Technique.AFFIX in chosen else ([], [])
    lookalikes = families.homoglyphs(base) if Technique.HOMOGLYPH in chosen else []
    typos = families.typos(base, chosen, layouts)
    word_forms = Technique.WORD_FORM in chosen
    yield Tier.SAME_SKELETON, (families.word_forms(brand) if word_forms else []) + lookalikes
    yield Tier.COMBO, families.affixed(base, words)
    yield Tier.ONE_EDIT, typos
    bases = lookalikes[: families.COMBINED_BASES] + typos[: families.COMBINED_BASES]
    yield Tier.COMBINED, families.combined(base, bases, words)
    yield Tier.OTHER, families.others(base, chosen) + (families.initials(brand) if word_forms else [])
    yield Tier.PARODY_OR_FAN, families.affixed(base, parody)
    yield Tier.SEPARATOR_NOISE, families.separator_noise(base) if Technique.SEPARATOR in chosen else []


def parse_techniques(names: Sequence[str] | None) -> tuple[Technique, ...] | None:
    """Technique names (as `--techniques` takes them) to Techniques; None for all of them."""
    if not names:
        return None
    known = {t.value: t for t in Technique}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown technique {unknown[0]!r} (one of: {', '.join(known)})")
    return tuple(known[n] for n in names)
