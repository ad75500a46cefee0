"""A brand as the generator and the classifier see it: its words, its handle, how it reads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from ..text import printable
from .skeleton import joined_forms, name_forms

MAX_BRAND_LENGTH = 100


@dataclass(frozen=True)
class Brand:
    """A brand's name as written, and its words in ASCII lower case."""

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

    @cached_property
    def forms(self) -> frozenset[str]:
        """Every way the brand reads (name_forms of its name as written and of its handle,
        without spaces): "OpenAI" reads as openai and as openal (TR39 maps capital I to l)."""
        return joined_forms(printable(self.name)) | joined_forms(self.handle)

    def reads_as(self, text: str) -> bool:
        """Does `text`, separators and case aside, look exactly like the brand?"""
        return not self.forms.isdisjoint(joined_forms(text))

    def shown_in(self, text: str) -> bool:
        """Does `text` contain something that looks like the brand, anywhere (even inside a
        longer word: telling a namesake from a claim is the classifier's job)?"""
        return any(form in shown for shown in joined_forms(text) for form in self.forms if form)

    def word_forms_of(self, text: str) -> tuple[tuple[str, ...], ...]:
        """`text`'s words, folded as the brand's forms are, once for each of its name_forms."""
        return tuple(tuple(form.split()) for form in name_forms(text))


def brand_problem(name: str) -> str | None:
    """Why the tool cannot work with a brand name (for `scan`, `lookalikes` and each row of a
    brand list alike), or None. Its handle form is made of ASCII letters and digits, as handles
    are on most platforms: a brand written in another script has none to make one from."""
    shown = repr(name[:60]) + ("..." if len(name) > 60 else "")
    if not name.strip():
        return "the brand is empty"
    if len(name) > MAX_BRAND_LENGTH:
        return f"brand {shown} is longer than {MAX_BRAND_LENGTH} characters"
    if any(unicodedata.category(char) == "Cc" for char in name):  # NUL, a line break, an escape
        return f"brand {shown} holds a control character"
    handle = Brand.parse(name).handle
    if handle.isascii() and handle.isalnum():
        return None
    if not any(char.isalnum() for char in printable(name)):
        return f"brand {shown} has no letters or digits"
    return (
        f"brand {shown} has no ASCII letters or digits: handles on most platforms are ASCII only; "
        "give the brand in Latin letters (its romanised form, e.g. tokyo for 東京)"
    )
