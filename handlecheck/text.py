"""Making untrusted text safe to show: in a terminal, in a spreadsheet."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, limit: int | None = None) -> str:
    """Drop control, line-separator and bidi-override characters (a scraped name cannot move
    the cursor or break a line)."""
    cleaned = _CONTROL.sub("", text.replace("\n", " "))
    if limit is not None and len(cleaned) > limit:
        return cleaned[: limit - 1] + "…"
    return cleaned


def spreadsheet_cell(text: str) -> str:
    """A printable cell a spreadsheet will not run as a formula. Controls are dropped first, so
    that none (a NUL, say) can stand in front of a formula and hide it."""
    cleaned = printable(text)
    return "'" + cleaned if cleaned.startswith(_FORMULA_START) else cleaned
