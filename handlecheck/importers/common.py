"""What the importers share: defensive reading of untrusted entries, ids, tags, statuses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import Skipped

MAX_TEXT = 4096
MAX_ITEMS = 200
SUCCESS = ["200-299"]
# "Not 2xx" in the databases' sense, less what says nothing about the handle: 401/403/407 (a
# wall), 429 (rate limit); 5xx and challenge pages are turned into `unknown` by the rules anyway.
NOT_SUCCESS: list[int | str] = ["300-399", 400, 402, "404-406", "408-428", "430-499"]
# "The answer is a redirect": says explicitly what a redirect means, so that the engine's
# sign-in guard lets the database's rule decide (see handlecheck.rules).
REDIRECTED: dict[str, str] = {"type": "header", "name": "Location"}
NSFW_TAGS = frozenset({"nsfw", "porn", "adult", "xxx", "erotic", "sex"})
_SLUG = re.compile(r"[^a-z0-9_.-]+")
_TAG = re.compile(r"[^a-z0-9_-]+")


class Unusable(Exception):
    """This entry cannot be converted; the message says why."""


@dataclass(frozen=True, slots=True)
class Imported:
    entries: tuple[dict[str, Any], ...]
    skipped: tuple[Skipped, ...]


def text(value: Any, what: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Unusable(f"{what} is not a string")
    if len(value) > MAX_TEXT:
        raise Unusable(f"{what} is longer than {MAX_TEXT} characters")
    if not value and not allow_empty:
        raise Unusable(f"{what} is empty")
    return value


def text_list(value: Any, what: str) -> list[str]:
    """A string or a list of strings (both forms occur in the databases)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise Unusable(f"{what} is not a string or a list of strings")
    return [text(item, what) for item in items]


def status_list(value: Any, what: str) -> list[int]:
    items = [value] if isinstance(value, int) else value
    if not isinstance(items, list) or not items:
        raise Unusable(f"{what} is not a status code or a list of them")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 100 <= item <= 999:
            raise Unusable(f"{what} holds {item!r}, not a status code")
    return list(items)


def string_map(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise Unusable(f"{what} is not an object")
    return {text(k, f"{what} name"): text(v, f"{what} value", allow_empty=True) for k, v in value.items()}


def template(value: str, placeholders: Mapping[str, str]) -> str:
    """Rewrite a foreign placeholder syntax ({}, {account}, {username}) into {{handle}}."""
    for old, new in placeholders.items():
        value = value.replace(old, new)
    return value


def json_template(value: Any, placeholders: Mapping[str, str], depth: int = 0) -> Any:
    if depth > 20:
        raise Unusable("request payload is nested too deeply")
    if isinstance(value, str):
        return template(text(value, "request payload value", allow_empty=True), placeholders)
    if isinstance(value, list):
        return [json_template(v, placeholders, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): json_template(v, placeholders, depth + 1) for k, v in value.items()}
    return value


def search_pattern(value: Any) -> str:
    """The databases test `re.search(rule, name)`; handlecheck full-matches, so unanchored
    rules are wrapped to keep their meaning."""
    rule = text(value, "regexCheck")
    if rule.startswith("^") and rule.endswith("$") and not rule.endswith("\\$"):
        return rule
    return f"(?s:.*?)(?:{rule})(?s:.*)"


def tags(values: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            tag = _TAG.sub("-", value.casefold()).strip("-_")[:32]
            if tag and tag not in found:
                found.append(tag)
    return found


class Ids:
    """Stable, unique ids from the databases' site names."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, name: str) -> str:
        base = _SLUG.sub("-", name.casefold()).strip("-._")[:60] or "site"
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        self.used.add(candidate)
        return candidate


def convert_each(
    items: Iterable[tuple[str, Any]],
    build: Callable[[str, Any, Ids], dict[str, Any] | Skipped],
) -> Imported:
    """Convert every (name, raw entry); an entry that cannot be used becomes a Skipped."""
    ids = Ids()
    entries: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    for name, raw in items:
        try:
            result = build(name, raw, ids)
        except (Unusable, TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, Unusable) else f"malformed entry ({type(exc).__name__}: {exc})"
            skipped.append(Skipped(name[:200], reason[:300]))
            continue
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            entries.append(result)
    return Imported(tuple(entries), tuple(skipped))


def entry(
    ids: Ids,
    name: str,
    *,
    profile: str,
    request: dict[str, Any],
    outcomes: list[dict[str, Any]],
    tags_: list[str],
    source: str,
    pattern: str | None = None,
    taken: list[str] | None = None,
    available: list[str] | None = None,
    strip: str = "",
) -> dict[str, Any]:
    """A native platform entry as the importers make them: low priority, unverified, and
    case-sensitive (the databases send the name as typed)."""
    handle: dict[str, Any] = {"case": "sensitive"}
    if pattern is not None:
        handle["pattern"] = pattern
    if strip:
        handle["strip"] = strip
    known: dict[str, list[str]] = {}
    if taken:
        known["taken"] = taken
    if available:
        known["available"] = available
    native: dict[str, Any] = {
        "id": ids.make(name),
        "name": name[:200],
        "tags": tags_,
        "priority": "low",
        "verified": False,
        "source": source[:2000],
        # A database URL without the name is a site's front page, not a profile.
        "urls": {"profile": profile if "{{handle}}" in profile else None},
        "handle": handle,
    }
    if known:
        native["known"] = known
    native["checks"] = [{"request": request, "outcomes": outcomes}]
    return native


def names(value: Any) -> list[str]:
    """Canary names: only plain strings are kept."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, str) and 0 < len(item) <= 256][:5]
