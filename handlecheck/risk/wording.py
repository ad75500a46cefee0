"""Finding the cues of `signals` in a profile's text, sentence by sentence, warnings and negations
aside ("we will never ask for your password" asks for nothing; "not official" claims nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..candidates.skeleton import name_forms
from .signals import CLAIM_NEGATORS, PHRASES, WARNING_WORDS, Cue

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|[\n\r|•·]+")
_GAP = r"(?: \S+){0,3}"
_WORD_BREAK = re.compile(r"[\W_]+")
CLAIM_WINDOW = 2  # words before a claim that may negate it
WARNING_WINDOW = 4  # words before phishing wording that may make it a warning


@dataclass(frozen=True, slots=True)
class Hit:
    """One cue found, and the words that showed it."""

    cue: Cue
    words: str


def _fold(text: str) -> str:
    """Text as the phrase tables are matched against it: lower case, TR39 skeleton, no accents,
    words separated by single spaces."""
    return name_forms(text.lower())[0]


def _word(alternative: str) -> str:
    stem = alternative.endswith("*")
    folded = re.escape(_fold(alternative.rstrip("*")))
    return folded + r"\S*" if stem else folded


def _token(token: str) -> str:
    return "(?:" + "|".join(_word(alternative) for alternative in token.split("|")) + ")"


def _pattern(phrase: str) -> str:
    parts: list[str] = []
    for token in phrase.split():
        if token == "~":
            parts.append(_GAP)
        else:
            parts.append((" " if parts else "") + _token(token))
    return "".join(parts)


@cache
def _compiled(cue: Cue) -> re.Pattern[str]:
    """One regex for all of a cue's phrases."""
    return re.compile(r"(?<!\S)(?:" + "|".join(_pattern(phrase) for phrase in PHRASES[cue]) + r")(?!\S)")


@cache
def _negators(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_token(word) for word in words))


def _negated(before: str, cue: Cue) -> bool:
    """Is a claim negated, or phishing wording a warning, by the words just before it?"""
    if not (cue.claim or cue.phishing):
        return False
    words, window = (CLAIM_NEGATORS, CLAIM_WINDOW) if cue.claim else (WARNING_WORDS, WARNING_WINDOW)
    negator = _negators(words)
    return any(negator.fullmatch(word) for word in before.split()[-window:])


def _shown(sentence: str, form: str, match: re.Match[str]) -> str:
    """The words of the sentence a match covers, as written (the folded form when the folding
    changed the number of words)."""
    written = [word for word in _WORD_BREAK.split(sentence) if word]
    if len(written) != len(form.split()):
        return match.group(0)
    first = form[: match.start()].count(" ")
    return " ".join(written[first : first + match.group(0).count(" ") + 1])[:60]


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def find_cues(text: str) -> tuple[Hit, ...]:
    """Every cue the text shows (once each, where it first shows), in `Cue` order."""
    found: dict[Cue, Hit] = {}
    forms = [(sentence, form) for sentence in _sentences(text) for form in name_forms(sentence.lower()) if form]
    for cue in Cue:
        for sentence, form in forms:
            match = next((m for m in _compiled(cue).finditer(form) if not _negated(form[: m.start()], cue)), None)
            if match is not None:
                found[cue] = Hit(cue, _shown(sentence, form, match))
                break
    return tuple(found.values())
