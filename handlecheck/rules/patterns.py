"""Regular expressions from platform files: compiled once, searched with a time limit.

Platform files are data from elsewhere, so a pattern may backtrack badly. The `regex`
package can abandon a search after a deadline, which the standard `re` cannot.
"""

from __future__ import annotations

from functools import lru_cache

import regex

SEARCH_TIMEOUT_SECONDS = 0.25


class PatternTimeout(Exception):
    """A search took longer than the deadline; its answer is unknown."""


@lru_cache(maxsize=8192)
def compile_pattern(source: str, ignore_case: bool = False) -> regex.Pattern[str]:
    """Compile `source`; raises `regex.error` for a bad pattern."""
    flags = regex.IGNORECASE if ignore_case else 0
    return regex.compile(source, flags | regex.VERSION0)


def search(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
    try:
        return pattern.search(text, timeout=SEARCH_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise PatternTimeout(pattern.pattern) from exc


def full_match(pattern: regex.Pattern[str], text: str) -> bool:
    try:
        return pattern.fullmatch(text, timeout=SEARCH_TIMEOUT_SECONDS) is not None
    except TimeoutError as exc:
        raise PatternTimeout(pattern.pattern) from exc
