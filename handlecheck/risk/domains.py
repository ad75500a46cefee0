"""Links to lookalikes of the brand's domain.

A domain is a lookalike when one of its labels (the top-level domain aside) reads as the brand:
as a whole (paypa1.com, uber.support), as a part between separators (acme-rewards.com), as the
brand wrapped in service words (myuber.app, paypalsupport.net), or as a typo of the whole label
(strpie.co, for brands of five letters or more: shorter ones collide with ordinary words). The
brand inside an unrelated word is not one (annaubers.de, exuberant.org), and neither are the
brand's own domains and their subdomains.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from rapidfuzz.distance import DamerauLevenshtein

from ..candidates.brand import Brand
from ..candidates.skeleton import joined_forms
from .signals import DOMAIN_AFFIXES

_DOMAIN = re.compile(r"(?<![\w.-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{1,59})(?![\w-])")
_SEPARATOR = re.compile(r"[-_]+")
MAX_AFFIXES = 3


def own_domain(text: str) -> str:
    """A domain as the user wrote it, as a bare host name: "https://www.Acme.com/" is acme.com."""
    host = text.strip().casefold().split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].rstrip(".")
    return host.removeprefix("*.").removeprefix("www.")


def _label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna")
        except UnicodeError:
            return label
    return label


@cache
def _affix_forms() -> tuple[str, ...]:
    return tuple(sorted({form for affix in DOMAIN_AFFIXES for form in joined_forms(affix)}, key=len, reverse=True))


def _wrapped(core: str, forms: frozenset[str], depth: int = MAX_AFFIXES) -> bool:
    """Is `core` the brand with up to `depth` service words before or after it?"""
    if core in forms:
        return True
    if depth == 0:
        return False
    for affix in _affix_forms():
        if len(core) > len(affix):
            if core.startswith(affix) and _wrapped(core[len(affix) :], forms, depth - 1):
                return True
            if core.endswith(affix) and _wrapped(core[: -len(affix)], forms, depth - 1):
                return True
    return False


def _typo_allowance(brand: Brand) -> int:
    length = len(brand.handle)
    return 2 if length >= 9 else 1 if length >= 5 else 0


def _looks_like(brand: Brand, label: str) -> bool:
    parts = [part for part in _SEPARATOR.split(label) if part]
    for start in range(len(parts)):
        for end in range(start + 1, len(parts) + 1):
            if brand.reads_as("".join(parts[start:end])):
                return True
    wholes = joined_forms("".join(parts))
    if any(_wrapped(whole, brand.forms) for whole in wholes):
        return True
    allowance = _typo_allowance(brand)
    return allowance > 0 and any(
        DamerauLevenshtein.distance(whole, form, score_cutoff=allowance) <= allowance
        for whole in wholes
        for form in brand.forms
    )


def lookalike_domains(brand: Brand, text: str, own_domains: Iterable[str]) -> tuple[str, ...]:
    """The lookalike domains the text links to or writes out, in order, once each."""
    owned = {own_domain(domain) for domain in own_domains} - {""}
    shown = unicodedata.normalize("NFKC", text).casefold()
    found: dict[str, None] = {}
    for match in _DOMAIN.finditer(shown):
        domain = match.group(0)
        if domain in owned or any(domain.endswith("." + own) for own in owned):
            continue
        labels = [_label(label) for label in domain.split(".")[:-1]]
        if any(_looks_like(brand, label) for label in labels):
            found[domain] = None
    return tuple(found)
