"""Making untrusted text safe to show: in a terminal, in a spreadsheet; when two brand names
are the same brand; and counted nouns ("1 brand", "2 brands", "an orcid")."""

from __future__ import annotations

import re
import unicodedata

# Terminal escape sequences, whole: CSI (colours, cursor moves), the string commands OSC (window
# titles, OSC 8 hyperlinks), DCS, SOS, PM and APC up to their terminator, and two-character escapes.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, limit: int | None = None) -> str:
    """Drop terminal escape sequences (whole, so that none leaves its letters behind) and control,
    line-separator and bidi-override characters: a scraped name cannot move the cursor, link
    elsewhere or break a line."""
    cleaned = _CONTROL.sub("", _ESCAPE.sub("", text).replace("\n", " "))
    if limit is not None and len(cleaned) > limit:
        return cleaned[: limit - 1] + "…"
    return cleaned


def spreadsheet_cell(text: str) -> str:
    """A printable cell a spreadsheet will not run as a formula. Controls are dropped first, so
    that none (a NUL, say) can stand in front of a formula and hide it."""
    cleaned = printable(text)
    return "'" + cleaned if cleaned.startswith(_FORMULA_START) else cleaned


def brand_key(name: str) -> str:
    """What a brand name is matched by: case, accents and runs of spaces do not count
    ("Café  Acme" and "cafe acme" are one brand)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def same_brand(a: str, b: str) -> bool:
    return brand_key(a) == brand_key(b)


def plural(number: int, noun: str) -> str:
    """ "1 brand", "2 brands", "0 brands"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def article(word: str) -> str:
    """The word with "a" or "an" before it, by its first letter ("an orcid", "a url")."""
    return f"an {word}" if word[:1].lower() in "aeio" else f"a {word}"
