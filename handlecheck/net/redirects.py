"""Redirects, hop by hop: the request a redirect asks for, and whether it may be followed.

A platform's host is the host name its request went to, whatever the scheme or port (http to
https on one name is one host), together with its `www.` twin: `example.com` and
`www.example.com` are one site, as most sites send one to the other. A redirect to any other
host is followed only when the platform declares that host (`redirect-hosts`); otherwise the
response is the redirect itself, marked `foreign_redirect`, and the rules judge it `unknown`
unless an outcome names the redirect. Headers the platform file set (an API key, a Cookie,
Authorization) go to the same origin only, or to its upgrade from http to https: never to
another host, declared or not. A request that carries a secret follows no redirect at all
(see `rules.build_request`), and cookies stay with the host that set them (aiohttp's jar).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from yarl import URL

from ..models import HttpRequest, HttpResponse

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class UnusableRedirect(Exception):
    """A Location that is not an http(s) URL with a host."""


def _site(host: str | None) -> str:
    name = (host or "").lower().rstrip(".")
    return name.removeprefix("www.")


def may_follow(origin: str, target: str, declared: Collection[str]) -> bool:
    """Whether a redirect from a request to `origin` (a URL) may be followed to `target`."""
    wanted = _site(URL(target, encoded=True).host)
    return wanted == _site(URL(origin, encoded=True).host) or wanted in {_site(host) for host in declared}


def _keeps_headers(source: URL, target: URL) -> bool:
    if source.origin() == target.origin():
        return True
    return (
        (source.scheme, target.scheme) == ("http", "https")
        and source.host == target.host
        and source.is_default_port()
        and target.is_default_port()
    )


def next_request(request: HttpRequest, response: HttpResponse, location: str) -> HttpRequest:
    """The request a redirect asks for, as browsers make it: 303 (and 301/302 after a POST)
    becomes a GET without a body. Raises UnusableRedirect."""
    try:
        target = URL(response.url).join(URL(location))
    except ValueError as exc:
        raise UnusableRedirect(f"unusable redirect {location[:200]!r}: {exc}") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise UnusableRedirect(f"redirect to a non-http URL: {location[:200]}")
    as_get = response.status == 303 or (response.status in (301, 302) and request.method == "POST")
    return replace(
        request,
        url=str(target),
        method="GET" if as_get else request.method,
        body=None if as_get else request.body,
        headers=request.headers if _keeps_headers(URL(request.url), target) else (),
    )
