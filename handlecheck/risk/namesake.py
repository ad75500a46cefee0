"""How the brand shows in a display name: as the whole name, as the brand's service account, as
one word among others, or only inside a longer word (a namesake: "Nikesh Patel", "The Stripes")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache

from ..candidates.brand import Brand
from ..candidates.skeleton import name_forms
from .signals import SERVICE_WORDS


class Presence(IntEnum):
    """How strongly a display name presents the brand, strongest first."""

    EXACT = 0  # reads as the brand: "NIKE", the same in Greek or fullwidth letters, "OpenAI"
    SERVICE = 1  # the brand beside a service word: "NIKE STORE", "PayPal Kundenservice"
    WORD = 2  # the brand as a word among others: "Nike Adeyemi", "ACME Fans"
    PART = 3  # only inside a longer word: "Nikesh Patel", "The Stripes", "Slacks & Co"
    NONE = 4


@dataclass(frozen=True, slots=True)
class NameMatch:
    presence: Presence
    others: tuple[str, ...] = ()  # the name's other words (folded), when the brand is a word of it


@cache
def _service_forms() -> frozenset[str]:
    return frozenset(form for word in SERVICE_WORDS for form in name_forms(word))


def _brand_run(brand: Brand, words: tuple[str, ...]) -> tuple[int, int] | None:
    """Where a run of consecutive words spells the brand ("Open AI" is openai), if anywhere."""
    longest = max(len(form) for form in brand.forms)
    for start in range(len(words)):
        joined = ""
        for end in range(start, len(words)):
            joined += words[end]
            if len(joined) > longest:
                break
            if joined in brand.forms:
                return start, end + 1
    return None


def name_presence(brand: Brand, name: str) -> NameMatch:
    best = NameMatch(Presence.NONE)
    for words in brand.word_forms_of(name):
        run = _brand_run(brand, words)
        if run is None:
            continue
        others = words[: run[0]] + words[run[1] :]
        if not others:
            return NameMatch(Presence.EXACT)
        service = _service_forms()
        presence = Presence.SERVICE if any(word in service for word in others) else Presence.WORD
        best = min(best, NameMatch(presence, others), key=lambda match: match.presence)
    if best.presence is Presence.NONE and brand.shown_in(name):
        return NameMatch(Presence.PART)
    return best


def names_brand(brand: Brand, text: str) -> bool:
    """Does the text name the brand as a word (or a run of words: "Open AI"), not inside one?"""
    return any(_brand_run(brand, words) is not None for words in brand.word_forms_of(text))
