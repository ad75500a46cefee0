"""Pure rules: request templates to concrete requests, responses to verdicts. No I/O.

The order in which a response is judged is the product's core promise:

1. 429, 5xx or a challenge page (Cloudflare, captcha, DDoS-Guard, PerimeterX, DataDome) is
   `unknown`, whatever the platform file says: such a response carries no evidence about the
   handle, and a rule that matched it would only be matching the anti-bot page.
2. The check's outcomes, in order; the first whose matchers hold decides. When the response
   is a redirect to a sign-in page, only an outcome that names that redirect explicitly (a
   held `header` matcher on `Location`, or a held `url` matcher with words or a regex) may
   decide: the platform's file then says what the redirect means, and `platforms selfcheck`
   proves it with the canaries (a login wall for everyone fails the `known.taken` canary).
   Any other outcome would be judging the sign-in page, not the handle.
3. Nothing held: `unknown`, with the likeliest reason (login wall, blocked, truncated body,
   or `unexpected_response`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from .models import (
    Check,
    Condition,
    Extractor,
    ExtractorType,
    HttpRequest,
    HttpResponse,
    JsonOp,
    Matcher,
    MatcherType,
    Part,
    Profile,
    Reason,
    RequestSpec,
    Verdict,
)
from .patterns import PatternTimeout, compile_pattern, search

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HOST_VALUE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_FORBIDDEN_IN_HEADER = re.compile(r"[\r\n\x00]")
_TITLE = re.compile(r"<title[^>]*>([^<]{0,300})", re.IGNORECASE)
_LOGIN_PATH = re.compile(
    r"/(?:login|log-in|signin|sign-in|sign_in|accounts/login|session/new|auth/login|"
    r"checkpoint|authwall|uas/login)(?:[/?.#]|$)",
    re.IGNORECASE,
)

# Challenge and anti-bot pages. A response that shows one says nothing about the handle.
CHALLENGE_HEADERS: tuple[tuple[str, str], ...] = (("cf-mitigated", "challenge"),)
CHALLENGE_TITLES: tuple[str, ...] = (
    "just a moment",
    "attention required! | cloudflare",
    "ddos-guard",
    "access denied",
    "are you a robot",
    "are you human",
    "captcha",
    "security check",
    "verify you are human",
    "human verification",
    "pardon our interruption",
    "checking your browser",
)
CHALLENGE_MARKERS: tuple[str, ...] = (
    "cf_chl_opt",
    "cf-browser-verification",
    "challenges.cloudflare.com/turnstile",
    "px-captcha",
    "_pxcaptcha",
    "captcha-delivery.com",
    "ddos-guard.net/",
    "_incapsula_resource",
    "g-recaptcha",
    "h-captcha",
)
_CHALLENGE_SCAN_BYTES = 64 * 1024


class MissingVariable(Exception):
    """A template names a variable that has no value."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class UnsafeValue(Exception):
    """A value would change a URL's host or a header's framing."""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason: Reason | None
    evidence: str


# --- templates -------------------------------------------------------------------------


def template_variables(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def interpolate(template: str, variables: Mapping[str, str], escape: Callable[[str], str] = str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise MissingVariable(name)
        return escape(variables[name])

    return PLACEHOLDER.sub(replace, template)


def _url_value(value: str) -> str:
    return quote(value, safe="")


def _host_value(value: str) -> str:
    if not _HOST_VALUE.fullmatch(value):
        raise UnsafeValue(f"{value!r} cannot stand in a host name")
    return value.lower()


def render_url(template: str, variables: Mapping[str, str]) -> str:
    """Fill a URL template. Values are quoted in the path and query; in the host they must be
    plain DNS labels, so a value can never move the request to another host."""
    scheme, separator, rest = template.partition("://")
    if scheme.lower() not in ("http", "https") or not separator:
        raise UnsafeValue(f"not an http(s) URL: {template}")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    host = interpolate(authority, variables, _host_value)
    if "@" in host:
        raise UnsafeValue("a URL may not carry credentials")
    url = f"{scheme}://{host}{interpolate(tail, variables, _url_value)}"
    if not urlsplit(url).hostname:
        raise UnsafeValue(f"no host in {url}")
    return url


def _render_json(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, variables)
    if isinstance(value, list):
        return [_render_json(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _render_json(item, variables) for key, item in value.items()}
    return value


def request_variables(spec: RequestSpec) -> set[str]:
    """The variables a request's headers and body use (its URL aside)."""
    texts = [value for _, value in spec.headers] + [value for _, value in spec.form]
    texts += [spec.body] if spec.body is not None else []
    texts += [json.dumps(spec.json_body)] if spec.json_body is not None else []
    return {name for text in texts for name in template_variables(text)}


def build_request(
    spec: RequestSpec, variables: Mapping[str, str], secrets: Mapping[str, str] | None = None
) -> HttpRequest:
    """Turn a request template into a concrete request. Raises MissingVariable or UnsafeValue.

    `secrets` fill the headers and body only (never the URL). A request that carries one
    follows no redirect, so a credential is never handed on to wherever a server points."""
    carries_secret = bool(secrets) and not request_variables(spec).isdisjoint(secrets or {})
    filled = {**variables, **secrets} if secrets else variables
    headers: list[tuple[str, str]] = []
    for name, template in spec.headers:
        value = interpolate(template, filled)
        if _FORBIDDEN_IN_HEADER.search(value) or _FORBIDDEN_IN_HEADER.search(name):
            raise UnsafeValue(f"header {name} would carry a line break")
        headers.append((name, value))
    present = {name.casefold() for name, _ in headers}
    body: bytes | None = None
    content_type: str | None = None
    if spec.json_body is not None:
        body = json.dumps(_render_json(spec.json_body, filled)).encode()
        content_type = "application/json"
    elif spec.form:
        body = urlencode([(k, interpolate(v, filled)) for k, v in spec.form]).encode()
        content_type = "application/x-www-form-urlencoded"
    elif spec.body is not None:
        body = interpolate(spec.body, filled).encode()
    if content_type and "content-type" not in present:
        headers.append(("Content-Type", content_type))
    return HttpRequest(
        method=spec.method,
        url=render_url(spec.url, variables),
        headers=tuple(headers),
        body=body,
        redirects=spec.redirects and not carries_secret,
    )


# --- reading a response ----------------------------------------------------------------

_INVALID_JSON = object()


class ResponseView:
    """Lazily decoded views of a response, computed once and shared by all matchers."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response

    @cached_property
    def text(self) -> str:
        charset = "utf-8"
        content_type = self.response.header("content-type") or ""
        found = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
        if found:
            charset = found.group(1)
        try:
            return self.response.body.decode(charset, errors="replace")
        except LookupError:
            return self.response.body.decode("utf-8", errors="replace")

    @cached_property
    def header_text(self) -> str:
        return "\n".join(f"{name}: {value}" for name, value in self.response.headers)

    @cached_property
    def document(self) -> Any:
        if self.response.truncated:
            return _INVALID_JSON
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            return _INVALID_JSON

    def part(self, part: Part) -> str:
        if part is Part.BODY:
            return self.text
        if part is Part.HEADER:
            return self.header_text
        if part is Part.URL:
            return self.response.url
        return f"{self.response.url}\n{self.header_text}\n\n{self.text}"

    def body_incomplete(self, part: Part) -> bool:
        return self.response.truncated and part in (Part.BODY, Part.ALL)


def json_lookup(document: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (integers index lists). Returns (found, value)."""
    node = document
    for segment in path.split("."):
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.lstrip("-").isdigit():
            index = int(segment)
            if not -len(node) <= index < len(node):
                return False, None
            node = node[index]
        else:
            return False, None
    return True, node


def _same_json(a: Any, b: Any) -> bool:
    """Equality that keeps JSON's types apart (true is not 1)."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _any_or_all(results: Iterable[bool], condition: Condition) -> bool:
    return all(results) if condition is Condition.AND else any(results)


def _text_matches(matcher: Matcher, haystack: str, variables: Mapping[str, str]) -> bool:
    """Word and regex tests of `matcher` against `haystack`; raises PatternTimeout."""
    results: list[bool] = []
    if matcher.words:
        folded = haystack.casefold() if matcher.case_insensitive else haystack
        for template in matcher.words:
            word = interpolate(template, variables)
            results.append((word.casefold() if matcher.case_insensitive else word) in folded)
    for template in matcher.regexes:
        source = interpolate(template, variables, re.escape)
        results.append(search(compile_pattern(source, matcher.case_insensitive), haystack) is not None)
    return _any_or_all(results, matcher.condition)


def matcher_holds(matcher: Matcher, view: ResponseView, variables: Mapping[str, str]) -> bool:
    """Whether `matcher` holds. An undecidable test (a regex that ran out of time, a body
    that was cut short for a negative test, JSON that does not parse) never holds."""
    response = view.response
    try:
        if matcher.type is MatcherType.STATUS:
            found = any(low <= response.status <= high for low, high in matcher.statuses)
        elif matcher.type is MatcherType.JSON:
            document = view.document
            if document is _INVALID_JSON:
                return False
            present, value = json_lookup(document, matcher.path or "")
            if matcher.json_op is JsonOp.EXISTS:
                found = (present and value is not None) == bool(matcher.json_values[0])
            else:
                found = present and any(_same_json(value, v) for v in matcher.json_values)
        elif matcher.type is MatcherType.HEADER:
            value = response.header(matcher.header or "")
            if value is None:
                found = False
            elif matcher.words or matcher.regexes:
                found = _text_matches(matcher, value, variables)
            else:
                found = True
        else:
            part = Part.URL if matcher.type is MatcherType.URL else matcher.part
            found = _text_matches(matcher, view.part(part), variables)
            if matcher.negative and not found and view.body_incomplete(part):
                return False
    except PatternTimeout:
        return False
    return not found if matcher.negative else found


def describe(matcher: Matcher) -> str:
    """A short human-readable account of a matcher, for the evidence field."""
    neg = matcher.negative
    if matcher.type is MatcherType.STATUS:
        codes = ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in matcher.statuses)
        return f"status {'not ' if neg else ''}{codes}"
    if matcher.type is MatcherType.JSON:
        if matcher.json_op is JsonOp.EXISTS:
            exists = bool(matcher.json_values[0]) != neg
            return f"json {matcher.path} {'exists' if exists else 'absent'}"
        values = ", ".join(json.dumps(v) for v in matcher.json_values)
        return f"json {matcher.path} {'not ' if neg else ''}in [{values}]"
    terms = [repr(w) for w in matcher.words] + [f"/{r}/" for r in matcher.regexes]
    joined = f" {matcher.condition.value} ".join(terms)
    if len(joined) > 120:
        joined = joined[:117] + "..."
    if matcher.type is MatcherType.HEADER:
        where = f"header {matcher.header}"
        if not terms:
            return f"{where} {'absent' if neg else 'present'}"
    elif matcher.type is MatcherType.URL:
        where = "final url"
    else:
        where = matcher.part.value
    return f"{where} {'lacks' if neg else 'has'} {joined}"


def challenge_signal(view: ResponseView) -> str | None:
    """Name the anti-bot or challenge marker this response carries, if any."""
    response = view.response
    for name, value in CHALLENGE_HEADERS:
        if (response.header(name) or "").casefold() == value:
            return f"header {name}: {value}"
    head = view.text[:_CHALLENGE_SCAN_BYTES]
    title = _TITLE.search(head)
    if title:
        text = title.group(1).strip().casefold()
        for word in CHALLENGE_TITLES:
            if word in text:
                return f"challenge page title {title.group(1).strip()[:80]!r}"
    lowered = head.casefold()
    for marker in CHALLENGE_MARKERS:
        if marker in lowered:
            return f"challenge marker {marker!r}"
    return None


def login_wall_signal(response: HttpResponse) -> str | None:
    """A redirect (followed or not) that lands on a sign-in page."""
    candidates = []
    if response.redirected:
        candidates.append(response.url)
    if 300 <= response.status < 400:
        candidates.append(response.header("location") or "")
    for url in candidates:
        if _LOGIN_PATH.search(urlsplit(url).path or "/"):
            return f"redirected to sign-in page {url[:200]}"
    return None


def names_redirect(matcher: Matcher) -> bool:
    """Whether a matcher speaks about where a response redirects: a positive `header` matcher
    on Location, or a positive test of the final URL (a `url` matcher, or a word or regex
    matcher on `part: url`) with a word or regex naming the target."""
    if matcher.negative:
        return False
    if matcher.type is MatcherType.HEADER:
        return (matcher.header or "").casefold() == "location"
    on_url = matcher.type is MatcherType.URL or (
        matcher.type in (MatcherType.WORD, MatcherType.REGEX) and matcher.part is Part.URL
    )
    return on_url and bool(matcher.words or matcher.regexes)


def decide(check: Check, response: HttpResponse, variables: Mapping[str, str], label: str) -> Decision:
    """Judge one response against one check."""
    view = ResponseView(response)
    status = response.status
    if status == 429:
        return Decision(Verdict.UNKNOWN, Reason.RATE_LIMITED, f"{label}: status 429")
    if 500 <= status <= 599:
        return Decision(Verdict.UNKNOWN, Reason.SERVER_ERROR, f"{label}: status {status}")
    challenge = challenge_signal(view)
    if challenge:
        return Decision(Verdict.UNKNOWN, Reason.CHALLENGE, f"{label}: {challenge} (status {status})")
    login = login_wall_signal(response)
    for outcome in check.outcomes:
        held = [m for m in outcome.matchers if matcher_holds(m, view, variables)]
        every = outcome.condition is Condition.AND
        if not (len(held) == len(outcome.matchers) if every else held):
            continue
        if login:
            explicit = [m for m in held if names_redirect(m)]
            if not explicit:
                continue  # this outcome would be judging the sign-in page
            held = held if every else explicit
        shown = held if every else held[:1]
        evidence = f"{label}: " + " and ".join(describe(m) for m in shown)
        if outcome.verdict is Verdict.UNKNOWN:
            return Decision(Verdict.UNKNOWN, outcome.reason or Reason.UNEXPECTED_RESPONSE, evidence)
        return Decision(outcome.verdict, None, evidence)
    if login:
        return Decision(Verdict.UNKNOWN, Reason.LOGIN_WALL, f"{label}: {login}")
    if status in (401, 407):
        return Decision(Verdict.UNKNOWN, Reason.LOGIN_WALL, f"{label}: status {status}")
    if status == 403:
        return Decision(Verdict.UNKNOWN, Reason.BLOCKED, f"{label}: status 403 matched no outcome")
    if response.truncated:
        return Decision(Verdict.UNKNOWN, Reason.BODY_TOO_LARGE, f"{label}: body over the size cap matched no outcome")
    return Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"{label}: status {status} matched no outcome")


_META_TAG = re.compile(r"<meta\b[^>]{0,2000}>", re.IGNORECASE)
_META_ATTRIBUTE = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PROFILE_TEXT_LIMIT = 2000
_TAG = re.compile(r"<[^>]{0,500}>")


def meta_content(text: str, name: str) -> str | None:
    """The content of the first <meta property|name=NAME content=...> tag, unescaped."""
    wanted = name.casefold()
    for tag in _META_TAG.finditer(text[: _CHALLENGE_SCAN_BYTES * 4]):
        attributes = {key.casefold(): a if a else b for key, a, b in _META_ATTRIBUTE.findall(tag.group(0))}
        if wanted in (attributes.get("property", "").casefold(), attributes.get("name", "").casefold()):
            content = attributes.get("content")
            return html.unescape(content) if content is not None else None
    return None


def _field_value(extractor: Extractor, view: ResponseView) -> str | None:
    if extractor.type is ExtractorType.META:
        return meta_content(view.text, extractor.key or "")
    if extractor.type is ExtractorType.JSON:
        if view.document is _INVALID_JSON:
            return None
        present, raw = json_lookup(view.document, extractor.path or "")
        if not present or raw is None or isinstance(raw, dict | list):
            return None
        return str(raw).lower() if isinstance(raw, bool) else str(raw)
    if extractor.type is ExtractorType.HEADER:
        return view.response.header(extractor.key or "")
    try:
        found = search(compile_pattern(extractor.regex or ""), view.text)
    except PatternTimeout:
        return None
    if found is None:
        return None
    return found.group(0) if extractor.group == 0 or found.lastindex is None else found.group(extractor.group)


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
    values = {f.name: _field_value(f, view) for f in fields}

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
    """Fill variables from a prefetch response. Raises MissingVariable for one not found."""
    view = ResponseView(response)
    values: dict[str, str] = {}
    for extractor in extractors:
        value: str | None = None
        if extractor.type is ExtractorType.REGEX:
            try:
                found = search(compile_pattern(extractor.regex or ""), view.part(extractor.part))
            except PatternTimeout:
                found = None
            if found and found.lastindex is not None and extractor.group <= found.lastindex:
                value = found.group(extractor.group)
            elif found and extractor.group == 0:
                value = found.group(0)
        elif extractor.type is ExtractorType.JSON:
            if view.document is not _INVALID_JSON:
                present, raw = json_lookup(view.document, extractor.path or "")
                if present and isinstance(raw, str | int | float) and not isinstance(raw, bool):
                    value = str(raw)
        elif extractor.type is ExtractorType.HEADER:
            value = response.header(extractor.key or "")
        else:
            value = dict(response.cookies).get(extractor.key or "")
        if not value or _FORBIDDEN_IN_HEADER.search(value):
            raise MissingVariable(extractor.name)
        values[extractor.name] = value
    return values
