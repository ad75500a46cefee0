"""A profile page as it was fetched, fit to keep as evidence: the request and the response,
with every credential and cookie withheld.

A platform entry may send an API token in a header, the URL or the body, and a server may set
cookies or echo a token back. None of that may reach an evidence archive, which is handed to a
platform's trust-and-safety team: credentials are blanked wherever they appear, the headers that
carry credentials or cookies keep their name but lose their value, and cookies set by the
server are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from .models import HttpRequest, HttpResponse, Profile

BLANKED = "[secret]"
WITHHELD = "[withheld]"
# Headers whose value is a credential or a cookie, whatever it holds.
PRIVATE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"})
# Response headers that set cookies: left out of the evidence altogether.
COOKIE_SETTERS = frozenset({"set-cookie", "set-cookie2"})


@dataclass(frozen=True, slots=True)
class ProfilePage:
    """A fetched profile page: what the request was and what came back (both without
    credentials or cookies), when, and the profile read from it (None where the platform
    entry has no profile reader or the page gave none)."""

    request: HttpRequest
    response: HttpResponse
    fetched_at: datetime
    profile: Profile | None = None


def blank(text: str, secrets: Iterable[str]) -> str:
    """`text` with every credential in it blanked out (a server may echo one back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, BLANKED)
    return text


def _blank_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if secret:
            data = data.replace(secret.encode(), BLANKED.encode())
    return data


def _headers(headers: Iterable[tuple[str, str]], secrets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    kept = []
    for name, value in headers:
        folded = name.casefold()
        if folded in COOKIE_SETTERS:
            continue
        kept.append((name, WITHHELD if folded in PRIVATE_HEADERS else blank(value, secrets)))
    return tuple(kept)


def withheld(request: HttpRequest, response: HttpResponse, secrets: Iterable[str]) -> tuple[HttpRequest, HttpResponse]:
    """The request and response with credentials blanked and cookies left out."""
    values = tuple(s for s in secrets if s)
    sent = replace(
        request,
        url=blank(request.url, values),
        headers=_headers(request.headers, values),
        body=None if request.body is None else _blank_bytes(request.body, values),
    )
    got = replace(
        response,
        url=blank(response.url, values),
        headers=_headers(response.headers, values),
        body=_blank_bytes(response.body, values),
        cookies=(),
    )
    return sent, got
