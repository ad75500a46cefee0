"""Values read out of a response, by one evaluator: prefetch variables and profile fields."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from ..models import (
    Extractor,
    ExtractorType,
    HttpResponse,
    Profile,
)
from .patterns import PatternTimeout, compile_pattern, search
from .templates import MissingVariable, has_line_break
from .view import INVALID_JSON, SCAN_BYTES, ResponseView, json_lookup

_META_TAG = re.compile(r"<meta\b[^>]{0,2000}>", re.IGNORECASE)


_META_ATTRIBUTE = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


_PROFILE_TEXT_LIMIT = 2000


_TAG = re.compile(r"<[^>]{0,500}>")


def meta_content(text: str, name: str) -> str | None:
    """The content of the first <meta property|name=NAME content=...> tag, unescaped."""
    wanted = name.casefold()
    for tag in _META_TAG.finditer(text[: SCAN_BYTES * 4]):
        attributes = {key.casefold(): a if a else b for key, a, b in _META_ATTRIBUTE.findall(tag.group(0))}
        if wanted in (attributes.get("property", "").casefold(), attributes.get("name", "").casefold()):
            content = attributes.get("content")
            return html.unescape(content) if content is not None else None
    return None


def evaluate(extractor: Extractor, view: ResponseView) -> str | None:
    """The value `extractor` reads from a response, or None when it is not there.

    The one rule for prefetch variables and profile fields alike: `json` takes a scalar at the
    path (true/false as such); `regex` searches its `part` and takes group `group` (0, or a
    pattern without groups, gives the whole match); `meta`, `header` and `cookie` take the
    named tag's content, header or cookie. A regex that runs out of time finds nothing."""
    if extractor.type is ExtractorType.META:
        return meta_content(view.text, extractor.key or "")
    if extractor.type is ExtractorType.HEADER:
        return view.response.header(extractor.key or "")
    if extractor.type is ExtractorType.COOKIE:
        return dict(view.response.cookies).get(extractor.key or "")
    if extractor.type is ExtractorType.JSON:
        if view.document is INVALID_JSON:
            return None
        present, raw = json_lookup(view.document, extractor.path or "")
        if not present or raw is None or isinstance(raw, dict | list):
            return None
        return str(raw).lower() if isinstance(raw, bool) else str(raw)
    try:
        found = search(compile_pattern(extractor.regex or ""), view.part(extractor.part))
    except PatternTimeout:
        return None
    if found is None:
        return None
    if extractor.group == 0 or not found.re.groups:
        return str(found.group(0))
    if extractor.group > found.re.groups:
        return None
    value = found.group(extractor.group)
    return None if value is None else str(value)


def _count(text: str | None) -> int | None:
    """'1,234', '12.5K', '3M followers' -> a number."""
    if not text:
        return None
    found = re.search(r"(\d[\d,.]*)\s*([kmb])?", text.replace("\u00a0", " "), re.IGNORECASE)
    if not found:
        return None
    number = found.group(1).replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}.get((found.group(2) or "").lower(), 1)
    try:
        return int(float(number) * scale)
    except ValueError:
        return None


def read_profile(fields: Iterable[Extractor], response: HttpResponse) -> Profile:
    """Read a profile's public fields; a field that is missing is left empty, never an error."""
    view = ResponseView(response)
    values = {f.name: evaluate(f, view) for f in fields}

    def clean(name: str) -> str | None:
        value = values.get(name)
        return value.strip()[:_PROFILE_TEXT_LIMIT] if value and value.strip() else None

    verified = clean("verified")
    bio = clean("bio")
    if bio and "<" in bio:  # some APIs (Mastodon's note) give the bio as HTML
        bio = html.unescape(_TAG.sub(" ", bio)).strip() or None
    return Profile(
        display_name=clean("display_name"),
        bio=bio,
        followers=_count(values.get("followers")),
        created=clean("created"),
        verified=None if verified is None else verified.casefold() in ("true", "1", "yes", "verified"),
        avatar=clean("avatar"),
    )


def extract(extractors: Iterable[Extractor], response: HttpResponse) -> dict[str, str]:
    """Fill variables from a prefetch response. Raises MissingVariable for one that is not
    there, is empty, or would carry a line break into a request."""
    view = ResponseView(response)
    values: dict[str, str] = {}
    for extractor in extractors:
        value = evaluate(extractor, view)
        if not value or has_line_break(value):
            raise MissingVariable(extractor.name)
        values[extractor.name] = value
    return values
