"""The order in which lookalikes are checked: the most dangerous first, and every kind of
danger among the first ranks, so that even `--depth quick` (the first 30 per platform) checks
the homoglyphs, the combo forms and the typos a scammer registers.

Each tier's families, and their order within it (families.py):

    same-skeleton    the brand's words separated; homoglyphs, one step before two, lightest first
    combo            combo words (words.py order) in bands of four, each band in its best forms first
    one-edit         the closest typo of each family in turn: edge separator, omission,
                     transposition, repetition, keyboard replacement, vowel swap, keyboard insertion
    combined         the best homoglyphs and typos with the best words, then words with digits
    other            tld-in-label, digit suffix, plural, addition, bitsquatting, initials
    parody-or-fan    as combo, with not/fake/parody/fan/fans/unofficial/satire
    separator-noise  `_` then `.` then `-`, at each place inside the word

The tiers share the first ranks in rounds (ROUND): two same-skeleton, two combo, two one-edit,
one combined and one other, again and again; a tier that runs out leaves its turns to the
others. When every tier of the round is empty, parody-or-fan follows, then separator noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from ..domain import Tier

ROUND: tuple[tuple[Tier, int], ...] = (
    (Tier.SAME_SKELETON, 2),
    (Tier.COMBO, 2),
    (Tier.ONE_EDIT, 2),
    (Tier.COMBINED, 1),
    (Tier.OTHER, 1),
)
AFTER_ROUNDS: tuple[Tier, ...] = (Tier.PARODY_OR_FAN, Tier.SEPARATOR_NOISE)

T = TypeVar("T")


def interleave(queues: Mapping[Tier, Sequence[T]], limit: int | None = None) -> list[T]:
    """Merge per-tier queues (each already in its tier's order) by ROUND, then AFTER_ROUNDS."""
    wanted = limit if limit is not None else sum(len(q) for q in queues.values())
    ranked: list[T] = []
    taken = dict.fromkeys(Tier, 0)
    sharing = [(tier, turns) for tier, turns in ROUND if queues.get(tier)]
    while len(sharing) > 1 and len(ranked) < wanted:
        for tier, turns in sharing:
            ranked.extend(queues[tier][taken[tier] : taken[tier] + turns])
            taken[tier] += turns
        sharing = [(tier, turns) for tier, turns in sharing if taken[tier] < len(queues[tier])]
    for tier, _ in sharing:  # the last tier of the round left, alone: the rest of it in order
        ranked.extend(queues[tier][taken[tier] : taken[tier] + wanted - len(ranked)])
    for tier in AFTER_ROUNDS:
        if len(ranked) < wanted:
            ranked.extend(queues.get(tier, ())[: wanted - len(ranked)])
    return ranked[:wanted]
