"""A response to a verdict: the engine's guards, then the check's outcomes (see the package
docstring for which wins)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ..models import (
    Check,
    Condition,
    HttpResponse,
    JsonOp,
    Matcher,
    MatcherType,
    Outcome,
    Part,
    Reason,
    Verdict,
)
from .patterns import PatternTimeout, compile_pattern, search
from .templates import interpolate
from .view import INVALID_JSON, SCAN_BYTES, ResponseView, json_lookup

_TITLE = re.compile(r"<title[^>]*>([^<]{0,300})", re.IGNORECASE)


_LOGIN_PATH = re.compile(
    r"/(?:login|log-in|signin|sign-in|sign_in|accounts/login|session/new|auth/login|"
    r"checkpoint|authwall|uas/login)(?:[/?.#]|$)",
    re.IGNORECASE,
)


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
    "px-captcha",
    "_pxcaptcha",
    "captcha-delivery.com",
    "ddos-guard.net/",
    "_incapsula_resource",
)
"""Markers only an interstitial carries: the page is the challenge."""

WIDGET_MARKERS: tuple[str, ...] = (
    "challenges.cloudflare.com/turnstile",
    "g-recaptcha",
    "h-captcha",
)
"""Captcha widgets: a challenge page carries one, and so does an ordinary page with a contact,
sign-in or report form. On such a page a rule decides only by what it read in the content (see
`reads_content`); a status, a header or an absence proves nothing there."""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason: Reason | None
    evidence: str


def _same_json(a: Any, b: Any) -> bool:
    """Equality that keeps JSON's types apart (true is not 1)."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _any_or_all(results: Iterable[bool], condition: Condition) -> bool:
    return all(results) if condition is Condition.AND else any(results)


def _text_matches(matcher: Matcher, haystack: str, variables: Mapping[str, str]) -> bool:
    """Word and regex tests of `matcher` against `haystack`; raises PatternTimeout."""
    return _any_or_all((at is not None for at in _first_matches(matcher, haystack, variables)), matcher.condition)


def _first_matches(matcher: Matcher, haystack: str, variables: Mapping[str, str]) -> list[int | None]:
    """Where each of `matcher`'s words and regexes first matches `haystack` (None: nowhere);
    raises PatternTimeout."""
    starts: list[int | None] = []
    if matcher.words:
        folded = haystack.casefold() if matcher.case_insensitive else haystack
        for template in matcher.words:
            word = interpolate(template, variables)
            at = folded.find(word.casefold() if matcher.case_insensitive else word)
            starts.append(at if at >= 0 else None)
    for template in matcher.regexes:
        source = interpolate(template, variables, re.escape)
        found = search(compile_pattern(source, matcher.case_insensitive), haystack, origin=template)
        starts.append(found.start() if found else None)
    return starts


def unproven_absence(matcher: Matcher, view: ResponseView, variables: Mapping[str, str]) -> str | None:
    """Why a `negative` word or regex matcher cannot hold on this response, whatever it reads:
    the body it reads could not have shown the marker (see `ResponseView.unproven_absence`)."""
    if not matcher.negative or matcher.type not in (MatcherType.WORD, MatcherType.REGEX):
        return None
    why = view.unproven_absence(matcher.part)
    return None if why is None else f"{why}: the absence of {_terms(matcher, variables)} proves nothing"


def matcher_holds(matcher: Matcher, view: ResponseView, variables: Mapping[str, str]) -> bool:
    """Whether `matcher` holds. An undecidable test (a negative test on a body that could not
    have shown the marker, JSON that does not parse) never holds; a regex that runs out of
    time raises PatternTimeout, for then neither this outcome nor the ones after it can be
    judged."""
    response = view.response
    if matcher.type is MatcherType.STATUS:
        found = any(low <= response.status <= high for low, high in matcher.statuses)
    elif matcher.type is MatcherType.JSON:
        document = view.document
        if document is INVALID_JSON:
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
        if unproven_absence(matcher, view, variables) is not None:
            return False
        found = _text_matches(matcher, view.part(part), variables)
    return not found if matcher.negative else found


def describe(matcher: Matcher, variables: Mapping[str, str]) -> str:
    """A short human-readable account of a matcher, for the evidence field: its words and
    regexes as they were tested, with the handle and the other variables filled in."""
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
    joined = _terms(matcher, variables)
    if matcher.type is MatcherType.HEADER:
        where = f"header {matcher.header}"
        if not joined:
            return f"{where} {'absent' if neg else 'present'}"
    elif matcher.type is MatcherType.URL:
        where = "final url"
    else:
        where = matcher.part.value
    return f"{where} {'lacks' if neg else 'has'} {joined}"


def _terms(matcher: Matcher, variables: Mapping[str, str]) -> str:
    """A matcher's words and regexes, as the evidence shows them."""
    words = [repr(interpolate(w, variables)) for w in matcher.words]
    terms = words + [f"/{interpolate(r, variables, re.escape)}/" for r in matcher.regexes]
    joined = f" {matcher.condition.value} ".join(terms)
    return joined[:117] + "..." if len(joined) > 120 else joined


def challenge_signal(view: ResponseView, handle: str) -> str | None:
    """Name the anti-bot or challenge marker this response carries, if any. A title phrase
    found only inside the handle does not count (`hcaptcha (@hcaptcha)` is the account's page),
    one reaching beyond it does (`Just a moment...` for the handle `moment` is a challenge)."""
    response = view.response
    for name, value in CHALLENGE_HEADERS:
        if (response.header(name) or "").casefold() == value:
            return f"header {name}: {value}"
    head = view.text[:SCAN_BYTES]
    title = _TITLE.search(head)
    if title:
        text = title.group(1).strip().casefold()
        for word in CHALLENGE_TITLES:
            if _beyond_handle(word, text, handle.casefold()):
                return f"challenge page title {title.group(1).strip()[:80]!r}"
    return _marker(head, CHALLENGE_MARKERS, "challenge marker")


def _beyond_handle(phrase: str, text: str, handle: str) -> bool:
    """Whether `phrase` occurs in `text` other than wholly inside an occurrence of `handle`."""
    inside = [(m.start(), m.end()) for m in re.finditer(re.escape(handle), text)] if handle else []
    return any(
        not any(start <= at and at + len(phrase) <= end for start, end in inside)
        for at in (m.start() for m in re.finditer(re.escape(phrase), text))
    )


def widget_signal(view: ResponseView) -> str | None:
    """Name the captcha widget this page embeds, if any."""
    return _marker(view.text[:SCAN_BYTES], WIDGET_MARKERS, "captcha widget")


def _marker(head: str, markers: tuple[str, ...], kind: str) -> str | None:
    lowered = head.casefold()
    return next((f"{kind} {marker!r}" for marker in markers if marker in lowered), None)


def reads_content(matcher: Matcher) -> bool:
    """Whether a matcher found something in what the page says: a positive word or regex on the
    body, or any JSON test (a captcha page is HTML: JSON tests never hold on it)."""
    if matcher.type is MatcherType.JSON:
        return True
    body = matcher.part in (Part.BODY, Part.ALL)
    return matcher.type in (MatcherType.WORD, MatcherType.REGEX) and body and not matcher.negative


def login_wall_signal(response: HttpResponse, requested: str) -> str | None:
    """A redirect (followed or not) that lands on a sign-in page; not one that only adds or
    drops the requested path's trailing slash (`/checkpoint` to `/checkpoint/` is the account)."""
    candidates = []
    if response.redirected:
        candidates.append(response.url)
    if 300 <= response.status < 400:
        candidates.append(response.header("location") or "")
    asked = _bare_path(requested)
    for url in candidates:
        if _bare_path(url) != asked and _LOGIN_PATH.search(urlsplit(url).path or "/"):
            return f"redirected to sign-in page {url[:200]}"
    return None


def _bare_path(url: str) -> str:
    return unquote(urlsplit(url).path).rstrip("/")


def foreign_redirect_signal(response: HttpResponse) -> str | None:
    """A redirect that was not followed: it leads to a host the platform does not declare."""
    target = response.foreign_redirect
    if target is None:
        return None
    return f"status {response.status} redirects to another host, {target[:200]}, that the platform does not declare"


def _blocked_by_absence(
    outcome: Outcome, held: list[Matcher], view: ResponseView, variables: Mapping[str, str]
) -> str | None:
    """Why an outcome that did not hold was kept from holding only by absences this response
    cannot prove (see `unproven_absence`), if it was."""
    missing = [m for m in outcome.matchers if m not in held]
    notes = [note for m in missing if (note := unproven_absence(m, view, variables)) is not None]
    if not notes or (outcome.condition is Condition.AND and len(notes) < len(missing)):
        return None
    return notes[0]


def _reads_target(matcher: Matcher, response: HttpResponse, variables: Mapping[str, str]) -> bool:
    """Whether a redirect-naming matcher read the target itself: a url test's words or
    regexes must match from before the URL's query (`^https://x/login[?]next=/bob/$` does), for a
    sign-in page's `?next=/ig/bob/` repeats the profile's path (`/ig/bob/$` only finds that)."""
    if matcher.type is MatcherType.HEADER:
        return True
    url = response.url
    query = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    starts = _first_matches(matcher, url, variables)
    return _any_or_all((at is not None and at < query for at in starts), matcher.condition)


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
    challenge = challenge_signal(view, variables.get("handle", ""))
    if challenge:
        return Decision(Verdict.UNKNOWN, Reason.CHALLENGE, f"{label}: {challenge} (status {status})")
    widget = widget_signal(view)
    login = login_wall_signal(response, interpolate(check.request.url, variables))
    redirect = login or foreign_redirect_signal(response)
    blocked: str | None = None
    for outcome in check.outcomes:
        try:
            held = [m for m in outcome.matchers if matcher_holds(m, view, variables)]
        except PatternTimeout as exc:
            return Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"{label}: status {status}, {exc}")
        every = outcome.condition is Condition.AND
        if not (len(held) == len(outcome.matchers) if every else held):
            blocked = blocked or _blocked_by_absence(outcome, held, view, variables)
            continue
        if redirect:
            try:
                explicit = [m for m in held if names_redirect(m) and _reads_target(m, response, variables)]
            except PatternTimeout as exc:
                return Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"{label}: status {status}, {exc}")
            if not explicit:
                continue  # this outcome would be judging the sign-in page, or the other host's
            held = held if every else explicit
        if widget:
            content = [m for m in held if reads_content(m)]
            if not content:
                continue  # a status or an absence on a page with a captcha proves nothing
            held = held if every else content
        shown = held if every else held[:1]
        evidence = f"{label}: " + " and ".join(describe(m, variables) for m in shown)
        if outcome.verdict is Verdict.UNKNOWN:
            return Decision(Verdict.UNKNOWN, outcome.reason or Reason.UNEXPECTED_RESPONSE, evidence)
        return Decision(outcome.verdict, None, evidence)
    if widget:
        return Decision(Verdict.UNKNOWN, Reason.CHALLENGE, f"{label}: {widget} (status {status})")
    if login:
        return Decision(Verdict.UNKNOWN, Reason.LOGIN_WALL, f"{label}: {login}")
    if redirect:
        return Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"{label}: {redirect}")
    if status in (401, 407):
        return Decision(Verdict.UNKNOWN, Reason.LOGIN_WALL, f"{label}: status {status}")
    if status == 403:
        return Decision(Verdict.UNKNOWN, Reason.BLOCKED, f"{label}: status 403 matched no outcome")
    if blocked:
        reason = Reason.BODY_TOO_LARGE if response.truncated else Reason.UNEXPECTED_RESPONSE
        return Decision(Verdict.UNKNOWN, reason, f"{label}: status {status}, {blocked}")
    if response.truncated:
        return Decision(Verdict.UNKNOWN, Reason.BODY_TOO_LARGE, f"{label}: body over the size cap matched no outcome")
    return Decision(Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, f"{label}: status {status} matched no outcome")
