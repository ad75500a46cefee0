"""Making untrusted text safe to show: in a terminal, in a spreadsheet."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, limit: int | None = None) -> str:
    """Drop control and bidi-override characters (a scraped name cannot move the cursor)."""
    cleaned = _CONTROL.sub("", text.replace("\n", " "))
    if limit is not None and len(cleaned) > limit:
        return cleaned[: limit - 1] + "…"
    return cleaned


def spreadsheet_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text
