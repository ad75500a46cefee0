"""A seeded farm of simulated platforms: many sites, each detecting accounts its own way.

The engine's own simulator (`tests/simulator.py`) has one site per behaviour, written by the
people who wrote the rules. Acceptance runs on platforms the engine has never seen, so this
farm draws, from a seed, the details in which real platforms differ: profile paths, redirect
targets (a sign-in page, the home page, a search page), JSON shapes, soft-404 wording in
several languages, which status means "no such account", rate-limit styles and slow hosts.

    specs = generate(seed=7, count=12)                # deterministic for (seed, count, options)
    async with Farm(specs) as farm:                   # every site on its own 127.0.0.1 port
        text = platform_yaml(specs, farm.ports)       # one correct rule per site
        ...                                           # run the engine, then read farm.stats(id)
    verdict, reason = expected(specs[0], "acme")      # the only right answer

As a script, for benchmarks (another process serves the farm; it listens on 127.0.0.1 only):

    python tests/farm.py --seed 7 --platforms 400 --latency 0.15 [--slow-latency 0.5 1.0]

prints one JSON line `{"ports": [...], "sites": [SiteSpec as dict, ...]}` once listening,
serves until its stdin closes, then prints one JSON line `{"stats": {site id: stats}}` and
exits. `SiteSpec.from_dict` turns the sites back into specs for `platform_yaml`,
`reference_entries` and `politeness_floor`.

The server is one asyncio task speaking just enough HTTP/1.1 (GET, HEAD, POST with a
Content-Length body, keep-alive) through a bare `asyncio.Protocol`, so that it stays cheap
and is not what a benchmark measures. Every answer leaves after its site's latency
(`loop.call_later`), in request order per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import socket
import sys
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

if TYPE_CHECKING:
    from handlecheck.models import Reason, Verdict

LOOPBACK = "127.0.0.1"
TAKEN: tuple[str, ...] = ("acme", "acmehq")
"""The accounts that exist on every site of every farm; every other name is missing."""
UNCLAIMED = "noonenothere7"
STYLES: tuple[str, ...] = ("status", "soft404", "json", "redirect", "signup")
STYLE_WEIGHTS: tuple[float, ...] = (0.26, 0.22, 0.2, 0.2, 0.12)
RATE_LIMIT_STYLES: tuple[str, ...] = ("429-retry-after", "429-bare", "503-retry-after")
LIMITERS: tuple[str, ...] = ("window", "bucket")
URL_RESERVED = frozenset("/?#%\\&=+:;@")

# --- what the sites are drawn from ------------------------------------------------------

PROFILE_PATHS: tuple[str, ...] = (
    "/{h}",
    "/u/{h}",
    "/@{h}",
    "/users/{h}/",
    "/profile?user={h}",
    "/user/{h}",
    "/people/{h}",
    "/members/{h}/profile",
    "/{h}/",
    "/p/{h}",
    "/channel/{h}",
    "/~{h}",
    "/profile.php?id={h}",
    "/index.php?title=User:{h}",
)
API_PATHS: tuple[str, ...] = (
    "/api/users/{h}",
    "/api/v1/accounts/lookup?acct={h}",
    "/users/{h}.json",
    "/api/v2/users/by/username/{h}",
    "/api/profile?username={h}",
    "/api/user/{h}/info",
    "/_api/u/{h}",
    "/api/search/users?q={h}&limit=1",
)
SIGNUP_PATHS: tuple[str, ...] = (
    "/api/signup/check",
    "/signup/username_available",
    "/users/check_username",
    "/api/v1/accounts/validate",
    "/account/availability",
    "/join/check",
)
# (fragment of a taken profile page with "{h}" for the handle, a static part of it that only
# taken pages show: what a tool that cannot put the name into its marker looks for)
TAKEN_MARKUP: tuple[tuple[str, str], ...] = (
    ('<meta property="og:title" content="{h}">', 'property="og:title"'),
    ('<h1 class="username">@{h}</h1>', 'class="username"'),
    ('<span class="profile-handle">{h}</span>', 'class="profile-handle"'),
    ('<div data-testid="UserName">@{h}</div>', 'data-testid="UserName"'),
    ('<a class="u-url" href="/@{h}" rel="me">@{h}</a>', 'rel="me"'),
    ('<h2 class="vcard-username">{h}</h2>', "vcard-username"),
    ("<h1>Profil von {h}</h1>", "Profil von"),
    ("<h1>Perfil de @{h}</h1>", "Perfil de"),
    ("<h1>Профиль {h}</h1>", "Профиль"),
    ("<h1>Profil de {h}</h1>", "Profil de "),
    ('<script type="application/ld+json">{"@type":"Person","alternateName":"@{h}"}</script>', '"@type":"Person"'),
)
SOFT_404_WORDING: tuple[str, ...] = (
    "Sorry, this page isn't available.",
    "User not found",
    "No such user",
    "This account doesn't exist",
    "Page not found",
    "The page you requested could not be found.",
    "Hmm...this page doesn't exist. Try searching for something else.",
    "This user has not been found.",
    "Benutzer nicht gefunden",
    "Diese Seite existiert leider nicht.",
    "Usuario no encontrado",
    "Esta cuenta no existe",
    "Utilisateur introuvable",
    "Cette page n'existe pas",
    "Пользователь не найден",
    "ユーザーが見つかりません",
    "Nessun utente trovato",
    "Gebruiker niet gevonden",
    "Kullanıcı bulunamadı",  # noqa: RUF001 (Turkish has a dotless i)
    "用户不存在",
)
STATUS_PAGE_WORDING: tuple[str, ...] = (
    "Not Found",
    "404: This page could not be found",
    "The requested URL was not found on this server.",
    "This profile is gone.",
    "Invalid user",
    "Oops! We can't find that page.",
)
MISSING_STATUSES: tuple[int, ...] = (404, 404, 404, 410, 400)
REDIRECT_TARGETS: tuple[str, ...] = (
    "/login?next=/{h}",
    "/accounts/login/?next=/{h}/",
    "/signin?return_to=/{h}",
    "/users/sign_in",
    "/session/new?return_to=%2F{h}",
    "/auth/login?redirect=%2Fu%2F{h}",
    "/",
    "/search?q={h}",
    "/explore",
    "/?missing={h}",
    "/home",
    "/404",
)
REDIRECT_STATUSES: tuple[int, ...] = (301, 302, 302, 302, 303, 307)
JSON_SHAPES: tuple[str, ...] = ("flat", "wrapped", "nested", "results", "list")
JSON_MISSING: dict[str, tuple[str, ...]] = {
    "flat": ("404", "error"),
    "wrapped": ("404", "error"),
    "nested": ("404", "error", "empty"),
    "results": ("404", "empty"),
    "list": ("404", "empty"),
}
JSON_KEYS: tuple[str, ...] = ("login", "username", "handle", "screen_name", "acct", "slug", "user_name")
JSON_ERRORS: tuple[str, ...] = (
    '{"error": "not found"}',
    '{"message": "Not Found"}',
    '{"error": {"code": 404, "message": "User does not exist"}}',
    '{"errors": [{"code": 50, "message": "User not found."}]}',
    '{"status": "error", "reason": "no such user"}',
)
SIGNUP_FIELDS: tuple[str, ...] = ("username", "login", "user_name", "name", "handle", "value")
# (dotted path of the answer, whether true means the name is free)
SIGNUP_ANSWERS: tuple[tuple[str, bool], ...] = (
    ("available", True),
    ("is_available", True),
    ("valid", True),
    ("data.available", True),
    ("result.is_available", True),
    ("taken", False),
    ("exists", False),
    ("data.username_taken", False),
)
HANDLE_PATTERNS: tuple[str | None, ...] = (
    "^[a-z0-9_]{2,30}$",
    "^[A-Za-z0-9_.]{1,30}$",
    "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$",
    "^[a-z0-9][a-z0-9_-]{2,31}$",
    "^\\w{3,24}$",
    None,
)
CHALLENGE_TITLES: tuple[str, ...] = ("Just a moment...", "Attention Required! | Cloudflare", "DDoS-Guard")
_LOGIN_TARGET = re.compile(r"/(?:login|signin|sign_in|session|auth)\b")


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One simulated platform: how it shows an account, and how it misbehaves.

    Paths and texts hold `{h}` where the handle goes. Only the fields of the site's `style`
    mean something; the others keep their defaults."""

    id: str
    style: str
    """status | soft404 | json | redirect | signup"""
    path: str
    """path and query of the check request (status, soft404, redirect: the profile page)"""
    latency: float
    method: str = "GET"
    handle_pattern: str | None = None
    # pages (status, soft404, redirect)
    taken_html: str = ""
    present_text: str | None = None
    missing_status: int = 200
    """status: the status of a missing account; json: 404 or 200; redirect: the redirect's status"""
    missing_text: str = ""
    echo_handle: bool = False
    """the missing page repeats the name that was asked for (a search box)"""
    padding: int = 0
    # json
    json_shape: str = ""
    json_key: str = ""
    json_missing: str = ""
    """404 (an error document with status 404), error (the same with 200), empty (200, no record)"""
    json_error: str = ""
    # redirect
    redirect_to: str = ""
    absolute_location: bool = False
    follow_redirects: bool = False
    """the rule follows redirects and reads the final URL; else it reads Location unfollowed"""
    # signup
    body_format: str = ""
    request_field: str = ""
    answer_path: str = ""
    true_means_free: bool = True
    # overlays
    slow: bool = False
    rate_limit: str | None = None
    """None, or one of RATE_LIMIT_STYLES: how the server says "too many" once a client's budget is spent"""
    limiter: str = ""
    budget: int = 0
    """requests per window (window), or the bucket's size (bucket, refilled at budget/window per second)"""
    window: float = 0.0
    flaky: bool = False
    """503 for the first request of each name, then the truth"""
    challenge: bool = False
    challenge_status: int = 0
    challenge_title: str = ""

    @property
    def name(self) -> str:
        return f"Farm {self.id[4:]}"

    @property
    def overlay(self) -> str:
        """A short label of how the site misbehaves, for messages."""
        labels = [f"rate-limited:{self.rate_limit}/{self.limiter}"] if self.rate_limit else []
        labels += ["flaky"] * self.flaky + ["challenge"] * self.challenge + ["slow"] * self.slow
        return ",".join(labels) or "plain"

    @property
    def login_target(self) -> bool:
        """A redirect site whose missing accounts land on a sign-in page."""
        return self.style == "redirect" and bool(_LOGIN_TARGET.search(urlsplit(self.redirect_to).path))

    @property
    def landing_status(self) -> int:
        """The status of the page a redirect for a missing account lands on."""
        return 404 if urlsplit(self.redirect_to).path == "/404" else 200

    def detection(self) -> str:
        """How the site tells a missing account (nothing of how it misbehaves)."""
        return {
            "status": f"{self.path} missing->{self.missing_status}",
            "soft404": f"{self.path} missing says {self.missing_text!r}",
            "json": f"{self.path} {self.json_shape} missing->{self.json_missing}",
            "redirect": f"{self.path} missing->{self.missing_status} {self.redirect_to} "
            f"({'follow+url' if self.follow_redirects else 'no-follow+Location'})",
            "signup": f"POST {self.path} {self.body_format} {self.answer_path}",
        }[self.style]

    def describe(self) -> str:
        """One line for failure messages: what the site does."""
        return f"{self.id} {self.style} [{self.overlay}] {self.detection()}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def _share(rng: random.Random, share: float, count: int) -> int:
    """`share` of `count`, rounded at random so that small farms still get the rare overlays."""
    exact = max(0.0, share) * count
    whole = int(exact)
    return min(count, whole + (rng.random() < exact - whole))


def _site(seed: int, index: int, latency: float, styles: Sequence[str], weights: Sequence[float]) -> SiteSpec:
    """The detection details of one site: a function of (seed, index) alone, so that a small
    farm's sites are the first sites of a large one with the same seed."""
    rng = random.Random(f"farm:{seed}:{index}")
    style = rng.choices(list(styles), weights=list(weights))[0]
    common: dict[str, Any] = {
        "id": f"farm{index:04d}",
        "style": style,
        "latency": latency,
        "handle_pattern": rng.choice(HANDLE_PATTERNS),
        "padding": rng.choice((0, 200, 1500, 4000)),
    }
    if style in ("status", "soft404", "redirect"):
        taken_html, present = rng.choice(TAKEN_MARKUP)
        common.update(path=rng.choice(PROFILE_PATHS), taken_html=taken_html, present_text=present)
    if style == "status":
        return SiteSpec(
            **common,
            missing_status=rng.choice(MISSING_STATUSES),
            missing_text=rng.choice(STATUS_PAGE_WORDING),
            echo_handle=rng.random() < 0.3,
        )
    if style == "soft404":
        return SiteSpec(**common, missing_text=rng.choice(SOFT_404_WORDING), echo_handle=rng.random() < 0.4)
    if style == "redirect":
        return SiteSpec(
            **common,
            missing_status=rng.choice(REDIRECT_STATUSES),
            redirect_to=rng.choice(REDIRECT_TARGETS),
            absolute_location=rng.random() < 0.3,
            follow_redirects=rng.random() < 0.5,
        )
    if style == "json":
        shape = rng.choice(JSON_SHAPES)
        missing = rng.choice(JSON_MISSING[shape])
        return SiteSpec(
            **common,
            path=rng.choice(API_PATHS),
            json_shape=shape,
            json_key=rng.choice(JSON_KEYS),
            json_missing=missing,
            json_error=rng.choice(JSON_ERRORS),
            missing_status=404 if missing == "404" else 200,
        )
    answer, true_means_free = rng.choice(SIGNUP_ANSWERS)
    return SiteSpec(
        **common,
        path=rng.choice(SIGNUP_PATHS),
        method="POST",
        body_format=rng.choice(("json", "json", "form")),
        request_field=rng.choice(SIGNUP_FIELDS),
        answer_path=answer,
        true_means_free=true_means_free,
    )


def generate(
    seed: int,
    count: int,
    *,
    latency: float = 0.15,
    slow_latency: tuple[float, float] = (0.5, 1.0),
    slow_share: float = 0.10,
    rate_limited_share: float = 0.10,
    flaky_share: float = 0.05,
    challenge_share: float = 0.02,
    window: float = 1.0,
    budget: tuple[int, int] = (2, 3),
    styles: Sequence[str] = STYLES,
    weights: Sequence[float] | None = None,
) -> list[SiteSpec]:
    """`count` sites, deterministic for the seed and the arguments.

    Shares are fractions of `count` (rounded at random when they do not come out whole);
    rate limiting, flakiness and challenges go to disjoint sites, slowness to any. A
    rate-limited site's budget is drawn from `budget` (inclusive; at least 2, so that a
    redirect and the page it lands on fit into one window) per `window` seconds."""
    if count < 0:
        raise ValueError("count must not be negative")
    if budget[0] < 2 or budget[1] < budget[0]:
        raise ValueError("budget must be a range (low, high) with 2 <= low <= high")
    if weights is None:
        weights = [STYLE_WEIGHTS[STYLES.index(s)] for s in styles]
    sites = [_site(seed, index, latency, styles, weights) for index in range(count)]
    rng = random.Random(f"farm-overlays:{seed}:{count}")
    order = list(range(count))
    rng.shuffle(order)
    limited = _share(rng, rate_limited_share, count)
    flaky = _share(rng, flaky_share, count)
    challenged = _share(rng, challenge_share, count)
    slow = set(rng.sample(range(count), _share(rng, slow_share, count)))
    offset = rng.randrange(len(RATE_LIMIT_STYLES))
    changes: dict[int, dict[str, Any]] = {index: {} for index in range(count)}
    for position, index in enumerate(order[:limited]):
        changes[index].update(
            rate_limit=RATE_LIMIT_STYLES[(offset + position) % len(RATE_LIMIT_STYLES)],
            limiter=rng.choice(LIMITERS),
            budget=rng.randint(*budget),
            window=window,
        )
    for index in order[limited : limited + flaky]:
        changes[index]["flaky"] = True
    for index in order[limited + flaky : limited + flaky + challenged]:
        changes[index].update(
            challenge=True, challenge_status=rng.choice((200, 403)), challenge_title=rng.choice(CHALLENGE_TITLES)
        )
    for index in sorted(slow):
        changes[index].update(slow=True, latency=round(rng.uniform(*slow_latency), 3))
    return [SiteSpec(**{**site.to_dict(), **changes[index]}) for index, site in enumerate(sites)]


# --- the truth ---------------------------------------------------------------------------


def is_taken(handle: str) -> bool:
    return handle.lower() in TAKEN


def handle_is_invalid(spec: SiteSpec, handle: str) -> bool:
    """Whether the platform's own rules refuse the handle (as the engine asks: in lower case)."""
    query = handle.lower()
    if set(query) & URL_RESERVED or ".." in query:
        return True
    return spec.handle_pattern is not None and re.fullmatch(spec.handle_pattern, query) is None


def expected(spec: SiteSpec, handle: str) -> tuple[Verdict, Reason | None]:
    """The only right result for `handle` on this site."""
    from handlecheck.models import Reason, Verdict

    if handle_is_invalid(spec, handle):
        return Verdict.INVALID, None
    if spec.challenge:
        return Verdict.UNKNOWN, Reason.CHALLENGE
    return (Verdict.TAKEN, None) if is_taken(handle) else (Verdict.AVAILABLE, None)


def round_trips(spec: SiteSpec, handle: str) -> int:
    """Responses a perfect client must wait for, one after the other, to learn the answer."""
    if handle_is_invalid(spec, handle):
        return 0
    if spec.challenge:
        return 1
    trips = 1 + (spec.style == "redirect" and spec.follow_redirects and not is_taken(handle))
    return trips + spec.flaky


# --- the server --------------------------------------------------------------------------

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
_MAX_HEAD = 64 * 1024
_MAX_BODY = 1024 * 1024
_HTML = "text/html; charset=utf-8"
_JSON = "application/json; charset=utf-8"


@dataclass
class SiteStats:
    """What one site saw and sent."""

    requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    arrivals: list[float] = field(default_factory=list)
    """loop.time() of each request's arrival"""
    statuses: Counter[int] = field(default_factory=Counter)
    throttled: int = 0
    """429 and 503 answers of the rate limiter"""
    flaky: int = 0
    """503 answers of the flaky overlay"""

    @property
    def rejected(self) -> int:
        """Every 429 and 503 sent, whatever sent it."""
        return self.statuses[429] + self.statuses[503]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "peak_in_flight": self.peak_in_flight,
            "arrivals": [round(t, 4) for t in self.arrivals],
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "throttled": self.throttled,
            "flaky": self.flaky,
            "rejected": self.rejected,
        }


def _response(
    status: int, body: str | bytes, content_type: str, headers: Iterable[tuple[str, str]] = (), *, head: bool = False
) -> bytes:
    raw = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {content_type}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(raw)}", "Connection: keep-alive", "", ""]
    return "\r\n".join(lines).encode("latin-1") + (b"" if head else raw)


def _page(title: str, body: str, padding: int = 0) -> str:
    filler = f'<div hidden aria-hidden="true">{"." * padding}</div>' if padding else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><header><a href="/">Home</a></header>{body}{filler}</body></html>'
    )


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/users/{h}.json` -> a regex with the handle as group `h`."""
    head, _, tail = template.partition("{h}")
    return re.compile(f"^{re.escape(head)}(?P<h>[^/?&#]+){re.escape(tail)}$")


def _nest(path: str, value: Any) -> dict[str, Any]:
    node: Any = value
    for key in reversed(path.split(".")):
        node = {key: node}
    result: dict[str, Any] = node
    return result


class _Limiter:
    """A per-client budget: a fixed window, or a token bucket refilled at budget/window per second."""

    def __init__(self, kind: str, budget: int, window: float) -> None:
        self.kind = kind
        self.budget = budget
        self.window = window
        self.start: float | None = None
        self.used = 0
        self.tokens = float(budget)
        self.updated = 0.0

    def admit(self, now: float) -> float | None:
        """None when the request may pass (and is counted), else the seconds until one may."""
        if self.kind == "window":
            if self.start is None or now >= self.start + self.window:
                self.start = now if self.start is None else now - (now - self.start) % self.window
                self.used = 0
            if self.used < self.budget:
                self.used += 1
                return None
            return self.start + self.window - now
        rate = self.budget / self.window
        if self.start is None:
            self.start = self.updated = now
        self.tokens = min(float(self.budget), self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / rate


class _Site:
    """A running site: its spec, its port, its state (limiters, names seen) and its stats."""

    def __init__(self, spec: SiteSpec, port: int) -> None:
        self.spec = spec
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        self.stats = SiteStats()
        self.limiters: dict[str, _Limiter] = {}
        self.seen: set[str] = set()
        self.pattern = _path_pattern(spec.path) if spec.style != "signup" else None
        self.landing = urlsplit(spec.redirect_to).path if spec.style == "redirect" else None

    # what the site answers
    def respond(self, method: str, target: str, body: bytes, peer: str, now: float) -> tuple[int, bytes]:
        spec = self.spec
        head = method == "HEAD"
        if spec.challenge:
            return self._challenge(head)
        if spec.rate_limit:
            limiter = self.limiters.get(peer)
            if limiter is None:
                limiter = self.limiters[peer] = _Limiter(spec.limiter, spec.budget, spec.window)
            wait = limiter.admit(now)
            if wait is not None:
                self.stats.throttled += 1
                return self._throttled(wait, head)
        handle = self._handle(method, target, body)
        if isinstance(handle, tuple):
            return handle
        if handle is None:
            return self._other(target, head)
        if spec.flaky and handle.lower() not in self.seen:
            self.seen.add(handle.lower())
            self.stats.flaky += 1
            return 503, _response(503, _page("Service Unavailable", "<h1>Try again later</h1>"), _HTML, head=head)
        return self._truth(handle, head)

    def _challenge(self, head: bool) -> tuple[int, bytes]:
        spec = self.spec
        page = _page(
            spec.challenge_title,
            "<h1>Checking your browser before accessing the site.</h1>"
            '<script>window._cf_chl_opt={cType: "managed"};</script>',
        )
        headers = [("cf-mitigated", "challenge")] if spec.challenge_status == 403 else []
        return spec.challenge_status, _response(spec.challenge_status, page, _HTML, headers, head=head)

    def _throttled(self, wait: float, head: bool) -> tuple[int, bytes]:
        style = self.spec.rate_limit
        status = 503 if style == "503-retry-after" else 429
        headers = [] if style == "429-bare" else [("Retry-After", str(max(1, math.ceil(wait))))]
        text = "Too Many Requests" if status == 429 else "Service Unavailable"
        return status, _response(status, _page(text, f"<h1>{text}</h1>"), _HTML, headers, head=head)

    def _handle(self, method: str, target: str, body: bytes) -> str | tuple[int, bytes] | None:
        """The handle a request asks about, None for another page, or a ready answer (a bad request)."""
        spec = self.spec
        if spec.style == "signup":
            if urlsplit(target).path != spec.path:
                return None
            if method != "POST":
                return 405, _response(405, '{"error": "method not allowed"}', _JSON, [("Allow", "POST")])
            value: Any = None
            try:
                if spec.body_format == "json":
                    document = json.loads(body.decode())
                    value = document.get(spec.request_field) if isinstance(document, dict) else None
                else:
                    value = (parse_qs(body.decode()).get(spec.request_field) or [None])[0]
            except (ValueError, UnicodeDecodeError):
                value = None
            if not isinstance(value, str) or not value:
                return 400, _response(400, json.dumps({"error": f"{spec.request_field} is required"}), _JSON)
            return value
        if self.landing is not None and urlsplit(target).path == self.landing:
            return None
        assert self.pattern is not None
        found = self.pattern.match(target)
        return unquote(found.group("h")) if found else None

    def _truth(self, handle: str, head: bool) -> tuple[int, bytes]:
        spec = self.spec
        taken = is_taken(handle)
        shown = _escape(handle)
        if spec.style == "signup":
            free = not taken
            answer = _nest(spec.answer_path, free if spec.true_means_free else not free)
            return 200, _response(200, json.dumps(answer), _JSON, head=head)
        if spec.style == "json":
            return self._json(handle, taken, head)
        if taken:
            page = _page(f"{shown} | {spec.name}", f"<main>{_template(spec.taken_html, shown)}</main>", spec.padding)
            return 200, _response(200, page, _HTML, head=head)
        if spec.style == "redirect":
            location = _template(spec.redirect_to, quote(handle, safe=""))
            if spec.absolute_location:
                location = self.base + location
            return spec.missing_status, _response(spec.missing_status, "", _HTML, [("Location", location)], head=head)
        echo = f'<form action="/search"><input name="q" value="{shown}"></form>' if spec.echo_handle else ""
        if spec.style == "soft404":
            page = _page(spec.name, f"<main><h2>{spec.missing_text}</h2>{echo}</main>", spec.padding)
            return 200, _response(200, page, _HTML, head=head)
        status = spec.missing_status
        page = _page(_REASONS[status], f"<main><h1>{spec.missing_text}</h1>{echo}</main>")
        return status, _response(status, page, _HTML, head=head)

    def _json(self, handle: str, taken: bool, head: bool) -> tuple[int, bytes]:
        spec = self.spec
        if taken:
            record = {"id": 1000 + sum(map(ord, handle)), spec.json_key: handle, "display_name": handle.title()}
            document: Any = {
                "flat": record,
                "wrapped": {"user": record},
                "nested": {"data": {"user": record}},
                "results": {"results": [record], "count": 1},
                "list": [record],
            }[spec.json_shape]
            return 200, _response(200, json.dumps(document), _JSON, head=head)
        if spec.json_missing == "empty":
            document = {"nested": {"data": {"user": None}}, "results": {"results": [], "count": 0}, "list": []}[
                spec.json_shape
            ]
            return 200, _response(200, json.dumps(document), _JSON, head=head)
        return spec.missing_status, _response(spec.missing_status, spec.json_error, _JSON, head=head)

    def _other(self, target: str, head: bool) -> tuple[int, bytes]:
        """Every page that is not the check: the redirect's landing page, the home page, 404."""
        spec = self.spec
        parts = urlsplit(target)
        if parts.path == self.landing:
            landing = self._landing(parts.path, parts.query)
            return self.spec.landing_status, _response(self.spec.landing_status, landing, _HTML, head=head)
        if parts.path == "/":
            return 200, _response(200, _page(spec.name, f"<h1>Welcome to {spec.name}</h1>"), _HTML, head=head)
        return 404, _response(404, _page("Not Found", "<h1>Not Found</h1>"), _HTML, head=head)

    def _landing(self, path: str, query: str) -> str:
        spec = self.spec
        if spec.login_target:
            return _page(
                f"Sign in · {spec.name}",
                '<form method="post" action="/session"><input name="login" autocomplete="username">'
                '<input type="password" name="password"><button>Sign in</button></form>',
            )
        if path == "/search":
            asked = _escape((parse_qs(query).get("q") or [""])[0])
            return _page(f"Search · {spec.name}", f"<h1>Search</h1><p>No results for {asked}</p>")
        if path == "/404":
            return _page(f"Page not found · {spec.name}", "<h1>This page doesn't exist</h1>")
        return _page(spec.name, f"<h1>Welcome to {spec.name}</h1><p>Trending today</p>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class _Pending:
    """One answer on its way: sent when due and when every earlier one on its connection is."""

    __slots__ = ("close", "payload", "ready", "timer")

    def __init__(self, payload: bytes, close: bool) -> None:
        self.payload = payload
        self.close = close
        self.ready = False
        self.timer: asyncio.TimerHandle | None = None


class _Connection(asyncio.Protocol):
    def __init__(self, site: _Site, registry: set[_Connection]) -> None:
        self.site = site
        self.registry = registry
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.buffer = bytearray()
        self.request: tuple[str, str, bool] | None = None
        self.needed = 0
        self.queue: deque[_Pending] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self.registry.add(self)
        peer = self.transport.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else "?"

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and self._take_request():
            pass

    def _take_request(self) -> bool:
        if self.request is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._abort()
                return False
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            del self.buffer[: end + 4]
            parts = lines[0].split(" ")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            try:
                self.needed = int(headers.get("content-length", "0"))
            except ValueError:
                self.needed = -1
            chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            if len(parts) != 3 or not 0 <= self.needed <= _MAX_BODY or chunked:
                self._abort()
                return False
            keep_alive = headers.get("connection", "").lower() != "close" and parts[2] == "HTTP/1.1"
            self.request = (parts[0].upper(), parts[1], keep_alive)
        if len(self.buffer) < self.needed:
            return False
        body = bytes(self.buffer[: self.needed])
        del self.buffer[: self.needed]
        method, target, keep_alive = self.request
        self.request = None
        self.site_received(method, target, body, keep_alive)
        return True

    def site_received(self, method: str, target: str, body: bytes, keep_alive: bool) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        site, stats = self.site, self.site.stats
        stats.requests += 1
        stats.arrivals.append(now)
        stats.in_flight += 1
        stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        status, payload = site.respond(method, target, body, self.peer, now)
        stats.statuses[status] += 1
        pending = _Pending(payload, not keep_alive)
        self.queue.append(pending)
        pending.timer = loop.call_later(site.spec.latency, self._due, pending)

    def _due(self, pending: _Pending) -> None:
        pending.ready = True
        while self.queue and self.queue[0].ready and self.transport is not None:
            done = self.queue.popleft()
            self.site.stats.in_flight -= 1
            self.transport.write(done.payload)
            if done.close:
                self._abort(graceful=True)

    def _abort(self, *, graceful: bool = False) -> None:
        if self.transport is not None:
            if graceful:
                self.transport.close()
            else:
                self.transport.abort()
        self._drop_pending()

    def _drop_pending(self) -> None:
        for pending in self.queue:
            if pending.timer is not None:
                pending.timer.cancel()
            self.site.stats.in_flight -= 1
        self.queue.clear()

    def abort(self) -> None:
        self._abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._drop_pending()
        self.registry.discard(self)
        self.transport = None


class Farm:
    """Serves every site of `specs` from this event loop, each on its own 127.0.0.1 port.

    `async with Farm(specs) as farm:` then `farm.ports` (in the order of `specs`),
    `farm.base(site_id)` and `farm.stats(site_id)`."""

    def __init__(self, specs: Sequence[SiteSpec]) -> None:
        if len({spec.id for spec in specs}) != len(specs):
            raise ValueError("site ids must be unique")
        self.specs = list(specs)
        self.ports: list[int] = []
        self._open: set[_Connection] = set()
        self._sites: dict[str, _Site] = {}
        self._servers: list[asyncio.Server] = []

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for spec in self.specs:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((LOOPBACK, 0))
            port = sock.getsockname()[1]
            site = _Site(spec, port)
            server = await loop.create_server(lambda s=site: _Connection(s, self._open), sock=sock, backlog=1024)
            self._servers.append(server)
            self._sites[spec.id] = site
            self.ports.append(port)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for connection in list(self._open):
            connection.abort()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def __aenter__(self) -> Farm:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def base(self, site_id: str) -> str:
        return self._sites[site_id].base

    def port(self, site_id: str) -> int:
        return self._sites[site_id].port

    def stats(self, site_id: str) -> SiteStats:
        return self._sites[site_id].stats

    def all_stats(self) -> dict[str, SiteStats]:
        return {site_id: site.stats for site_id, site in self._sites.items()}


# --- what other programs read --------------------------------------------------------------


def _template(text: str, handle: str = "{{handle}}") -> str:
    return text.replace("{h}", handle)


def _regex_template(text: str) -> str:
    """A regex that matches `text` literally, with `{{handle}}` (regex-escaped by the engine)
    where the handle goes."""
    pattern = "{{handle}}".join(re.escape(piece) for piece in text.split("{h}"))
    # A client that follows a redirect may show `%2F` in the query decoded (aiohttp does).
    return pattern.replace("%2F", "(?:%2F|/)")


def _status(*codes: int) -> dict[str, Any]:
    return {"type": "status", "status": list(codes)}


def _rule(spec: SiteSpec, base: str) -> dict[str, Any]:
    """The check a careful author would write for this site, from what it shows."""
    url = base + _template(spec.path)
    request: dict[str, Any] = {"url": url}
    page_taken = {
        "verdict": "taken",
        "matchers-condition": "and",
        "matchers": [_status(200), {"type": "word", "words": [_template(spec.taken_html)]}],
    }
    if spec.style == "status":
        outcomes = [page_taken, {"verdict": "available", "matchers": [_status(spec.missing_status)]}]
    elif spec.style == "soft404":
        missing = {
            "verdict": "available",
            "matchers-condition": "and",
            "matchers": [_status(200), {"type": "word", "words": [spec.missing_text]}],
        }
        outcomes = [page_taken, missing]
    elif spec.style == "redirect":
        target = spec.redirect_to
        if spec.follow_redirects:
            final = {"type": "url", "regex": [f"^{re.escape(base)}{_regex_template(target)}$"]}
            missing_matchers = [_status(spec.landing_status), final]
        else:
            request["redirects"] = False
            pattern = f"^(?:{re.escape(base)})?{_regex_template(target)}$"
            location = {"type": "header", "name": "Location", "regex": [pattern]}
            missing_matchers = [_status(spec.missing_status), location]
        outcomes = [page_taken, {"verdict": "available", "matchers-condition": "and", "matchers": missing_matchers}]
    elif spec.style == "json":
        request["headers"] = {"Accept": "application/json"}
        record = {"flat": "", "wrapped": "user.", "nested": "data.user.", "results": "results.0.", "list": "0."}[
            spec.json_shape
        ]
        taken = {
            "verdict": "taken",
            "matchers-condition": "and",
            "matchers": [
                _status(200),
                {"type": "json", "path": record + spec.json_key, "exists": True},
                {"type": "word", "words": ['"{{handle}}"']},
            ],
        }
        if spec.json_missing == "404":
            missing_matchers = [_status(404), {"type": "json", "path": _error_key(spec), "exists": True}]
        elif spec.json_missing == "error":
            missing_matchers = [_status(200), {"type": "json", "path": _error_key(spec), "exists": True}]
        elif spec.json_shape == "nested":
            missing_matchers = [
                _status(200),
                {"type": "json", "path": "data", "exists": True},
                {"type": "json", "path": "data.user", "exists": False},
            ]
        elif spec.json_shape == "results":
            missing_matchers = [
                _status(200),
                {"type": "json", "path": "results", "exists": True},
                {"type": "json", "path": "results.0", "exists": False},
            ]
        else:
            missing_matchers = [_status(200), {"type": "regex", "regex": [r"^\s*\[\s*\]\s*$"]}]
        outcomes = [taken, {"verdict": "available", "matchers-condition": "and", "matchers": missing_matchers}]
    else:
        request = {"method": "POST", "url": url}
        request["json" if spec.body_format == "json" else "form"] = {spec.request_field: "{{handle}}"}
        free = {"type": "json", "path": spec.answer_path, "equals": spec.true_means_free}
        used = {"type": "json", "path": spec.answer_path, "equals": not spec.true_means_free}
        outcomes = [
            {"verdict": "available", "matchers-condition": "and", "matchers": [_status(200), free]},
            {"verdict": "taken", "matchers-condition": "and", "matchers": [_status(200), used]},
        ]
    return {"name": spec.style, "request": request, "outcomes": outcomes}


def _error_key(spec: SiteSpec) -> str:
    document = json.loads(spec.json_error)
    return str(next(iter(document)))


def platform_yaml(specs: Sequence[SiteSpec], ports: Sequence[int]) -> str:
    """A handlecheck platform file with one correct rule per site.

    The server-side rate limits are not declared (a real platform file does not know them):
    the engine has to learn them from the 429s and 503s."""
    if len(specs) != len(ports):
        raise ValueError("one port per site")
    platforms = []
    for spec, port in zip(specs, ports, strict=True):
        base = f"http://{LOOPBACK}:{port}"
        entry: dict[str, Any] = {
            "id": spec.id,
            "name": spec.name,
            "tags": ["farm", spec.style],
            "source": f"tests/farm.py, {spec.style}: {spec.detection()}",
        }
        if spec.style == "signup":
            entry["urls"] = {"signup": f"{base}/join"}
        else:
            entry["urls"] = {"profile": base + _template(spec.path), "signup": f"{base}/join"}
        handle: dict[str, Any] = {"case": "insensitive"}
        if spec.handle_pattern is not None:
            handle["pattern"] = spec.handle_pattern
        entry["handle"] = handle
        entry["known"] = {"taken": [TAKEN[0]]}
        entry["checks"] = [_rule(spec, base)]
        platforms.append(entry)
    document = {"version": 1, "platforms": platforms}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)


def reference_entries(specs: Sequence[SiteSpec], ports: Sequence[int]) -> list[dict[str, Any]]:
    """A neutral description of each site for other tools (Sherlock, Maigret).

    Sign-up sites are left out: their only signal is a POST with a JSON or form body, which
    these descriptions cannot carry. Challenge sites are listed with the GET form they would
    have without the challenge: every tool gets the challenge page, and the right answer
    for them is unknown (see `expected`). Rate-limited, flaky and slow sites are listed as is."""
    entries = []
    for spec, port in zip(specs, ports, strict=True):
        if spec.style == "signup":
            continue
        base = f"http://{LOOPBACK}:{port}"
        entry: dict[str, Any] = {
            "name": spec.id,
            "url": base + _template(spec.path, "{}"),
            "main": base + "/",
            "detect": "status",
            "absent_text": None,
            "present_text": spec.present_text,
            "absent_url": None,
            "claimed": TAKEN[0],
            "unclaimed": UNCLAIMED,
        }
        if spec.style == "soft404":
            entry.update(detect="message", absent_text=spec.missing_text)
        elif spec.style == "redirect":
            entry.update(detect="redirect", absent_url=base + _template(spec.redirect_to, "{}"))
        elif spec.style == "json":
            entry["present_text"] = f'"{spec.json_key}"'
            if spec.json_missing != "404":
                missing = (
                    spec.json_error
                    if spec.json_missing == "error"
                    else json.dumps(
                        {"nested": {"data": {"user": None}}, "results": {"results": []}, "list": []}[spec.json_shape]
                    )
                )
                if spec.json_shape == "results" and spec.json_missing == "empty":
                    missing = '"results": []'
                entry.update(detect="message", absent_text=missing)
        entries.append(entry)
    return entries


def politeness_floor(
    specs: Sequence[SiteSpec], handles: Sequence[str], host_concurrency: int = 2, host_interval: float = 0.0
) -> float:
    """The shortest wall time in which a perfect polite scheduler could check `handles` on
    every site: a lower bound, the max over sites of the site's own floor.

    Per site, with latency L, host concurrency c, r_i the round trips handle i needs one after
    another (`round_trips`: 1; +1 for a missing account behind a followed redirect; +1 for a
    flaky site's 503; 0 for a handle the platform refuses offline), R = sum r_i, m = max r_i,
    and n the requests the client starts (a followed redirect is one; a flaky site's retry another):

        concurrency  = max(ceil(R / c), m) * L
        interval     = (n - 1) * host_interval + L                       (when host_interval > 0)
        server limit = max(last_start, discovery) + L                    (rate-limited, R > budget b)
          last_start = (ceil(R / b) - 1) * window                        (fixed window of b requests)
                     = (R - b) * window / b                              (bucket of b, refilled b/window per s)
          discovery  = floor(b / c) * L + L + RA                         (429 or 503 with Retry-After)
                     = floor(b / c) * L + L                              (429 without a header)
        site floor   = max(concurrency, interval, server limit)

    `discovery` is the round trip that cannot be avoided: a platform file does not declare the
    server's budget, so the scheduler learns it from the first refusal, which can go out no
    earlier than the (b+1)-th request does (at floor(b / c) * L) and comes back L later; with
    Retry-After the scheduler must then wait the RA the server sent before asking again:
    max(1, ceil(window - start % window)) for a window, max(1, ceil(window / b)) for a bucket
    (whole seconds, rounded up, as servers send it). Refused requests do not use up the budget
    (they do not on this farm's servers). A flaky site's 503 carries no Retry-After: its retry
    may start at once. The global concurrency limit is taken not to bind."""
    floor = 0.0
    for spec in specs:
        trips = [round_trips(spec, handle) for handle in handles]
        total = sum(trips)
        if total == 0:
            continue
        latency = spec.latency
        site = max(math.ceil(total / host_concurrency), max(trips)) * latency
        fetches = sum(1 for t in trips if t) * (1 + spec.flaky)  # a followed redirect is one fetch
        if host_interval > 0:
            site = max(site, (fetches - 1) * host_interval + latency)
        if spec.rate_limit and not spec.challenge and total > spec.budget:
            budget, window = spec.budget, spec.window
            if spec.limiter == "window":
                last_start = (math.ceil(total / budget) - 1) * window
            else:
                last_start = (total - budget) * window / budget
            refused_at = (budget // host_concurrency) * latency
            discovery = refused_at + latency
            if spec.rate_limit != "429-bare":
                wait = window - refused_at % window if spec.limiter == "window" else window / budget
                discovery += max(1, math.ceil(wait))
            site = max(site, max(last_start, discovery) + latency)
        floor = max(floor, site)
    return floor


# --- script mode ----------------------------------------------------------------------------


async def _serve(specs: Sequence[SiteSpec]) -> None:
    loop = asyncio.get_running_loop()
    async with Farm(specs) as farm:
        layout = {"ports": farm.ports, "sites": [spec.to_dict() for spec in specs]}
        sys.stdout.write(json.dumps(layout) + "\n")
        sys.stdout.flush()
        await loop.run_in_executor(None, sys.stdin.read)
        stats = {site_id: s.to_dict() for site_id, s in farm.all_stats().items()}
    sys.stdout.write(json.dumps({"stats": stats}) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a seeded farm of simulated platforms on 127.0.0.1.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--platforms", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds before each answer")
    parser.add_argument(
        "--slow-latency", type=float, nargs="+", default=[0.5, 1.0], metavar="S", help="slow hosts: LOW [HIGH]"
    )
    parser.add_argument("--slow-share", type=float, default=0.10)
    parser.add_argument("--rate-limited-share", type=float, default=0.10)
    parser.add_argument("--flaky-share", type=float, default=0.05)
    parser.add_argument("--challenge-share", type=float, default=0.02)
    parser.add_argument("--window", type=float, default=1.0, help="rate-limit window in seconds")
    parser.add_argument(
        "--budget", type=int, nargs="+", default=[2, 3], metavar="N", help="requests per window: LOW [HIGH]"
    )
    args = parser.parse_args(argv)
    slow = (args.slow_latency[0], args.slow_latency[-1])
    budget = (args.budget[0], args.budget[-1])
    specs = generate(
        args.seed,
        args.platforms,
        latency=args.latency,
        slow_latency=slow,
        slow_share=args.slow_share,
        rate_limited_share=args.rate_limited_share,
        flaky_share=args.flaky_share,
        challenge_share=args.challenge_share,
        window=args.window,
        budget=budget,
    )
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(specs))
    else:
        uvloop.run(_serve(specs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
