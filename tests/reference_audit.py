"""The reference audit's parts: what Sherlock, WhatsMyName and Maigret say a site answers, and a
local server that answers so (see `tests/test_reference_audit.py`).

Each database entry becomes a `Described`: the request it sends (as a `Shape`: method, host,
path, and the query parameters that carry the name) and the two responses it describes, one for
an existing account and one for a missing one. A bundled platform is matched to an entry by URL
shape; its first check that sends the same request is pointed at a route of `AuditServer` that
serves the entry's canned response.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestServer

from handlecheck import Checker, HttpOptions, Platform, Result, Verdict

LOOPBACK = "127.0.0.1"
MARK = "zzhandlezz"
"""What stands for the name while a URL template is taken apart."""
OK = 200


class Answer(StrEnum):
    EXISTS = "exists"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Shape:
    """What identifies an endpoint: a template's method, host and path (the name replaced by
    MARK, case and a trailing slash ignored, `www.` dropped), and its query parameters that
    carry the name; other query parameters (`?lang=en`) do not change the endpoint."""

    method: str
    host: str
    path: str
    query: frozenset[str]


@dataclass(frozen=True, slots=True)
class Canned:
    """One response a database describes: a status, a page holding one marker (or nothing),
    and for a redirect, the path of the site it leads to."""

    status: int
    body: str = ""
    location: str | None = None

    def for_name(self, name: str) -> Canned:
        """This response as the site sends it for `name` (a redirect may name it)."""
        return replace(self, location=self.location and self.location.replace(MARK, name))

    def describe(self) -> str:
        where = f" to {self.location}" if self.location else ""
        return f"{self.status}{where}, body {self.body[:100]!r}"


@dataclass(frozen=True, slots=True)
class Described:
    """A database entry: where it asks, and what it says each answer looks like. A database
    that lists several markers means any one of them: each is a response of its own."""

    database: str
    name: str
    profile: Shape
    request: Shape
    exists: tuple[Canned, ...]
    missing: tuple[Canned, ...]

    def canned(self, answer: Answer) -> tuple[Canned, ...]:
        return self.exists if answer is Answer.EXISTS else self.missing


def shape(template: str, placeholder: str, method: str = "GET") -> Shape:
    """The `Shape` of a URL template whose name placeholder is `placeholder`."""
    parts = urlsplit(template.replace(placeholder, MARK))
    host = (parts.hostname or "").casefold().removeprefix("www.")
    carriers = frozenset(key for key, value in parse_qsl(parts.query, keep_blank_values=True) if MARK in value)
    verb = method.upper()
    return Shape("GET" if verb == "HEAD" else verb, host, unquote(parts.path).casefold().rstrip("/"), carriers)


def site_path(url: str, placeholder: str) -> str:
    """The path and query of `url`, the name as MARK: where a redirect leads, on the audit
    server. A URL without a scheme (Sherlock's WordPress entry) is read as https."""
    marked = url.replace(placeholder, MARK)
    parts = urlsplit(marked if "//" in marked else "https://" + marked)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _redirect(error_url: str | None, placeholder: str) -> tuple[Canned, ...]:
    return (Canned(302, location=site_path(error_url, placeholder) if error_url else "/"),)


def _pages(status: int, markers: Iterable[str]) -> tuple[Canned, ...]:
    """One page per marker (a page of nothing when there is none); 3xx lead to the home page."""
    location = "/" if 300 <= status < 400 else None
    return tuple(dict.fromkeys(Canned(status, marker, location) for marker in markers)) or (
        Canned(status, location=location),
    )


# --- the three databases ---------------------------------------------------------------------


def sherlock(path: Path) -> Iterator[Described]:
    """errorType status_code: 2xx vs errorCode (or 404); message: errorMsg in the body;
    response_url: a redirect to errorUrl. Other errorType values are not described here."""
    for name, site in json.loads(path.read_text("utf-8")).items():
        if not isinstance(site, dict) or not isinstance(site.get("url"), str):
            continue
        kind = site.get("errorType")
        if kind == "status_code":
            codes = site.get("errorCode", 404)
            missing = _pages(codes[0] if isinstance(codes, list) else int(codes), ())
        elif kind == "message":
            missing = _pages(OK, _strings(site.get("errorMsg")))
        elif kind == "response_url":
            missing = _redirect(site.get("errorUrl"), "{}")
        else:
            continue
        probe = shape(str(site.get("urlProbe", site["url"])), "{}", str(site.get("request_method", "GET")))
        yield Described("sherlock", name, shape(site["url"], "{}"), probe, _pages(OK, ()), missing)


def whatsmyname(path: Path) -> Iterator[Described]:
    """e_code + e_string for an existing account, m_code + m_string for a missing one; a
    `post_body` makes it a POST. WhatsMyName does not say where a 3xx leads: the home page."""
    for site in json.loads(path.read_text("utf-8"))["sites"]:
        check = site["uri_check"]
        answers = [
            _pages(code, [marker] if marker else [])
            for code, marker in ((int(site["e_code"]), site["e_string"]), (int(site["m_code"]), site["m_string"]))
        ]
        yield Described(
            "whatsmyname",
            site["name"],
            shape(site.get("uri_pretty", check), "{account}"),
            shape(check, "{account}", "POST" if site.get("post_body") else "GET"),
            *answers,
        )


def maigret(path: Path) -> Iterator[Described]:
    """Enabled sites, with their engine's defaults. message: presenseStrs (or presenceStrs) vs
    absenceStrs in a 200 page; status_code: 2xx vs 404; response_url: 2xx vs a redirect to
    errorUrl (or the home page). Presence markers go into every existing page, absence markers
    into every missing one."""
    document = json.loads(path.read_text("utf-8"))
    engines = document.get("engines", {})
    for name, raw in document["sites"].items():
        if raw.get("disabled") is True or raw.get("type") not in (None, "username"):
            continue
        site = {**engines.get(raw.get("engine"), {}).get("site", {}), **raw}
        if not isinstance(site.get("url"), str):
            continue
        fill = {"{urlMain}": str(site.get("urlMain", "")).rstrip("/"), "{urlSubpath}": str(site.get("urlSubpath", ""))}
        url, probe = site["url"], site.get("urlProbe", site["url"])
        for key, value in fill.items():
            url, probe = url.replace(key, value), probe.replace(key, value)
        presence = _strings(site.get("presenseStrs")) + _strings(site.get("presenceStrs"))
        kind = site.get("checkType", "status_code")
        if kind == "message":
            missing = _pages(OK, _strings(site.get("absenceStrs")))
        elif kind == "status_code":
            missing = _pages(404, _strings(site.get("absenceStrs")))
        elif kind == "response_url":
            missing = _redirect(site.get("errorUrl"), "{username}")
        else:
            continue
        method = str(site.get("requestMethod", "POST" if "requestPayload" in site else "GET"))
        yield Described(
            "maigret", name, shape(url, "{username}"), shape(probe, "{username}", method), _pages(OK, presence), missing
        )


# --- matching the bundled platforms -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A bundled platform and a database entry for the same site; `check` is the index of the
    platform's first check that sends the request the entry describes (None: none does). A check
    that first fetches a token elsewhere (`prefetch`) is not what a database describes."""

    platform: Platform
    entry: Described
    check: int | None


def find_matches(platforms: Iterable[Platform], entries: Iterable[Described]) -> list[Match]:
    """Same site: the entry asks what one of the platform's checks asks, or shows profiles where
    the platform does."""
    by_host: dict[str, list[Described]] = {}
    for entry in entries:
        for host in {entry.request.host, entry.profile.host}:
            by_host.setdefault(host, []).append(entry)
    found: list[Match] = []
    for platform in platforms:
        checks = [shape(check.request.url, "{{handle}}", check.request.method) for check in platform.checks]
        profile = shape(platform.urls.profile, "{{handle}}") if platform.urls.profile else None
        hosts = {asked.host for asked in checks} | ({profile.host} if profile else set())
        candidates = {id(entry): entry for host in hosts for entry in by_host.get(host, ())}
        for entry in candidates.values():
            if entry.profile == profile or entry.request in checks:
                index = next(
                    (i for i, asked in enumerate(checks) if asked == entry.request and not platform.checks[i].prefetch),
                    None,
                )
                found.append(Match(platform, entry, index))
    return sorted(found, key=lambda match: (match.platform.id, match.entry.database, match.entry.name))


def pointed(platform: Platform, index: int, base: str, suffix: str) -> Platform:
    """A copy of `platform` with only check `index`, sent to `base` (the host replaced, the path
    and query kept), under its own id, with no rate limit of its own."""
    check = platform.checks[index]
    parts = urlsplit(check.request.url)
    url = base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return replace(
        platform,
        id=f"{platform.id}~{suffix}",
        checks=(replace(check, request=replace(check.request, url=url)),),
        rate_limit=None,
        redirect_hosts=(),
    )


# --- the local server -------------------------------------------------------------------------


class AuditServer:
    """One aiohttp server on 127.0.0.1: a route per (site, answer) that always answers its
    `Canned` response, whatever name is asked, and a landing route beside it for redirects.

    Use as `async with AuditServer(cases) as server: server.base(token)`."""

    def __init__(self, cases: Mapping[str, Canned]) -> None:
        self._cases = dict(cases)
        app = web.Application()
        for token in self._cases:
            app.router.add_route("*", f"/{token}/{{tail:.*}}", self._answer)
            app.router.add_route("*", f"/{token}L/{{tail:.*}}", self._landing)
        self._server = TestServer(app, host=LOOPBACK)
        self.requests = 0

    async def __aenter__(self) -> AuditServer:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()

    def base(self, token: str) -> str:
        return f"http://{LOOPBACK}:{self._server.port}/{token}"

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests += 1
        token = request.path.split("/")[1]
        canned = self._cases[token]
        headers = {"Location": f"/{token}L{canned.location}"} if canned.location is not None else None
        body = canned.body
        kind = "application/json" if body.lstrip().startswith(("{", "[")) else "text/html"
        return web.Response(status=canned.status, text=body, content_type=kind, headers=headers)

    async def _landing(self, request: web.Request) -> web.Response:
        """Where a redirect leads (a home page, a search, a sign-in page): a page of nothing."""
        self.requests += 1
        return web.Response(text="<html><body></body></html>", content_type="text/html")


def load_all(reference: Path) -> list[Described]:
    return [
        *sherlock(reference / "sherlock" / "data.json"),
        *whatsmyname(reference / "whatsmyname" / "wmn-data.json"),
        *maigret(reference / "maigret" / "data.json"),
    ]


# --- feeding the rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fed:
    """One response fed to one bundled rule, and the verdict the engine gave."""

    match: Match
    answer: Answer
    handle: str
    response: Canned
    result: Result

    @property
    def contradicts(self) -> bool:
        if self.answer is Answer.MISSING:
            return self.result.verdict is Verdict.TAKEN
        return self.result.verdict is Verdict.AVAILABLE

    def describe(self) -> str:
        entry = self.match.entry
        return (
            f"{self.match.platform.id} (check {(self.match.check or 0) + 1}) vs {entry.database} {entry.name!r}: "
            f"{self.answer.value} answer [{self.response.describe()}] for {self.handle!r} read "
            f"{self.result.verdict.value}: {self.result.evidence[:200]}"
        )


def names_for(platform: Platform) -> dict[Answer, str]:
    """The names asked: the platform's own canaries, so that they fit its handle rule."""
    return {
        Answer.EXISTS: platform.known.taken[0] if platform.known.taken else "blue",
        Answer.MISSING: platform.known.available[0] if platform.known.available else "noonewouldeverusethis7",
    }


async def feed(matches: Iterable[Match], options: HttpOptions) -> list[Fed]:
    """Every response each match describes, served on loopback, read by the bundled rule's
    meaningful check through the real engine. Matches without such a check are not fed."""
    planned: dict[str, tuple[Match, Answer, str, Canned]] = {}
    pointers: dict[str, tuple[str, int]] = {}
    for number, (match, index) in enumerate((m, m.check) for m in matches if m.check is not None):
        for answer, handle in names_for(match.platform).items():
            for variant, canned in enumerate(match.entry.canned(answer)):
                token = f"c{number}{answer.value[0]}{variant}"
                planned[token] = (match, answer, handle, canned.for_name(handle))
                pointers[token] = (handle, index)
    async with AuditServer({token: plan[3] for token, plan in planned.items()}) as server:
        pairs = [
            (handle, pointed(planned[token][0].platform, index, server.base(token), token))
            for token, (handle, index) in pointers.items()
        ]
        async with Checker(options, environ={}) as checker:  # no credentials: none go to loopback
            results = {r.platform.rsplit("~", 1)[1]: r async for r in checker.run_pairs(pairs)}
    return [Fed(*plan, results[token]) for token, plan in planned.items()]
