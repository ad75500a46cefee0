"""Fediverse servers the user names, as platforms: a name is asked of each server itself.

The bundled catalogue holds the largest general Mastodon servers (mastodon.social,
mastodon.online). A brand that wants more names them (`fediverse:` in handlecheck.yaml, or
`--fediverse`): each becomes an entry in the platform-file format, built by the registry's own
builder, so it is paced and judged like any platform. Its first check is WebFinger (RFC 7033,
`/.well-known/webfinger?resource=acct:NAME@HOST`), which every ActivityPub server answers
whatever its software: a JRD naming the account is taken, 404 is no account. Its second is
Mastodon's documented `/api/v1/accounts/lookup?acct=NAME` (200 with an id is taken, 404 no
account), for a server whose WebFinger does not answer. A server is written as its host
(`mastodon.world`: https) or as a base URL (`http://127.0.0.1:8080`, as the tests do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError
from ..models import Platform
from .build import build_entries, taken_when_json_has

FEDIVERSE_TAG = "fediverse"
# Mastodon's rule for a local account name (letters, digits, underscore, 30 at most); other
# servers' rules are looser, and a name outside this one is not what a brand would register.
NAME_PATTERN = "^[A-Za-z0-9_]{1,30}$"
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def server_base(server: str) -> tuple[str, str]:
    """(base URL, the host accounts are named at) of a server written as a host or a base URL."""
    text = server.strip().rstrip("/")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.path or parts.query:
        raise InputError(f"fediverse server {server!r} is not a host name or a base URL (e.g. mastodon.world)")
    if not (_HOST.match(host) or host in ("localhost", "127.0.0.1", "::1")):
        raise InputError(f"fediverse server {server!r}: {host!r} is not a host name")
    netloc = parts.netloc.lower()
    return f"{parts.scheme}://{netloc}", netloc


def server_entry(server: str) -> dict[str, Any]:
    base, host = server_base(server)
    name = host.split(":")[0]
    return {
        "id": "fedi-" + re.sub(r"[^a-z0-9]+", "-", host),
        "name": f"Fediverse ({host})",
        "tags": ["social", FEDIVERSE_TAG],
        "priority": "normal",
        "verified": False,
        "source": (
            "ours: WebFinger (RFC 7033) first, then Mastodon's documented /api/v1/accounts/lookup, asked of "
            f"{host} itself; a server named by the user (fediverse: in handlecheck.yaml, or --fediverse)"
        ),
        "urls": {"profile": f"{base}/@{{{{handle}}}}", "report": "in-app"},
        "taps": {"report": "profile > ... > Report (tick 'forward to the remote server' if the account is elsewhere)"},
        "handle": {"pattern": NAME_PATTERN, "case": "insensitive"},
        "checks": [
            {
                "name": "webfinger",
                "request": {
                    "method": "GET",
                    "url": f"{base}/.well-known/webfinger?resource=acct:{{{{handle}}}}@{name}",
                    "headers": {"Accept": "application/jrd+json, application/json"},
                },
                "outcomes": [
                    taken_when_json_has("subject"),
                    {"verdict": "available", "matchers": [{"type": "status", "status": [404]}]},
                ],
            },
            {
                "name": "lookup",
                "request": {
                    "method": "GET",
                    "url": f"{base}/api/v1/accounts/lookup?acct={{{{handle}}}}",
                    "headers": {"Accept": "application/json"},
                },
                "outcomes": [
                    taken_when_json_has("id"),
                    {"verdict": "available", "matchers": [{"type": "status", "status": [404]}]},
                ],
            },
        ],
    }


def fediverse_platforms(servers: Iterable[str]) -> tuple[Platform, ...]:
    """One platform per named server (each once, in the order given)."""
    entries = list({e["id"]: e for e in (server_entry(s) for s in servers if s.strip())}.values())
    return build_entries("fediverse servers", entries)
