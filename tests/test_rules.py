"""Pure rules: matchers, outcome order, guards, templates and extractors, table-driven."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from handlecheck.models import (
    Check,
    Condition,
    Extractor,
    ExtractorType,
    HttpResponse,
    JsonOp,
    Matcher,
    MatcherType,
    Outcome,
    Part,
    Reason,
    RequestSpec,
    Verdict,
)
from handlecheck.rules import (
    MissingVariable,
    ResponseView,
    UnsafeValue,
    build_request,
    decide,
    extract,
    interpolate,
    matcher_holds,
    render_url,
)
from handlecheck.rules.patterns import PatternTimeout


def response(
    status: int = 200,
    body: str | bytes = "",
    *,
    headers: tuple[tuple[str, str], ...] = (),
    url: str = "https://example.test/acme",
    truncated: bool = False,
    redirected: bool = False,
    cookies: tuple[tuple[str, str], ...] = (),
) -> HttpResponse:
    raw = body.encode() if isinstance(body, str) else body
    return HttpResponse(status, url, headers, raw, truncated, cookies, redirected)


VARS = {"handle": "acme"}


def word(*words: str, **options: Any) -> Matcher:
    return Matcher(MatcherType.WORD, words=words, **options)


MATCHER_CASES = [
    ("status in list", Matcher(MatcherType.STATUS, statuses=((200, 200), (301, 301))), response(301), True),
    ("status range", Matcher(MatcherType.STATUS, statuses=((200, 299),)), response(204), True),
    ("status not in list", Matcher(MatcherType.STATUS, statuses=((200, 200),)), response(404), False),
    ("negative status", Matcher(MatcherType.STATUS, statuses=((404, 404),), negative=True), response(200), True),
    ("word present", word("profile"), response(body="a profile page"), True),
    ("word absent", word("profile"), response(body="nothing"), False),
    ("word uses handle", word("@{{handle}}"), response(body="hi @acme"), True),
    ("word is case sensitive", word("Profile"), response(body="profile"), False),
    ("word case-insensitive", word("Profile", case_insensitive=True), response(body="PROFILE"), True),
    ("words or", word("x", "profile"), response(body="profile"), True),
    ("words and", word("x", "profile", condition=Condition.AND), response(body="profile"), False),
    ("negative word", word("not found", negative=True), response(body="welcome"), True),
    (
        "negative word on a truncated body proves nothing",
        word("not found", negative=True),
        response(body="welcome", truncated=True),
        False,
    ),
    ("positive word on a truncated body still counts", word("welcome"), response(body="welcome", truncated=True), True),
    ("word in header part", word("nginx", part=Part.HEADER), response(headers=(("Server", "nginx"),)), True),
    ("regex", Matcher(MatcherType.REGEX, regexes=(r"id=\d+",)), response(body="id=42"), True),
    (
        "regex escapes the handle",
        Matcher(MatcherType.REGEX, regexes=(r"^{{handle}}$",)),
        response(body="acme"),
        True,
    ),
    (
        "regex with handle is literal",
        Matcher(MatcherType.REGEX, regexes=(r"^{{handle}}$",)),
        response(body="acmX"),
        False,
    ),
    (
        "json exists",
        Matcher(MatcherType.JSON, path="user.id", json_op=JsonOp.EXISTS, json_values=(True,)),
        response(body='{"user": {"id": 7}}'),
        True,
    ),
    (
        "json exists: null is absent",
        Matcher(MatcherType.JSON, path="user", json_op=JsonOp.EXISTS, json_values=(True,)),
        response(body='{"user": null}'),
        False,
    ),
    (
        "json exists false",
        Matcher(MatcherType.JSON, path="user", json_op=JsonOp.EXISTS, json_values=(False,)),
        response(body="{}"),
        True,
    ),
    (
        "json equals",
        Matcher(MatcherType.JSON, path="taken", json_op=JsonOp.IN, json_values=(True,)),
        response(body='{"taken": true}'),
        True,
    ),
    (
        "json true is not 1",
        Matcher(MatcherType.JSON, path="taken", json_op=JsonOp.IN, json_values=(True,)),
        response(body='{"taken": 1}'),
        False,
    ),
    (
        "json in list",
        Matcher(MatcherType.JSON, path="items.0.state", json_op=JsonOp.IN, json_values=("a", "b")),
        response(body='{"items": [{"state": "b"}]}'),
        True,
    ),
    (
        "json on invalid json never holds",
        Matcher(MatcherType.JSON, path="x", json_op=JsonOp.EXISTS, json_values=(False,), negative=True),
        response(body="{oops"),
        False,
    ),
    ("header present", Matcher(MatcherType.HEADER, header="x-user"), response(headers=(("X-User", "1"),)), True),
    (
        "header value",
        Matcher(MatcherType.HEADER, header="location", words=("/login",)),
        response(302, headers=(("Location", "/login?x"),)),
        True,
    ),
    ("header missing", Matcher(MatcherType.HEADER, header="x-user"), response(), False),
    ("url", Matcher(MatcherType.URL, words=("/404",)), response(url="https://example.test/404"), True),
]


@pytest.mark.parametrize(("name", "matcher", "resp", "expected"), MATCHER_CASES, ids=[c[0] for c in MATCHER_CASES])
def test_matcher(name: str, matcher: Matcher, resp: HttpResponse, expected: bool) -> None:
    assert matcher_holds(matcher, ResponseView(resp), VARS) is expected


RUSSIAN_MISSING = "Пользователь не найден"


@pytest.mark.parametrize(
    ("name", "raw", "headers"),
    [
        (
            "meta charset only",
            f'<html><head><meta charset="windows-1251"></head>{RUSSIAN_MISSING}'.encode("cp1251"),
            (),
        ),
        (
            "http-equiv meta only",
            f'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>{RUSSIAN_MISSING}'.encode(
                "koi8-r"
            ),
            (("Content-Type", "text/html"),),
        ),
        ("header wins", RUSSIAN_MISSING.encode("cp1251"), (("Content-Type", "text/html; charset=windows-1251"),)),
        ("utf-16 with a byte-order mark", "\ufeff".encode("utf-16-le") + RUSSIAN_MISSING.encode("utf-16-le"), ()),
        ("utf-8, nothing declared", RUSSIAN_MISSING.encode(), ()),
    ],
)
def test_a_page_is_read_in_the_encoding_a_browser_would_pick(
    name: str, raw: bytes, headers: tuple[tuple[str, str], ...]
) -> None:
    assert matcher_holds(word(RUSSIAN_MISSING), ResponseView(response(body=raw, headers=headers)), VARS), name


def test_a_json_body_behind_a_byte_order_mark_parses() -> None:
    view = ResponseView(response(body=b"\xef\xbb\xbf" + json.dumps({"exists": True}).encode()))
    assert view.document == {"exists": True}
    assert matcher_holds(Matcher(MatcherType.JSON, path="exists", json_op=JsonOp.IN, json_values=(True,)), view, VARS)


def test_backtracking_regex_gives_up_and_says_so() -> None:
    matcher = Matcher(MatcherType.REGEX, regexes=(r"(b+)+$",))
    with pytest.raises(PatternTimeout, match=r"pattern '\(b\+\)\+\$' ran out of time"):
        matcher_holds(matcher, ResponseView(response(body="b" * 50_000 + "c")), VARS)


TAKEN_200 = Outcome(Verdict.TAKEN, (Matcher(MatcherType.STATUS, statuses=((200, 200),)),))
FREE_404 = Outcome(Verdict.AVAILABLE, (Matcher(MatcherType.STATUS, statuses=((404, 404),)),))
CHECK = Check(RequestSpec("https://example.test/{{handle}}"), (TAKEN_200, FREE_404))

DECIDE_CASES = [
    ("taken", response(200, "<h1>acme</h1>"), Verdict.TAKEN, None),
    ("available", response(404), Verdict.AVAILABLE, None),
    ("429 is rate limited", response(429), Verdict.UNKNOWN, Reason.RATE_LIMITED),
    ("5xx is server error", response(502), Verdict.UNKNOWN, Reason.SERVER_ERROR),
    ("cloudflare title", response(200, "<title>Just a moment...</title>"), Verdict.UNKNOWN, Reason.CHALLENGE),
    ("cloudflare header", response(403, headers=(("cf-mitigated", "challenge"),)), Verdict.UNKNOWN, Reason.CHALLENGE),
    ("ddos-guard", response(200, "<title>DDoS-Guard</title>"), Verdict.UNKNOWN, Reason.CHALLENGE),
    ("perimeterx", response(200, '<div id="px-captcha"></div>'), Verdict.UNKNOWN, Reason.CHALLENGE),
    ("recaptcha", response(200, '<div class="g-recaptcha"></div>'), Verdict.UNKNOWN, Reason.CHALLENGE),
    (
        "datadome",
        response(403, '<script src="https://geo.captcha-delivery.com/x"></script>'),
        Verdict.UNKNOWN,
        Reason.CHALLENGE,
    ),
    (
        "followed login redirect",
        response(200, url="https://example.test/accounts/login/?next=/acme", redirected=True),
        Verdict.UNKNOWN,
        Reason.LOGIN_WALL,
    ),
    (
        "unfollowed login redirect",
        response(302, headers=(("Location", "https://example.test/login"),)),
        Verdict.UNKNOWN,
        Reason.LOGIN_WALL,
    ),
    ("403 with no outcome", response(403), Verdict.UNKNOWN, Reason.BLOCKED),
    ("a non-standard status is no server error", response(999), Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE),
    ("401 with no outcome", response(401), Verdict.UNKNOWN, Reason.LOGIN_WALL),
    ("truncated with no outcome", response(206, "x", truncated=True), Verdict.UNKNOWN, Reason.BODY_TOO_LARGE),
    ("nothing matches", response(418), Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE),
]


@pytest.mark.parametrize(("name", "resp", "verdict", "reason"), DECIDE_CASES, ids=[c[0] for c in DECIDE_CASES])
def test_decide(name: str, resp: HttpResponse, verdict: Verdict, reason: Reason | None) -> None:
    decision = decide(CHECK, resp, VARS, "check 1")
    assert (decision.verdict, decision.reason) == (verdict, reason)
    assert decision.evidence.startswith("check 1: ")


WIDGET_PAGE = '<main><h1>@acme</h1><form><div class="g-recaptcha" data-sitekey="x"></div></form></main>'
STATUS_AND_NAME = Outcome(Verdict.TAKEN, (Matcher(MatcherType.STATUS, statuses=((200, 200),)), word("@{{handle}}")),
                          Condition.AND)  # fmt: skip
MARKER_MISSING = Outcome(Verdict.TAKEN, (word("Not Found", negative=True),))
WIDGET_CASES = [
    ("the name read in the page decides", STATUS_AND_NAME, WIDGET_PAGE, Verdict.TAKEN, None),
    ("a soft-404 wording read in the page decides", Outcome(Verdict.AVAILABLE, (word("no such user"),)),
     '<p>no such user</p><div class="h-captcha"></div>', Verdict.AVAILABLE, None),
    ("a status alone does not", TAKEN_200, WIDGET_PAGE, Verdict.UNKNOWN, Reason.CHALLENGE),
    ("an absence does not", MARKER_MISSING, WIDGET_PAGE, Verdict.UNKNOWN, Reason.CHALLENGE),
    ("an interstitial marker wins over any rule", STATUS_AND_NAME, '<h1>@acme</h1><div id="px-captcha"></div>',
     Verdict.UNKNOWN, Reason.CHALLENGE),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "outcome", "body", "verdict", "reason"), WIDGET_CASES, ids=[c[0] for c in WIDGET_CASES]
)
def test_a_page_with_a_captcha_widget_is_judged_by_what_the_rule_read_in_it(
    name: str, outcome: Outcome, body: str, verdict: Verdict, reason: Reason | None
) -> None:
    """A contact or sign-in form with a captcha sits on many an ordinary profile page; a challenge
    page carries the same widget but not the account's content."""
    decision = decide(Check(RequestSpec("https://example.test/{{handle}}"), (outcome,)), response(200, body), VARS, "c")
    assert (decision.verdict, decision.reason) == (verdict, reason), decision.evidence


def test_a_url_test_names_a_sign_in_redirect_only_by_its_target_not_by_its_query() -> None:
    """`next=/acme/` repeats the profile's path: a rule's "still on the profile" test must not
    read it as the profile, while its "sent to sign in" test names the redirect."""
    on_profile = Outcome(
        Verdict.TAKEN,
        (Matcher(MatcherType.STATUS, statuses=((200, 200),)), Matcher(MatcherType.URL, regexes=("/{{handle}}/$",))),
        Condition.AND,
    )
    to_sign_in = Outcome(Verdict.AVAILABLE, (Matcher(MatcherType.URL, words=("/accounts/login/",)),))
    bounced = response(
        200, "<form>log in</form>", url="https://example.test/accounts/login/?next=/acme/", redirected=True
    )
    spec = RequestSpec("https://example.test/{{handle}}/")
    assert decide(Check(spec, (on_profile, to_sign_in)), bounced, VARS, "c").verdict is Verdict.AVAILABLE
    alone = decide(Check(spec, (on_profile,)), bounced, VARS, "c")
    assert (alone.verdict, alone.reason) == (Verdict.UNKNOWN, Reason.LOGIN_WALL)
    profile = response(200, "<h1>acme</h1>", url="https://example.test/acme/")
    assert decide(Check(spec, (on_profile, to_sign_in)), profile, VARS, "c").verdict is Verdict.TAKEN


def test_the_guards_do_not_mistake_the_handle_for_a_challenge_or_a_sign_in_page() -> None:
    """Check Point's `/checkpoint` answered with its canonical `/checkpoint/`, and hCaptcha's own
    profile titled with its name, are the accounts; a real sign-in redirect stays a wall."""
    spec = RequestSpec("https://example.test/{{handle}}")
    checkpoint = {"handle": "checkpoint"}
    slash = response(200, "<h1>checkpoint</h1>", url="https://example.test/checkpoint/", redirected=True)
    assert decide(Check(spec, (TAKEN_200,)), slash, checkpoint, "c").verdict is Verdict.TAKEN
    wall = response(200, "<form/>", url="https://example.test/checkpoint/?next=/acme", redirected=True)
    assert decide(Check(spec, (TAKEN_200,)), wall, VARS, "c").reason is Reason.LOGIN_WALL
    titled = response(200, "<title>hcaptcha (@hcaptcha) | Site</title><h1>hcaptcha</h1>")
    assert decide(Check(spec, (TAKEN_200,)), titled, {"handle": "hcaptcha"}, "c").verdict is Verdict.TAKEN
    assert decide(Check(spec, (TAKEN_200,)), titled, VARS, "c").reason is Reason.CHALLENGE
    for handle, title in [("moment", "Just a moment..."), ("a", "Just a moment..."), ("check", "Security check")]:
        interstitial = response(200, f"<title>{title}</title><p>Checking your connection</p>")
        wall = decide(Check(spec, (TAKEN_200,)), interstitial, {"handle": handle}, "c")
        assert wall.reason is Reason.CHALLENGE, f"{handle}: a phrase reaching beyond the handle is still a challenge"


def test_first_outcome_that_holds_wins_and_unknown_outcome_keeps_its_reason() -> None:
    wall = Outcome(Verdict.UNKNOWN, (word("Log in to see"),), reason=Reason.LOGIN_WALL)
    check = Check(RequestSpec("https://example.test/{{handle}}"), (wall, TAKEN_200))
    decision = decide(check, response(200, "Log in to see this profile"), VARS, "c")
    assert (decision.verdict, decision.reason) == (Verdict.UNKNOWN, Reason.LOGIN_WALL)


def test_and_condition_needs_every_matcher() -> None:
    both = Outcome(Verdict.TAKEN, (Matcher(MatcherType.STATUS, statuses=((200, 200),)), word("@acme")), Condition.AND)
    check = Check(RequestSpec("https://example.test/x"), (both,))
    assert decide(check, response(200, "@acme"), VARS, "c").verdict is Verdict.TAKEN
    assert decide(check, response(200, "nobody"), VARS, "c").verdict is Verdict.UNKNOWN


def test_evidence_names_the_words_as_tested_with_the_handle_filled_in() -> None:
    words = Check(RequestSpec("https://example.test/x"), (Outcome(Verdict.TAKEN, (word("@{{handle}}"),)),))
    assert decide(words, response(200, "<h1>@acme</h1>"), VARS, "c").evidence == "c: body has '@acme'"
    marker = Matcher(MatcherType.REGEX, regexes=("^@{{handle}}$",), part=Part.BODY)
    regex = Check(RequestSpec("https://example.test/x"), (Outcome(Verdict.TAKEN, (marker,)),))
    held = decide(regex, response(200, "@a.b"), {"handle": "a.b"}, "c")
    assert (held.verdict, held.evidence) == (Verdict.TAKEN, r"c: body has /^@a\.b$/")


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ("https://x.test/{{handle}}", "a b/c?d#e", "https://x.test/a%20b%2Fc%3Fd%23e"),
        ("https://x.test/u?name={{handle}}&x=1", "a&b=c", "https://x.test/u?name=a%26b%3Dc&x=1"),
        ("https://{{handle}}.x.test/", "Acme-1", "https://acme-1.x.test/"),
    ],
)
def test_render_url_quotes_values(template: str, value: str, expected: str) -> None:
    assert render_url(template, {"handle": value}) == expected


@pytest.mark.parametrize("value", ["evil.test/", "a@evil.test", "evil.test#", "a b", "x:80", ""])
def test_value_cannot_change_the_host(value: str) -> None:
    with pytest.raises(UnsafeValue):
        render_url("https://{{handle}}.x.test/", {"handle": value})


@pytest.mark.parametrize("template", ["ftp://x.test/{{handle}}", "javascript:alert(1)", "file:///etc/passwd"])
def test_only_http_urls(template: str) -> None:
    with pytest.raises(UnsafeValue):
        render_url(template, VARS)


HOST_TEMPLATES = [
    "https://x.test/{{handle}}",
    "https://x.test/users/{{handle}}/about?tab={{handle}}#{{handle}}",
    "http://x.test:8080/{{handle}}",
    "https://{{handle}}.x.test/",
    "https://x.test?q={{handle}}",
]


@given(st.sampled_from(HOST_TEMPLATES), st.text(max_size=60))
def test_no_value_can_move_a_request_to_another_host(template: str, value: str) -> None:
    try:
        url = render_url(template, {"handle": value})
    except UnsafeValue:
        return
    host = URL(url, encoded=True).host  # the host aiohttp will connect to
    if template.startswith("https://{{handle}}."):
        assert host is not None and host.endswith(".x.test") and host.count(".") == 2, url
    else:
        assert host == "x.test", url
    assert URL(url, encoded=True).scheme == template.partition(":")[0]


@given(st.text(max_size=60), st.text(max_size=60))
def test_no_value_can_break_a_header_line(handle: str, token: str) -> None:
    spec = RequestSpec("https://x.test/", headers=(("X-Token", "{{tok}}"), ("X-User", "{{handle}}")))
    try:
        request = build_request(spec, {"handle": handle, "tok": token})
    except UnsafeValue:
        assert any(c in handle + token for c in "\r\n\x00")
        return
    assert not any(c in name + value for name, value in request.headers for c in "\r\n\x00")


def test_a_request_carrying_a_secret_follows_no_redirect() -> None:
    spec = RequestSpec("https://x.test/{{handle}}", headers=(("Authorization", "Bearer {{bearer}}"),))
    request = build_request(spec, {"handle": "acme"}, {"bearer": "s3"})
    assert request.redirects is False and ("Authorization", "Bearer s3") in request.headers
    plain = build_request(RequestSpec("https://x.test/{{handle}}"), {"handle": "acme"}, {"bearer": "s3"})
    assert plain.redirects is True, "a request that does not use the secret behaves as before"


def test_missing_variable() -> None:
    with pytest.raises(MissingVariable) as caught:
        interpolate("{{csrf}}", VARS)
    assert caught.value.name == "csrf"


def test_build_request_bodies_and_headers() -> None:
    spec = RequestSpec(
        "https://x.test/check", method="POST", headers=(("X-Token", "{{tok}}"),), json_body={"username": "{{handle}}"}
    )
    request = build_request(spec, {"handle": 'ac"me', "tok": "t1"})
    assert request.body is not None and json.loads(request.body) == {"username": 'ac"me'}
    assert ("Content-Type", "application/json") in request.headers and ("X-Token", "t1") in request.headers
    form = build_request(RequestSpec("https://x.test/", method="POST", form=(("u", "{{handle}}"),)), {"handle": "a&b"})
    assert form.body == b"u=a%26b"


def test_header_value_cannot_carry_a_line_break() -> None:
    spec = RequestSpec("https://x.test/", headers=(("X-Token", "{{tok}}"),))
    with pytest.raises(UnsafeValue):
        build_request(spec, {"handle": "a", "tok": "t\r\nX-Evil: 1"})


def test_extractors() -> None:
    resp = response(
        200,
        '{"data": {"token": "abc"}}',
        headers=(("X-Csrf", "h1"),),
        cookies=(("csrftoken", "c1"),),
    )
    extractors = (
        Extractor(ExtractorType.JSON, "tok", path="data.token"),
        Extractor(ExtractorType.HEADER, "hdr", key="x-csrf"),
        Extractor(ExtractorType.COOKIE, "ck", key="csrftoken"),
        Extractor(ExtractorType.REGEX, "rx", regex=r'"token": "(\w+)"'),
    )
    assert extract(extractors, resp) == {"tok": "abc", "hdr": "h1", "ck": "c1", "rx": "abc"}
    with pytest.raises(MissingVariable):
        extract((Extractor(ExtractorType.COOKIE, "ck", key="absent"),), resp)
