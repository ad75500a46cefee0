"""Regular expressions from platform files: compiled once, searched with a time limit.

Platform files are data from elsewhere, so a pattern may backtrack badly. The `regex`
package can abandon a search after a deadline, which the standard `re` cannot. Every
pattern a file holds (matchers, extractors, handle rules, imported `regexCheck`s) is
compiled and run here, and nowhere else.

The checks run on one event loop, so a search that runs out of time has held up every
other check meanwhile. A pattern that does so twice is therefore spent for the rest of the
run (a Checker's life; outside one, of the process): later searches with it (or with any
pattern filled in from the same template) fail at once instead of waiting out the deadline
again for every handle. Twice, not once, so that one pause of a busy machine does not spend
a healthy pattern; per run, so that the next run tries it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import lru_cache
from typing import TypeVar

import regex

SEARCH_TIMEOUT_SECONDS = 0.1
STRIKES = 2  # timeouts that spend a pattern
# Copies of a pattern's parts its compiled form may hold (see `_expansion`): about 3 MB.
MAX_EXPANSION = 10_000
_COUNT = re.compile(r"\{(\d*)(,\d*)?\}")
# Escapes followed by a braced name or number, whose braces are no repeat: \x{41}, \p{Lu}.
_BRACED_ESCAPES = frozenset("xuUNpPgk")

# Patterns (or the templates they were filled from) and how often each ran out of time: per
# run (see `own_run`), else for the process.
_timeouts: ContextVar[dict[tuple[str, int], int]] = ContextVar("pattern_timeouts")
_PROCESS_TIMEOUTS: dict[tuple[str, int], int] = {}
T = TypeVar("T")


class PatternTimeout(Exception):
    """A search took longer than the deadline (now or earlier in the run); its answer is
    unknown. The message says which pattern, for a result's evidence."""

    def __init__(self, source: str, *, again: bool) -> None:
        shown = source if len(source) <= 80 else source[:77] + "..."
        when = "earlier in this run, so it is not run again" if again else ""
        super().__init__(f"pattern {shown!r} ran out of time ({SEARCH_TIMEOUT_SECONDS:g} s) {when}".rstrip())


@lru_cache(maxsize=8192)
def compile_pattern(source: str, ignore_case: bool = False) -> regex.Pattern[str]:
    """Compile `source`; raises `regex.error` for a bad pattern, ValueError for one whose
    compiled form would be huge."""
    copies = _expansion(source)
    if copies > MAX_EXPANSION:
        raise ValueError(f"counted repeats nested in one another make {copies:,} copies (at most {MAX_EXPANSION:,})")
    flags = regex.IGNORECASE if ignore_case else 0
    return regex.compile(source, flags | regex.VERSION0)


def _expansion(source: str) -> int:
    """How many copies of its parts a pattern compiles to: `regex` writes out a counted repeat
    inside another (`(?:a{1000}b){1000}` is a million copies, 270 MB), so this is the largest
    product of nested lower bounds. Read from the text, before anything is compiled."""
    widest = [1]  # per open group: the most copies of anything inside it
    last = 1  # copies of the item just read, which a quantifier multiplies
    index = 0
    while index < len(source) and widest[0] <= MAX_EXPANSION:
        char = source[index]
        count = _COUNT.match(source, index) if char == "{" else None
        if char == "\\":
            braced = source[index + 1 : index + 2] in _BRACED_ESCAPES and source[index + 2 : index + 3] == "{"
            index = (source.find("}", index) + 1 or len(source)) if braced else index + 2
            last = 1
        elif char == "[":
            index, last = _set_end(source, index), 1
        elif char == "(":
            widest.append(1)
            index, last = index + 1, 1
        elif char == ")" and len(widest) > 1:
            last = widest.pop()
            index += 1
        elif count is not None and (count.group(1) or count.group(2) is not None):
            last *= max(int(count.group(1) or 0), 1)
            index = count.end()
        else:
            index, last = index + 1, 1
        widest[-1] = max(widest[-1], last)
    return max(widest)


def _set_end(source: str, start: int) -> int:
    """The index after the `[...]` set that opens at `start`."""
    index = start + 1
    index += source.startswith("^", index)
    index += source.startswith("]", index)
    while index < len(source) and source[index] != "]":
        index += 2 if source[index] == "\\" else 1
    return index + 1


def search(pattern: regex.Pattern[str], text: str, *, origin: str | None = None) -> regex.Match[str] | None:
    """`pattern.search(text)` within the deadline; raises PatternTimeout. `origin` is the
    template the pattern was filled in from, where it was: a timeout spends the template."""
    return _within_deadline(pattern, origin, lambda: pattern.search(text, timeout=SEARCH_TIMEOUT_SECONDS))


def full_match(pattern: regex.Pattern[str], text: str) -> bool:
    """Whether `pattern` matches the whole of `text`, within the deadline; raises PatternTimeout."""
    return _within_deadline(pattern, None, lambda: pattern.fullmatch(text, timeout=SEARCH_TIMEOUT_SECONDS)) is not None


def _within_deadline(pattern: regex.Pattern[str], origin: str | None, run: Callable[[], T]) -> T:
    key = (origin if origin is not None else pattern.pattern, pattern.flags)
    counts = _timeouts.get(_PROCESS_TIMEOUTS)
    if counts.get(key, 0) >= STRIKES:
        raise PatternTimeout(key[0], again=True)
    try:
        return run()
    except TimeoutError:
        counts[key] = counts.get(key, 0) + 1
        raise PatternTimeout(key[0], again=False) from None


def own_run() -> Token[dict[tuple[str, int], int]]:
    """Start counting timeouts afresh for the calling task and the tasks it starts (a run):
    a pattern spent by one run, perhaps on a moment's load, is tried again by the next.
    Give the token to `end_run` when the run ends."""
    return _timeouts.set({})


def end_run(token: Token[dict[tuple[str, int], int]]) -> None:
    _timeouts.reset(token)
