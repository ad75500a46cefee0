"""WhatsMyName's wmn-data.json.

WhatsMyName's rule is strict, and kept as is: taken needs the status `e_code` AND the text
`e_string`; missing needs `m_code` AND `m_string`; anything else is unknown. Requests go to
`uri_check` without following redirects (its codes include 301/302), as a POST with
`post_body` when there is one, with `headers`. `uri_pretty` is the profile link;
`strip_bad_char` characters are removed from the name first; `cat` becomes a tag; `known`
names are the canaries; `valid: false` and NSFW entries (unless asked for) are skipped.
"""

from __future__ import annotations

from typing import Any

from ..models import Skipped
from .common import (
    NSFW_TAGS,
    Ids,
    Imported,
    Unusable,
    convert_each,
    entry,
    names,
    status_list,
    string_map,
    tags,
    template,
    text,
)

PLACEHOLDERS = {"{account}": "{{handle}}"}


def convert(document: Any, *, nsfw: bool = False) -> Imported:
    sites = document.get("sites") if isinstance(document, dict) else None
    if not isinstance(sites, list):
        raise Unusable("no 'sites' list")
    items = [(_name(site, index), site) for index, site in enumerate(sites)]
    return convert_each(items, lambda name, raw, ids: _site(name, raw, ids, nsfw))


def _name(site: Any, index: int) -> str:
    name = site.get("name") if isinstance(site, dict) else None
    return name[:200] if isinstance(name, str) and name else f"site #{index}"


def _site(name: str, site: Any, ids: Ids, nsfw: bool) -> dict[str, Any] | Skipped:
    if not isinstance(site, dict):
        raise Unusable("entry is not an object")
    if site.get("valid") is False:
        return Skipped(name, "marked invalid in WhatsMyName")
    category = tags([site.get("cat", "")])
    is_nsfw = bool(NSFW_TAGS & set(category)) or "nsfw" in str(site.get("cat", "")).casefold()
    if is_nsfw and not nsfw:
        return Skipped(name, "NSFW (include with --nsfw)")
    check = template(text(site.get("uri_check"), "uri_check"), PLACEHOLDERS)
    profile = template(text(site["uri_pretty"], "uri_pretty"), PLACEHOLDERS) if "uri_pretty" in site else check
    request: dict[str, Any] = {"method": "GET", "url": check, "redirects": False}
    if "post_body" in site:
        request["method"] = "POST"
        request["body"] = template(text(site["post_body"], "post_body", allow_empty=True), PLACEHOLDERS)
    if "headers" in site:
        request["headers"] = string_map(site["headers"], "headers")
    outcomes = [
        _outcome("taken", site.get("e_code"), site.get("e_string"), "e"),
        _outcome("available", site.get("m_code"), site.get("m_string"), "m"),
    ]
    protection = site.get("protection")
    guarded = f"; protected by {', '.join(map(str, protection))}" if isinstance(protection, list) and protection else ""
    strip = site.get("strip_bad_char", "")
    return entry(
        ids,
        name,
        profile=profile,
        request=request,
        outcomes=outcomes,
        tags_=["whatsmyname", *(["nsfw"] if is_nsfw else []), *[t for t in category if t != "xx-nsfw-xx"]],
        source=f"imported from WhatsMyName wmn-data.json{guarded}",
        taken=names(site.get("known")),
        strip=text(strip, "strip_bad_char", allow_empty=True),
    )


def _outcome(verdict: str, code: Any, marker: Any, prefix: str) -> dict[str, Any]:
    matchers: list[dict[str, Any]] = [{"type": "status", "status": status_list(code, f"{prefix}_code")}]
    word = text(marker, f"{prefix}_string", allow_empty=True)
    if word:
        matchers.append({"type": "word", "words": [word]})
    return {"verdict": verdict, "matchers-condition": "and", "matchers": matchers}
