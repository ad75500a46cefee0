"""The data model: enums and frozen dataclasses shared by every module.

Nothing here does I/O. A platform file is parsed into `Platform` objects by
`registry`; the engine turns (handle, Platform) pairs into `Result` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """What a platform said about a handle. One vocabulary everywhere."""

    AVAILABLE = "available"
    TAKEN = "taken"
    RESERVED = "reserved"
    INVALID = "invalid"
    UNKNOWN = "unknown"

    @property
    def conclusive(self) -> bool:
        return self is not Verdict.UNKNOWN


class Reason(StrEnum):
    """Why a verdict is `unknown`."""

    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    CHALLENGE = "challenge"
    LOGIN_WALL = "login_wall"
    TIMEOUT = "timeout"
    NETWORK = "network"
    TLS = "tls"
    SERVER_ERROR = "server_error"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BODY_TOO_LARGE = "body_too_large"
    PREFETCH_FAILED = "prefetch_failed"
    UNSAFE_REQUEST = "unsafe_request"
    MISSING_CREDENTIAL = "missing_credential"
    UNEXPECTED_RESPONSE = "unexpected_response"
    OFFLINE = "offline"

    @property
    def unreachable(self) -> bool:
        """True when the platform could not be reached at all (nothing was answered)."""
        return self in (Reason.NETWORK, Reason.TIMEOUT, Reason.TLS, Reason.OFFLINE)

    @property
    def sent(self) -> bool:
        """False when no request was sent at all (a credential is not set, or a value would
        have made the request unsafe): such a result says nothing about the network."""
        return self not in (Reason.MISSING_CREDENTIAL, Reason.UNSAFE_REQUEST)


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def weight(self) -> int:
        """A weight for ranking: critical platforms count most."""
        return {"critical": 8, "high": 4, "normal": 2, "low": 1}[self.value]


class Case(StrEnum):
    SENSITIVE = "sensitive"
    INSENSITIVE = "insensitive"


class MatcherType(StrEnum):
    STATUS = "status"
    WORD = "word"
    REGEX = "regex"
    JSON = "json"
    HEADER = "header"
    URL = "url"


class Part(StrEnum):
    """Which part of a response a word or regex matcher (or a regex extractor) reads."""

    BODY = "body"
    HEADER = "header"
    URL = "url"
    ALL = "all"


class Condition(StrEnum):
    AND = "and"
    OR = "or"


class JsonOp(StrEnum):
    EXISTS = "exists"
    IN = "in"


class ExtractorType(StrEnum):
    REGEX = "regex"
    JSON = "json"
    HEADER = "header"
    COOKIE = "cookie"
    META = "meta"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One test on a response. `words`/`regexes` hold templates that may use {{vars}};
    `statuses` holds inclusive (low, high) ranges."""

    type: MatcherType
    part: Part = Part.BODY
    words: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    statuses: tuple[tuple[int, int], ...] = ()
    path: str | None = None
    json_op: JsonOp | None = None
    json_values: tuple[Any, ...] = ()
    header: str | None = None
    condition: Condition = Condition.OR
    negative: bool = False
    case_insensitive: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    matchers: tuple[Matcher, ...]
    condition: Condition = Condition.OR
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """A request template. Values may use {{handle}} and prefetched {{vars}}."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    json_body: Any = None
    form: tuple[tuple[str, str], ...] = ()
    redirects: bool = True


@dataclass(frozen=True, slots=True)
class Extractor:
    """Fills the variable `name` from a prefetch response."""

    type: ExtractorType
    name: str
    part: Part = Part.BODY
    regex: str | None = None
    group: int = 1
    path: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Prefetch:
    request: RequestSpec
    extract: tuple[Extractor, ...]


@dataclass(frozen=True, slots=True)
class Check:
    request: RequestSpec
    outcomes: tuple[Outcome, ...]
    prefetch: Prefetch | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """How to read an account's public profile: a request (default: GET the profile URL) and
    an extractor per field (display_name, bio, followers, created, verified, avatar)."""

    fields: tuple[Extractor, ...]
    request: RequestSpec | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """What an account shows the public: the evidence lookalike scoring reads."""

    display_name: str | None = None
    bio: str | None = None
    followers: int | None = None
    created: str | None = None
    verified: bool | None = None
    avatar: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "display_name": self.display_name,
            "bio": self.bio,
            "followers": self.followers,
            "created": self.created,
            "verified": self.verified,
            "avatar": self.avatar,
        }


@dataclass(frozen=True, slots=True)
class HandleRule:
    pattern: str | None = None
    case: Case = Case.INSENSITIVE
    strip: str = ""


@dataclass(frozen=True, slots=True)
class Urls:
    profile: str | None = None
    signup: str | None = None
    report: str | None = None
    recovery: str | None = None


class Offered(StrEnum):
    """How a platform offers one kind of help: a public page, only inside its app, not at all
    (as far as its public help says), or nobody has looked yet."""

    LINK = "link"
    IN_APP = "in-app"
    NONE = "none"
    UNKNOWN = "unknown"


class Cost(StrEnum):
    FREE = "free"
    PAID = "paid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Channel:
    """Where to go for one kind of help (reporting an impersonator, recovering a stolen account,
    getting verified), and what to do there."""

    offered: Offered = Offered.UNKNOWN
    url: str | None = None
    how: str = ""
    cost: Cost = Cost.UNKNOWN


@dataclass(frozen=True, slots=True)
class Help:
    report: Channel = field(default_factory=Channel)
    recovery: Channel = field(default_factory=Channel)
    verification: Channel = field(default_factory=Channel)

    def missing(self) -> tuple[str, ...]:
        """The kinds of help nobody has recorded yet (neither a link, in-app, nor none public)."""
        kinds = (("report", self.report), ("recovery", self.recovery), ("verification", self.verification))
        return tuple(kind for kind, channel in kinds if channel.offered is Offered.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Known:
    """Canary handles for the self-check."""

    taken: tuple[str, ...] = ()
    available: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Politeness towards one host: requests in flight, and seconds between request starts."""

    concurrency: int
    interval: float = 0.0


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    name: str
    checks: tuple[Check, ...]
    tags: tuple[str, ...] = ()
    priority: Priority = Priority.NORMAL
    urls: Urls = field(default_factory=Urls)
    handle: HandleRule = field(default_factory=HandleRule)
    known: Known = field(default_factory=Known)
    rate_limit: RateLimit | None = None
    verified: bool = False
    source: str | None = None
    profile: ProfileSpec | None = None
    secrets: tuple[tuple[str, str], ...] = ()
    """(template variable, environment variable) pairs: credentials, read only at request time."""
    redirect_hosts: tuple[str, ...] = ()
    """Other hosts its requests may be redirected to; a redirect anywhere else is not followed."""
    help: Help = field(default_factory=Help)
    """Where to report an impersonator, recover a stolen account and get verified."""


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict for one (handle, platform) pair, with the evidence behind it."""

    handle: str
    platform: str
    verdict: Verdict
    reason: Reason | None
    url: str | None
    http_status: int | None
    elapsed_ms: int
    evidence: str
    checked_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "platform": self.platform,
            "verdict": self.verdict.value,
            "reason": self.reason.value if self.reason else None,
            "url": self.url,
            "http_status": self.http_status,
            "elapsed_ms": self.elapsed_ms,
            "evidence": self.evidence,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
        }


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A concrete request, built from a RequestSpec by `rules.build_request`."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    redirects: bool = True


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What came back. `body` holds at most the byte cap; `truncated` says more was sent.
    `foreign_redirect` is the target of a redirect that was not followed because it leads to
    a host the platform does not declare (this response is that redirect)."""

    status: int
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    cookies: tuple[tuple[str, str], ...] = ()
    redirected: bool = False
    foreign_redirect: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.casefold()
        for key, value in self.headers:
            if key.casefold() == wanted:
                return value
        return None


class SourceFormat(StrEnum):
    """The formats a platform file may come in."""

    HANDLECHECK = "handlecheck"
    SHERLOCK = "sherlock"
    WHATSMYNAME = "whatsmyname"
    MAIGRET = "maigret"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry of a platform file that was left out, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The platforms a file yielded, and the entries it could not use."""

    platforms: tuple[Platform, ...]
    format: SourceFormat = SourceFormat.HANDLECHECK
    skipped: tuple[Skipped, ...] = ()
