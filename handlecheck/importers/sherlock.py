"""Sherlock's data.json.

Sherlock's rules (errorType may be one type or a list; the first that says "available" wins):
- message: available when any `errorMsg` is in the body; claimed when none is and the status
  is 2xx, from a body that could have shown one (an empty, cut or binary body is unknown: the
  engine proves no absence from it); anything else is unknown.
- status_code: available when the status is in `errorCode`, or is not 2xx; else claimed.
- response_url: redirects are not followed; claimed on 2xx, available otherwise. A redirect
  is named explicitly (a Location header matcher), so that a redirect to a sign-in page, which
  is how many such sites answer a missing name, counts as the site's rule says.
The request goes to `urlProbe` (else `url`) with `request_method`, `request_payload` (JSON)
and `headers`; `regexCheck` decides validity; `isNSFW` entries are skipped unless asked for.
Not 2xx here leaves out 401/403/407/429, which prove nothing about the name.
"""

from __future__ import annotations

from typing import Any

from ..models import Skipped
from .common import (
    NOT_SUCCESS,
    REDIRECTED,
    SUCCESS,
    Ids,
    Imported,
    Unusable,
    convert_each,
    entry,
    json_template,
    names,
    search_pattern,
    status_list,
    string_map,
    template,
    text,
    text_list,
)

PLACEHOLDERS = {"{}": "{{handle}}"}
TYPES = ("message", "status_code", "response_url")


def convert(document: Any, *, nsfw: bool = False) -> Imported:
    items = [(str(name), raw) for name, raw in document.items() if not str(name).startswith("$")]
    return convert_each(items, lambda name, raw, ids: _site(name, raw, ids, nsfw))


def _site(name: str, site: Any, ids: Ids, nsfw: bool) -> dict[str, Any] | Skipped:
    if not isinstance(site, dict):
        raise Unusable("entry is not an object")
    if site.get("isNSFW") is True and not nsfw:
        return Skipped(name, "NSFW (include with --nsfw)")
    kinds = text_list(site.get("errorType"), "errorType")
    strange = [kind for kind in kinds if kind not in TYPES]
    if strange:
        raise Unusable(f"unknown errorType {strange[0]!r}")
    profile = template(text(site.get("url"), "url"), PLACEHOLDERS)
    request: dict[str, Any] = {
        "method": text(site.get("request_method", "GET"), "request_method").upper(),
        "url": template(text(site["urlProbe"], "urlProbe"), PLACEHOLDERS) if "urlProbe" in site else profile,
    }
    if "headers" in site:
        request["headers"] = string_map(site["headers"], "headers")
    if "request_payload" in site:
        request["json"] = json_template(site["request_payload"], PLACEHOLDERS)
    if "response_url" in kinds:
        request["redirects"] = False

    missing: list[dict[str, Any]] = []
    taken: list[dict[str, Any]] = [{"type": "status", "status": SUCCESS}]
    if "message" in kinds:
        messages = text_list(site.get("errorMsg"), "errorMsg")
        missing.append({"type": "word", "words": messages})
        taken.append({"type": "word", "words": messages, "negative": True})
    if "status_code" in kinds and site.get("errorCode") is not None:
        missing.append({"type": "status", "status": status_list(site["errorCode"], "errorCode")})
    if "status_code" in kinds or "response_url" in kinds:
        missing.append({"type": "status", "status": NOT_SUCCESS})
    if "response_url" in kinds:
        missing.append(REDIRECTED)
    outcomes = [
        {"verdict": "available", "matchers": missing},
        {"verdict": "taken", "matchers-condition": "and", "matchers": taken},
    ]
    return entry(
        ids,
        name,
        profile=profile,
        request=request,
        outcomes=outcomes,
        tags_=["sherlock", *(["nsfw"] if site.get("isNSFW") is True else [])],
        source=f"imported from Sherlock data.json (errorType: {', '.join(kinds)})",
        pattern=search_pattern(site["regexCheck"]) if "regexCheck" in site else None,
        taken=names(site.get("username_claimed")),
    )
