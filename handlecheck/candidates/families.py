"""The fuzzing families: each turns a brand into lookalike handles, in its tier's rank order.

Pure functions returning lists of `Variant` (handle, the techniques that made it, a detail such
as the word added or the keys swapped), most dangerous first; which tier each list feeds and how
the tiers share the ranks is ranking.py's business, removing duplicates and what a platform
forbids the generator's. Families follow dnstwist's for domains, adapted to handles: typos on
all three keyboard layouts, multi-step ASCII homoglyphs, bitsquatting, addition, inner plurals,
a domain ending in the handle, combo words, and bounded combinations of a homoglyph or typo
with a combo word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain, zip_longest

from rapidfuzz.distance import JaroWinkler

from ..domain import Technique
from .brand import Brand
from .homoglyphs import lookalikes
from .keyboards import neighbours
from .words import DIGIT_SUFFIXES, PARODY_WORDS, TLD_LABELS

# How a word is joined to the brand, most convincing first: paypal_support, paypalsupport, ...
COMBO_FORMS: tuple[tuple[str, bool], ...] = (
    ("_", False),
    ("", False),
    ("", True),
    ("_", True),
    (".", False),
    ("-", False),
    (".", True),
    ("-", True),
)  # fmt: skip  (separator, word in front)
# Words are taken in bands of this many, each band in all its forms before the next band.
WORD_BAND = 4
# Past the first words, only the forms people (and dnstwist's dictionary family) use most.
TAIL_FROM = 6 * WORD_BAND
TAIL_FORMS = (COMBO_FORMS[0], COMBO_FORMS[1], COMBO_FORMS[2], COMBO_FORMS[5], COMBO_FORMS[7])
# Typos in the order a reader is fooled by them; the one-edit tier takes one of each in turn.
TYPO_ORDER: tuple[Technique, ...] = (
    Technique.SEPARATOR, Technique.OMISSION, Technique.TRANSPOSITION, Technique.REPETITION,
    Technique.KEYBOARD_REPLACEMENT, Technique.VOWEL_SWAP, Technique.KEYBOARD_INSERTION,
)  # fmt: skip
# Combinations: the best few homoglyphs and typos with the best few words, and with digits.
COMBINED_BASES = 3
COMBINED_WORDS = 8
COMBINED_DIGITS = 2
_HANDLE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_NO_DIGITS = str.maketrans("", "", "0123456789")


# A raw lookalike: (handle, techniques, detail). A plain tuple: a brand makes a thousand.
Variant = tuple[str, tuple[Technique, ...], str]
# One shared tuple per technique, not one per handle.
ONLY: dict[Technique, tuple[Technique, ...]] = {technique: (technique,) for technique in Technique}


def word_forms(brand: Brand) -> list[Variant]:
    """A brand of several words, its words separated: it reads as the brand."""
    if len(brand.words) < 2:
        return []
    return [(s.join(brand.words), ONLY[Technique.WORD_FORM], "separated") for s in ("_", ".", "-")]


def initials(brand: Brand) -> list[Variant]:
    """A brand of several words by its initials, and by its initials and last word."""
    if len(brand.words) < 2:
        return []
    first = "".join(w[0] for w in brand.words)
    return [
        (first, ONLY[Technique.WORD_FORM], "initials"),
        (first[:-1] + brand.words[-1], ONLY[Technique.WORD_FORM], "initials + last word"),
    ]


def homoglyphs(base: str) -> list[Variant]:
    """One substitution before two, the lightest first (homoglyphs.py)."""
    return [(swap.handle, ONLY[Technique.HOMOGLYPH], swap.detail) for swap in lookalikes(base)]


def typos(base: str, chosen: frozenset[Technique], layouts: Sequence[str]) -> list[Variant]:
    """One-edit typos: the closest of every family in TYPO_ORDER, then the next of each, ..."""
    families: list[list[Variant]] = []
    for technique in TYPO_ORDER:
        if technique in chosen:
            made = sorted(_TYPO_FAMILIES[technique](base, layouts), key=_closeness(base))
            families.append([(handle, ONLY[technique], detail) for handle, detail in made])
    return [variant for turn in zip_longest(*families) for variant in turn if variant is not None]


def _closeness(base: str) -> Callable[[tuple[str, str]], tuple[bool, float]]:
    """Sort key of a typo: one that adds a digit to the brand is seen at once, so it comes after
    the others; then the closest first (Jaro-Winkler: a slip late in the word before an early one)."""
    digits = len(base) - len(base.translate(_NO_DIGITS))

    def key(made: tuple[str, str]) -> tuple[bool, float]:
        handle = made[0]
        return len(handle) - len(handle.translate(_NO_DIGITS)) > digits, -JaroWinkler.similarity(handle, base)

    return key


def _edge_separators(base: str, _: Sequence[str]) -> Iterator[tuple[str, str]]:
    """A separator at an edge (nike_); inside a word it is noise (separator_noise)."""
    for separator in ("_", ".", "-"):
        yield base + separator, separator
        yield separator + base, separator


def _omissions(base: str, _: Sequence[str]) -> Iterator[tuple[str, str]]:
    return ((base[:i] + base[i + 1 :], "") for i in range(len(base)))


def _transpositions(base: str, _: Sequence[str]) -> Iterator[tuple[str, str]]:
    return ((base[:i] + base[i + 1] + base[i] + base[i + 2 :], "") for i in range(len(base) - 1))


def _repetitions(base: str, _: Sequence[str]) -> Iterator[tuple[str, str]]:
    return ((base[: i + 1] + base[i:], "") for i in range(len(base)))


def _replacements(base: str, layouts: Sequence[str]) -> Iterator[tuple[str, str]]:
    near = neighbours(tuple(layouts))
    for i, char in enumerate(base):
        for other, on in near.get(char, ()):
            yield base[:i] + other + base[i + 1 :], on


def _vowel_swaps(base: str, _: Sequence[str]) -> Iterator[tuple[str, str]]:
    for i, char in enumerate(base):
        if char in "aeiou":
            for vowel in "aeiou".replace(char, ""):
                yield base[:i] + vowel + base[i + 1 :], ""


def _insertions(base: str, layouts: Sequence[str]) -> Iterator[tuple[str, str]]:
    near = neighbours(tuple(layouts))
    for i, char in enumerate(base):
        for other, on in near.get(char, ()):
            yield base[:i] + other + base[i:], on
            yield base[: i + 1] + other + base[i + 1 :], on


_TYPO_FAMILIES = {
    Technique.SEPARATOR: _edge_separators,
    Technique.OMISSION: _omissions,
    Technique.TRANSPOSITION: _transpositions,
    Technique.REPETITION: _repetitions,
    Technique.KEYBOARD_REPLACEMENT: _replacements,
    Technique.VOWEL_SWAP: _vowel_swaps,
    Technique.KEYBOARD_INSERTION: _insertions,
}


def affixed(base: str, words: Sequence[str]) -> list[Variant]:
    """The brand with a word before or after it: words in bands of WORD_BAND, each band in all
    its forms before the next band, so the first ranks hold several words; words from TAIL_FROM
    on in TAIL_FORMS only."""
    ranked: list[Variant] = []
    affix = ONLY[Technique.AFFIX]
    for start in range(0, len(words), WORD_BAND):
        band = words[start : start + WORD_BAND]
        for separator, in_front in COMBO_FORMS if start < TAIL_FROM else TAIL_FORMS:
            if in_front:
                ranked.extend((f"{word}{separator}{base}", affix, word) for word in band)
            else:
                ranked.extend((f"{base}{separator}{word}", affix, word) for word in band)
    return ranked


def combo_words(affixes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The affixes split into combo words and parody-or-fan words, each in its given order."""
    return [a for a in affixes if a not in PARODY_WORDS], [a for a in affixes if a in PARODY_WORDS]


def combined(base: str, bases: Sequence[Variant], words: Sequence[str]) -> list[Variant]:
    """Bounded combinations, two words at a time: with each of the best homoglyphs and typos
    (paypa1_support, paypa1support), then with digits (paypal_support247)."""
    ranked: list[Variant] = []
    best = words[:COMBINED_WORDS]
    for start in range(0, len(best), 2):
        for handle, techniques, detail in bases:
            for word in best[start : start + 2]:
                for separator in ("_", ""):
                    added = f"{detail}+{word}" if detail else word
                    ranked.append((f"{handle}{separator}{word}", (*techniques, Technique.AFFIX), added))
        for digits in DIGIT_SUFFIXES[:COMBINED_DIGITS]:
            for word in best[start : start + 2]:
                ranked.append((f"{base}_{word}{digits}", (Technique.AFFIX, Technique.DIGIT_SUFFIX), f"{word}+{digits}"))
    return ranked


def others(base: str, chosen: frozenset[Technique]) -> list[Variant]:
    """The rest, family after family: a domain ending in the handle, digits, plurals,
    additions, bitsquats."""
    made: list[Iterator[Variant]] = []
    if Technique.TLD_IN_LABEL in chosen:
        forms = (".", "", "_", "-")
        made.append((f"{base}{s}{tld}", ONLY[Technique.TLD_IN_LABEL], tld) for tld in TLD_LABELS for s in forms)
    if Technique.DIGIT_SUFFIX in chosen:
        made.append((f"{base}{s}{d}", ONLY[Technique.DIGIT_SUFFIX], d) for d in DIGIT_SUFFIXES for s in ("", "_"))
    if Technique.PLURAL in chosen:
        made.append(_plurals(base))
    if Technique.ADDITION in chosen:
        made.append((base + c, ONLY[Technique.ADDITION], c) for c in "abcdefghijklmnopqrstuvwxyz0123456789")
    if Technique.BITSQUATTING in chosen:
        made.append(_bitsquats(base))
    return list(chain.from_iterable(made))


def _plurals(base: str) -> Iterator[Variant]:
    """The brand made plural at its end, and inside (as for a name of two words)."""
    yield (base + ("es" if base.endswith(("s", "x", "z", "ch", "sh")) else "s"), ONLY[Technique.PLURAL], "")
    for i in range(2, len(base) - 2):
        yield (base[: i + 1] + ("es" if base[i] in "sxz" else "s") + base[i + 1 :], ONLY[Technique.PLURAL], "inner")


def _bitsquats(base: str) -> Iterator[Variant]:
    """One flipped bit in one character, kept when the result is still a handle character."""
    for i, char in enumerate(base):
        for bit in range(8):
            flipped = chr(ord(char) ^ (1 << bit))
            if flipped in _HANDLE_CHARACTERS:
                yield (base[:i] + flipped + base[i + 1 :], ONLY[Technique.BITSQUATTING], f"{char}->{flipped}")


def separator_noise(base: str) -> list[Variant]:
    """A separator inside the word (pa.ypal): legal on many platforms, rarely what fools anyone."""
    return [
        (base[:i] + separator + base[i:], ONLY[Technique.SEPARATOR], separator)
        for separator in ("_", ".", "-")
        for i in range(1, len(base))
    ]
