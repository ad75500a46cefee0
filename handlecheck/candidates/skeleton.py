"""Do two texts look alike? Unicode's answer (UTS #39 confusables), made case-blind.

`skeleton` is the standard one, TR39's map of every confusable character to its prototype,
with NFKC for the characters TR39 does not list (so fullwidth letters and ligatures are plain
letters). Comparing names also
has to ignore case, and TR39 does not: it maps capital `I` to `l`, so "OpenAI" has the skeleton
`OpenAl`, which no lowercase spelling of the brand shares. `name_forms` therefore looks at a
text three ways, as written, in lower case and in upper case, and two texts look alike when
any of those forms agree. The brand and the text it is compared with go through the very same
steps (`Brand.forms` is `name_forms` of the brand's name and of its handle).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

_NOT_ALNUM = re.compile(r"[\W_]+")


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
    """The UTS #39 skeleton, with NFKC for what TR39 does not list: two strings that look alike
    have the same one. A character TR39 lists keeps its own mapping (NFKC would turn the ogonek
    U+02DB, which TR39 reads as i, into a space and a combining mark)."""
    prototypes = _prototypes()
    mapped = []
    for char in unicodedata.normalize("NFD", text):
        prototype = prototypes.get(char)
        if prototype is None:
            compatible = unicodedata.normalize("NFKC", char)
            prototype = char if compatible == char else "".join(prototypes.get(c, c) for c in compatible)
        mapped.append(prototype)
    return unicodedata.normalize("NFD", "".join(mapped))


def _folded(text: str) -> str:
    """Skeleton, case folded, and the skeleton again (some confusables are listed for one case
    only: Latin small m looks like rn; Greek capital Mu looks like Latin capital M), with every
    run of other characters left as one space: word boundaries stay visible."""
    folded = skeleton(skeleton(text).casefold()).casefold()
    return _NOT_ALNUM.sub(" ", "".join(c for c in folded if not unicodedata.combining(c))).strip()


@lru_cache(maxsize=4096)
def name_forms(text: str) -> tuple[str, ...]:
    """The folded skeletons of a text as written, in lower case and in upper case (distinct,
    in that order), with single spaces between its words."""
    return tuple(dict.fromkeys(_folded(form) for form in (text, text.lower(), text.upper())))


def loose_skeleton(text: str) -> str:
    """One comparison key for a text: its skeleton as written, without case and without
    anything but letters and digits."""
    return _folded(text).replace(" ", "")


def joined_forms(text: str) -> frozenset[str]:
    """`name_forms` without the spaces: what a handle or a name reads as, whatever separates
    its words."""
    return frozenset(form.replace(" ", "") for form in name_forms(text))
