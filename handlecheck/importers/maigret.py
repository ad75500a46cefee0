"""Maigret's data.json.

A site may name an `engine` whose `site` template supplies its defaults. Maigret's rules:
- a marker from `errors` in the body, or a 403 (unless `ignore403`), is unknown;
- message: claimed when no `absenceStrs` marker is in the body and a `presenseStrs` marker is
  (or none are listed); otherwise available;
- status_code: claimed on 2xx, otherwise available;
- response_url: redirects are not followed; claimed on 2xx with a presence marker, otherwise
  available (a redirect is named explicitly, as in the Sherlock importer).
`url` and `urlProbe` take `{urlMain}`, `{urlSubpath}` and `{username}`; `requestMethod`,
`requestHeadOnly`, `requestPayload`, `headers` shape the request; `regexCheck` decides
validity; `usernameClaimed`/`usernameUnclaimed` are the canaries. Disabled sites, sites that
check another identifier type (`type`), non-http protocols and NSFW tags (unless asked for)
are skipped.
"""

from __future__ import annotations

from typing import Any

from ..models import Skipped
from ..text import article
from .common import (
    NOT_SUCCESS,
    NSFW_TAGS,
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
    string_map,
    tags,
    template,
    text,
    text_list,
)

PLACEHOLDERS = {"{username}": "{{handle}}"}


def convert(document: Any, *, nsfw: bool = False) -> Imported:
    sites = document.get("sites") if isinstance(document, dict) else None
    if not isinstance(sites, dict):
        raise Unusable("no 'sites' object")
    engines = document.get("engines")
    engines = engines if isinstance(engines, dict) else {}
    return convert_each(
        [(str(name), raw) for name, raw in sites.items()], lambda name, raw, ids: _site(name, raw, ids, engines, nsfw)
    )


def _with_engine(site: dict[str, Any], engines: dict[str, Any]) -> dict[str, Any]:
    name = site.get("engine")
    if name is None:
        return site
    engine = engines.get(name)
    if not isinstance(engine, dict) or not isinstance(engine.get("site", {}), dict):
        raise Unusable(f"unknown engine {name!r}")
    return {**engine.get("site", {}), **site}


def _site(name: str, raw: Any, ids: Ids, engines: dict[str, Any], nsfw: bool) -> dict[str, Any] | Skipped:
    if not isinstance(raw, dict):
        raise Unusable("entry is not an object")
    if raw.get("disabled") is True:
        return Skipped(name, "disabled in Maigret")
    site = _with_engine(raw, engines)
    site_tags = tags(site.get("tags", []) if isinstance(site.get("tags"), list) else [])
    if NSFW_TAGS & set(site_tags) and not nsfw:
        return Skipped(name, "NSFW (include with --nsfw)")
    if site.get("type") not in (None, "username"):
        return Skipped(name, f"checks {article(str(site['type']))}, not a username")
    if site.get("protocol") not in (None, "http", "https"):
        return Skipped(name, f"protocol {site['protocol']!r} is not http(s)")

    fill = {
        **PLACEHOLDERS,
        "{urlMain}": text(site.get("urlMain", ""), "urlMain", allow_empty=True).rstrip("/"),
        "{urlSubpath}": text(site.get("urlSubpath", ""), "urlSubpath", allow_empty=True),
    }
    profile = template(text(site.get("url"), "url"), fill)
    kind = text(site.get("checkType", "status_code"), "checkType")
    method = "GET"
    if "requestMethod" in site:
        method = text(site["requestMethod"], "requestMethod").upper()
    elif kind == "status_code" and site.get("requestHeadOnly") is True:
        method = "HEAD"
    request: dict[str, Any] = {
        "method": method,
        "url": template(text(site["urlProbe"], "urlProbe"), fill) if "urlProbe" in site else profile,
    }
    if "headers" in site:
        request["headers"] = string_map(site["headers"], "headers")
    if "requestPayload" in site:
        request["json"] = json_template(site["requestPayload"], PLACEHOLDERS)
    if kind == "response_url":
        request["redirects"] = False

    outcomes = _errors(site) + _decision(kind, site)
    notes = "; needs an activation step handlecheck does not run, expect unknown" if "activation" in site else ""
    return entry(
        ids,
        name,
        profile=profile,
        request=request,
        outcomes=outcomes,
        tags_=["maigret", *site_tags][:16],
        source=f"imported from Maigret data.json (checkType: {kind}){notes}",
        pattern=search_pattern(site["regexCheck"]) if "regexCheck" in site else None,
        taken=names(site.get("usernameClaimed")),
        available=names(site.get("usernameUnclaimed")),
    )


def _reason(description: str) -> str:
    lowered = description.casefold()
    if "captcha" in lowered or "cloudflare" in lowered or "bot" in lowered:
        return "challenge"
    if "too many" in lowered or "rate" in lowered or "limit" in lowered:
        return "rate_limited"
    if "log in" in lowered or "login" in lowered or "auth" in lowered:
        return "login_wall"
    return "blocked"


def _errors(site: dict[str, Any]) -> list[dict[str, Any]]:
    """Maigret's error pages, and its 403 rule, as `unknown` outcomes tried first."""
    outcomes: list[dict[str, Any]] = []
    errors = site.get("errors", {})
    if not isinstance(errors, dict):
        raise Unusable("errors is not an object")
    by_reason: dict[str, list[str]] = {}
    for marker, description in errors.items():
        by_reason.setdefault(_reason(str(description)), []).append(text(marker, "errors marker"))
    for reason, markers in by_reason.items():
        outcomes.append({"verdict": "unknown", "reason": reason, "matchers": [{"type": "word", "words": markers}]})
    if site.get("ignore403") is not True:
        outcomes.append({"verdict": "unknown", "reason": "blocked", "matchers": [{"type": "status", "status": [403]}]})
    return outcomes


def _decision(kind: str, site: dict[str, Any]) -> list[dict[str, Any]]:
    presence = [*text_list(site.get("presenseStrs", []), "presenseStrs")]
    presence += text_list(site.get("presenceStrs", []), "presenceStrs")  # a spelling some entries use
    absence = text_list(site.get("absenceStrs", []), "absenceStrs")
    taken: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    if kind == "message":
        taken = [{"type": "word", "words": presence}] if presence else []
        taken += [{"type": "word", "words": absence, "negative": True}] if absence else []
        if not taken:
            raise Unusable("message check without presenseStrs or absenceStrs")
        missing = [{"type": "word", "words": absence}] if absence else []
        missing += [{"type": "word", "words": presence, "negative": True}] if presence else []
    elif kind == "status_code":
        taken = [{"type": "status", "status": SUCCESS}]
        missing = [{"type": "status", "status": NOT_SUCCESS}]
    elif kind == "response_url":
        taken = [{"type": "status", "status": SUCCESS}] + ([{"type": "word", "words": presence}] if presence else [])
        missing = [{"type": "status", "status": NOT_SUCCESS}, REDIRECTED]
        missing += [{"type": "word", "words": presence, "negative": True}] if presence else []
    else:
        raise Unusable(f"unknown checkType {kind!r}")
    return [
        {"verdict": "taken", "matchers-condition": "and", "matchers": taken},
        {"verdict": "available", "matchers": missing},
    ]
