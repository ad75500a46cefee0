"""Importers: each database's semantics, proven against simulated sites; hostile files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlecheck
from handlecheck import ConfigError, Verdict
from handlecheck.models import Reason, SourceFormat
from handlecheck.registry import import_document, load_catalogue
from tests.simulator import Simulator

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
FAST = handlecheck.HttpOptions(timeout=2, retries=0)


def pages(routes: dict[str, tuple[int, str] | tuple[int, str, dict[str, str]]]):
    """A site answering fixed (status, body[, headers]) per path; anything else 404."""

    async def handle(request: web.Request) -> web.Response:
        status, body, *extra = routes.get(request.path_qs, routes.get(request.path, (404, "nothing here")))
        headers = extra[0] if extra else None
        return web.Response(status=status, text=body, headers=headers)

    return handle


async def verdicts(tmp_path: Path, document: Any, handles: list[str], **kw: Any) -> dict[tuple[str, str], Any]:
    path = tmp_path / "db.json"
    path.write_text(json.dumps(document))
    results = await _collect(handles, load_catalogue(path, **kw).platforms)
    return {(r.handle, r.platform): r for r in results}


async def _collect(handles: list[str], platforms: Any) -> list[handlecheck.Result]:
    return [r async for r in handlecheck.check(handles, platforms=platforms, options=FAST)]


# --- Sherlock --------------------------------------------------------------------------


async def test_sherlock_semantics(sim: Simulator, tmp_path: Path):
    site = await sim.site(
        pages(
            {
                "/msg/alice": (200, "<h1>alice</h1>"),
                "/msg/ghost": (200, "Sorry, nobody goes by that name."),
                "/msg/odd": (404, "plain 404"),
                "/code/alice": (200, "ok"),
                "/code/gone": (410, "gone"),
                "/code/walled": (403, "forbidden"),
                "/redir/alice": (200, "profile"),
                "/redir/ghost": (302, "", {"Location": "/home"}),
                "/redir/walled": (302, "", {"Location": "/login?next=/redir/walled"}),
            }
        )
    )
    base = site.base
    document = {
        "$schema": "data.schema.json",
        "Messages": {
            "errorType": "message",
            "errorMsg": ["nobody goes by that name", "User not found"],
            "url": f"{base}/msg/{{}}",
            "urlMain": base,
            "username_claimed": "alice",
        },
        "Codes": {"errorType": "status_code", "errorCode": 410, "url": f"{base}/code/{{}}", "urlMain": base,
                  "username_claimed": "alice"},
        "Redirects": {"errorType": ["response_url"], "url": f"{base}/redir/{{}}", "urlMain": base,
                      "username_claimed": "alice"},
        "Adult": {"errorType": "status_code", "isNSFW": True, "url": f"{base}/x/{{}}", "urlMain": base,
                  "username_claimed": "a"},
    }  # fmt: skip
    got = await verdicts(tmp_path, document, ["alice", "ghost", "odd", "gone", "walled"])
    assert got["alice", "messages"].verdict is Verdict.TAKEN
    assert got["ghost", "messages"].verdict is Verdict.AVAILABLE
    assert got["odd", "messages"].verdict is Verdict.UNKNOWN, "Sherlock: no message and not 2xx is unknown"
    assert got["alice", "codes"].verdict is Verdict.TAKEN
    assert got["gone", "codes"].verdict is Verdict.AVAILABLE
    assert (got["walled", "codes"].verdict, got["walled", "codes"].reason) == (Verdict.UNKNOWN, Reason.BLOCKED)
    assert got["alice", "redirects"].verdict is Verdict.TAKEN
    assert got["ghost", "redirects"].verdict is Verdict.AVAILABLE, "a redirect is not followed, and means missing"
    walled = got["walled", "redirects"]
    assert (walled.verdict, walled.reason) == (Verdict.AVAILABLE, None), "the rule names redirects: it decides"
    assert not any(p == "adult" for _, p in got)
    with_nsfw = await verdicts(tmp_path, document, ["alice"], nsfw=True)
    assert ("alice", "adult") in with_nsfw


async def test_sherlock_message_entry_reads_no_absence_from_an_empty_page(sim: Simulator, tmp_path: Path):
    site = await sim.site(pages({"/msg/alice": (200, "<h1>alice</h1>"), "/msg/blank": (200, "")}))
    document = {
        "Messages": {
            "errorType": "message",
            "errorMsg": "User not found",
            "url": f"{site.base}/msg/{{}}",
            "urlMain": site.base,
            "username_claimed": "alice",
        }
    }
    got = await verdicts(tmp_path, document, ["alice", "blank"])
    assert got["alice", "messages"].verdict is Verdict.TAKEN
    blank = got["blank", "messages"]
    assert (blank.verdict, blank.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE), "an empty 200 is not taken"
    assert "empty body: the absence of 'User not found' proves nothing" in blank.evidence


async def test_sherlock_probe_method_payload_headers_and_rule(sim: Simulator, tmp_path: Path):
    seen: list[dict[str, Any]] = []

    async def graphql(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append({"method": request.method, "body": body, "key": request.headers.get("X-Key")})
        found = body["variables"]["name"] == "alice"
        return web.json_response({"data": {"User": {"id": 1}}}, status=200 if found else 404)

    site = await sim.site(graphql)
    document = {
        "Anilike": {
            "errorType": "status_code",
            "regexCheck": "[A-Za-z0-9]{2,20}",
            "request_method": "POST",
            "request_payload": {"query": "query($name:String){User(name:$name){id}}", "variables": {"name": "{}"}},
            "headers": {"X-Key": "k1"},
            "url": "https://anilike.test/user/{}/",
            "urlProbe": f"{site.base}/graphql",
            "urlMain": "https://anilike.test/",
            "username_claimed": "alice",
        }
    }
    got = await verdicts(tmp_path, document, ["alice", "nobody", "ab-cd", "a-b"])
    assert got["alice", "anilike"].verdict is Verdict.TAKEN
    assert got["alice", "anilike"].url == "https://anilike.test/user/alice/"
    assert got["nobody", "anilike"].verdict is Verdict.AVAILABLE
    # An unanchored rule keeps re.search semantics: "ab-cd" holds a valid run, "a-b" does not.
    assert got["ab-cd", "anilike"].verdict is Verdict.AVAILABLE
    assert got["a-b", "anilike"].verdict is Verdict.INVALID
    assert seen[0]["method"] == "POST" and seen[0]["key"] == "k1"
    assert seen[0]["body"]["query"] == "query($name:String){User(name:$name){id}}"
    assert {s["body"]["variables"]["name"] for s in seen} == {"alice", "nobody", "ab-cd"}
    assert len(seen) == 3, "no request for the invalid name"


# --- WhatsMyName -----------------------------------------------------------------------


async def test_whatsmyname_semantics(sim: Simulator, tmp_path: Path):
    site = await sim.site(
        pages(
            {
                "/u/alice": (200, '<div class="profile-card">alice</div>'),
                "/u/ghost": (404, "This user does not exist"),
                "/u/half": (200, "no marker here"),
                "/u/moved": (302, "", {"Location": "/elsewhere"}),
                "/u/ab": (200, '<div class="profile-card">ab</div>'),
            }
        )
    )
    document = {
        "license": ["CC BY-SA 4.0"],
        "categories": ["social"],
        "sites": [
            {"name": "Cards", "uri_check": f"{site.base}/u/{{account}}", "uri_pretty": "https://cards.test/@{account}",
             "e_code": 200, "e_string": "profile-card", "m_code": 404, "m_string": "does not exist",
             "known": ["alice"], "cat": "social", "strip_bad_char": "."},
            {"name": "Moves", "uri_check": f"{site.base}/u/{{account}}", "e_code": 200, "e_string": "profile-card",
             "m_code": 302, "m_string": "", "known": ["alice"], "cat": "Hobby Stuff"},
            {"name": "Old", "uri_check": f"{site.base}/u/{{account}}", "e_code": 200, "e_string": "x", "m_code": 404,
             "m_string": "y", "known": ["a"], "cat": "social", "valid": False},
            {"name": "Spicy", "uri_check": f"{site.base}/u/{{account}}", "e_code": 200, "e_string": "x",
             "m_code": 404, "m_string": "y", "known": ["a"], "cat": "xx NSFW xx"},
        ],
    }  # fmt: skip
    got = await verdicts(tmp_path, document, ["alice", "ghost", "half", "moved", "a.b"])
    assert got["alice", "cards"].verdict is Verdict.TAKEN
    assert got["alice", "cards"].url == "https://cards.test/@alice"
    assert got["ghost", "cards"].verdict is Verdict.AVAILABLE
    assert got["half", "cards"].verdict is Verdict.UNKNOWN, "e_code without e_string is not taken"
    assert got["moved", "moves"].verdict is Verdict.AVAILABLE, "302 is seen: redirects are not followed"
    assert got["a.b", "cards"].verdict is Verdict.TAKEN, "strip_bad_char turns a.b into ab"
    catalogue_path = tmp_path / "wmn.json"
    catalogue_path.write_text(json.dumps(document))
    catalogue = load_catalogue(catalogue_path)
    assert catalogue.format is SourceFormat.WHATSMYNAME
    assert {s.name: s.reason for s in catalogue.skipped} == {
        "Old": "marked invalid in WhatsMyName",
        "Spicy": "NSFW (include with --nsfw)",
    }
    moves = next(p for p in catalogue.platforms if p.id == "moves")
    assert "hobby-stuff" in moves.tags and moves.known.taken == ("alice",)


async def test_whatsmyname_post_body(sim: Simulator, tmp_path: Path):
    async def api(request: web.Request) -> web.Response:
        body = await request.json()
        found = body["query"] == "user alice"
        return web.json_response({"id": 7} if found else {"error": "Not Found"}, status=200 if found else 404)

    site = await sim.site(api)
    document = {
        "sites": [
            {"name": "Graph", "uri_check": f"{site.base}/graphql", "uri_pretty": "https://graph.test/{account}",
             "post_body": '{"query": "user {account}"}', "headers": {"Content-Type": "application/json"},
             "e_code": 200, "e_string": '"id":', "m_code": 404, "m_string": "Not Found", "known": ["alice"],
             "cat": "social"},
        ]
    }  # fmt: skip
    got = await verdicts(tmp_path, document, ["alice", "nobody"])
    assert got["alice", "graph"].verdict is Verdict.TAKEN
    assert got["nobody", "graph"].verdict is Verdict.AVAILABLE


# --- Maigret ---------------------------------------------------------------------------


async def test_maigret_semantics(sim: Simulator, tmp_path: Path):
    site = await sim.site(
        pages(
            {
                "/forum/u/alice/summary": (200, '<meta name="generator" content="Discourse 3"> alice'),
                "/forum/u/ghost/summary": (404, "Oops! That page doesn't exist or is private."),
                "/forum/u/limited/summary": (200, "Too many requests, slow down"),
                "/members/alice": (200, "member page"),
                "/members/ghost": (404, "no"),
                "/members/denied": (403, "no"),
                "/r/alice": (200, "profile of alice"),
                "/r/ghost": (302, "", {"Location": "/signin?return_to=/r/ghost"}),
            }
        )
    )
    document = {
        "engines": {
            "Discourse": {
                "name": "Discourse",
                "site": {
                    "presenseStrs": ['<meta name="generator" content="Discourse'],
                    "absenceStrs": ["Oops! That page doesn't exist or is private."],
                    "checkType": "message",
                    "url": "{urlMain}/u/{username}/summary",
                },
            }
        },
        "sites": {
            "SomeForum": {"engine": "Discourse", "urlMain": f"{site.base}/forum", "usernameClaimed": "alice",
                          "usernameUnclaimed": "ghost", "tags": ["forum", "US"],
                          "errors": {"Too many requests": "Rate limit"}},
            "Members": {"checkType": "status_code", "url": f"{site.base}/members/{{username}}",
                        "usernameClaimed": "alice", "usernameUnclaimed": "ghost", "tags": ["social"]},
            "Redirects": {"checkType": "response_url", "url": f"{site.base}/r/{{username}}",
                          "usernameClaimed": "alice", "usernameUnclaimed": "ghost"},
            "Gone": {"disabled": True, "checkType": "status_code", "url": f"{site.base}/x/{{username}}",
                     "usernameClaimed": "a", "usernameUnclaimed": "b"},
            "ById": {"type": "steam_id", "checkType": "status_code", "url": f"{site.base}/x/{{username}}",
                     "usernameClaimed": "1", "usernameUnclaimed": "2"},
        },
    }  # fmt: skip
    got = await verdicts(tmp_path, document, ["alice", "ghost", "limited", "denied"])
    assert got["alice", "someforum"].verdict is Verdict.TAKEN
    assert got["ghost", "someforum"].verdict is Verdict.AVAILABLE
    limited = got["limited", "someforum"]
    assert (limited.verdict, limited.reason) == (Verdict.UNKNOWN, Reason.RATE_LIMITED), "an `errors` marker"
    assert got["alice", "members"].verdict is Verdict.TAKEN
    assert got["ghost", "members"].verdict is Verdict.AVAILABLE
    assert (got["denied", "members"].verdict, got["denied", "members"].reason) == (Verdict.UNKNOWN, Reason.BLOCKED)
    assert got["alice", "redirects"].verdict is Verdict.TAKEN
    walled = got["ghost", "redirects"]
    assert (walled.verdict, walled.reason) == (Verdict.AVAILABLE, None), "a response_url rule names the redirect"
    path = tmp_path / "maigret.json"
    path.write_text(json.dumps(document))
    catalogue = load_catalogue(path)
    assert {s.name for s in catalogue.skipped} == {"Gone", "ById"}
    forum = next(p for p in catalogue.platforms if p.id == "someforum")
    assert forum.known.taken == ("alice",) and forum.known.available == ("ghost",) and "us" in forum.tags


# --- detection and hostile input -------------------------------------------------------


def test_format_is_detected_from_content_not_name(tmp_path: Path):
    path = tmp_path / "whatever.txt"
    path.write_text(json.dumps({"Site": {"errorType": "status_code", "url": "https://s.test/{}", "urlMain": "x"}}))
    assert load_catalogue(path).format is SourceFormat.SHERLOCK
    path.write_text(json.dumps({"something": "else"}))
    with pytest.raises(ConfigError, match="not a platform file"):
        load_catalogue(path)


def test_truncated_file_is_one_clear_error(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text('{"GitHub": {"errorType": "status_code", "url": "https://github.com/{}"')
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert "data.json" in str(caught.value) and "\n" not in str(caught.value)


HOSTILE_SHERLOCK = {
    "WrongTypes": {"errorType": 5, "url": ["x"]},
    "NotAnObject": "hello",
    "HugeString": {"errorType": "message", "errorMsg": "x" * (10 * 2**20), "url": "https://h.test/{}"},
    "BadScheme": {"errorType": "status_code", "url": "javascript:alert(1)//{}"},
    "HostEscape": {"errorType": "status_code", "url": "https://{}@evil.test/"},
    "BadRegex": {"errorType": "status_code", "url": "https://r.test/{}", "regexCheck": "(unclosed"},
    "Backtracks": {"errorType": "status_code", "url": "https://b.test/{}", "regexCheck": "^(a+)+$"},
    "UnknownType": {"errorType": "telepathy", "url": "https://t.test/{}"},
    "Good": {"errorType": "status_code", "url": "https://good.test/{}", "username_claimed": "x"},
}


def test_hostile_entries_are_skipped_with_reasons():
    conversion = import_document(HOSTILE_SHERLOCK, source="hostile.json")
    kept = {p.id for p in conversion.catalogue.platforms}
    reasons = {s.name: s.reason for s in conversion.catalogue.skipped}
    assert kept == {"good", "backtracks"}
    assert set(reasons) == set(HOSTILE_SHERLOCK) - {"Good", "Backtracks"}
    assert "errorType is not a string" in reasons["WrongTypes"]
    assert "longer than" in reasons["HugeString"]
    assert "bad regular expression" in reasons["BadRegex"]
    assert all(reason and "\n" not in reason for reason in reasons.values())


async def test_backtracking_rule_never_hangs():
    platforms = import_document(HOSTILE_SHERLOCK, source="hostile.json").catalogue.platforms
    evil = [p for p in platforms if p.id == "backtracks"]
    results = await _collect(["a" * 40 + "!"], evil)
    assert results[0].verdict is Verdict.INVALID, results[0]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)
SHAPES = st.one_of(
    st.dictionaries(st.text(max_size=10), st.dictionaries(st.sampled_from(
        ["errorType", "errorMsg", "errorCode", "url", "urlProbe", "regexCheck", "request_method",
         "request_payload", "headers", "isNSFW", "username_claimed"]), JSON_VALUES, max_size=8), max_size=4),
    st.fixed_dictionaries({"sites": st.lists(st.dictionaries(st.sampled_from(
        ["name", "uri_check", "uri_pretty", "post_body", "e_code", "e_string", "m_code", "m_string", "known", "cat",
         "headers", "strip_bad_char", "valid"]), JSON_VALUES, max_size=10), max_size=4)}),
    st.fixed_dictionaries({"engines": JSON_VALUES, "sites": st.dictionaries(st.text(max_size=10), st.dictionaries(
        st.sampled_from(["url", "urlMain", "urlProbe", "checkType", "presenseStrs", "absenceStrs", "errors", "engine",
                         "regexCheck", "requestMethod", "requestPayload", "headers", "disabled", "tags", "type"]),
        JSON_VALUES, max_size=8), max_size=4)}),
)  # fmt: skip


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(SHAPES)
def test_arbitrary_documents_never_crash_an_importer(document: Any):
    try:
        conversion = import_document(document, source="fuzz.json")
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    assert all(s.reason for s in conversion.catalogue.skipped)


# --- the full community databases ------------------------------------------------------


def _enabled(name: str, document: Any) -> int:
    if name == "sherlock":
        return sum(1 for k, v in document.items() if not k.startswith("$") and not v.get("isNSFW"))
    if name == "whatsmyname":
        return sum(1 for s in document["sites"] if s.get("valid", True) and "nsfw" not in s.get("cat", "").lower())
    return sum(1 for s in document["sites"].values() if not s.get("disabled"))


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference is not present on this machine")
@pytest.mark.parametrize(
    "name, file", [("sherlock", "sherlock/data.json"), ("whatsmyname", "whatsmyname/wmn-data.json"),
                   ("maigret", "maigret/data.json")]
)  # fmt: skip
def test_full_reference_databases_import(name: str, file: str):
    document = json.loads((REFERENCE / file).read_text())
    catalogue = import_document(document, source=file).catalogue
    enabled = _enabled(name, document)
    assert len(catalogue.platforms) >= 0.95 * enabled, (len(catalogue.platforms), enabled)
    assert all(s.reason for s in catalogue.skipped), "every entry left out says why"
