"""Hostile input: whatever a file, a database or a command line holds, handlecheck works or
raises its own error with a one-line message; scraped text is harmless in every report format.

Part 1 is property-based (hypothesis): the handle normaliser, the platform-file loader, every
importer, bulk brand lists and the config file, fed arbitrary text and bytes, YAML-like text,
and valid documents mutated at random. Part 2 puts script tags, spreadsheet formulas, Markdown
links and terminal control sequences into every scraped field and reads each output back.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock
from xml.etree import ElementTree

import pytest
import yaml
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlecheck.brands import read_brands
from handlecheck.cli import main
from handlecheck.config import load_config
from handlecheck.domain import (
    Action,
    BestHandle,
    Candidate,
    Classification,
    Depth,
    Finding,
    ScanReport,
    Technique,
    Tier,
    TodoItem,
)
from handlecheck.errors import ConfigError, HandlecheckError, InputError
from handlecheck.models import Case, HandleRule, Platform, Priority, Profile, Reason, Result, Urls, Verdict
from handlecheck.registry import import_document, import_file, load_catalogue, parse_platforms, validate_platforms
from handlecheck.report import results as check_report
from handlecheck.report import scan as scan_report
from handlecheck.report.junit import render_junit
from handlecheck.rules.handles import MAX_HANDLE_LENGTH, canonical, normalise, why_invalid
from handlecheck.summary import summarise
from handlecheck.todo import SECURITY_STEPS
from handlecheck.yamlio import MAX_DEPTH
from tests.conftest import PlatformFile
from tests.simulator import Simulator
from tests.test_importers import JSON_VALUES, SHAPES
from tests.test_registry import GOOD

T = TypeVar("T")
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_one_line(error: BaseException) -> None:
    """The contract of every error handlecheck raises: its own type, one non-empty line."""
    assert isinstance(error, HandlecheckError), f"{type(error).__name__}: {error}"
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message and len(message.splitlines()) == 1, repr(message)


def works_or_one_line(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run `call`; a HandlecheckError must be one line, any other exception fails the test."""
    try:
        return call(*args, **kwargs)
    except HandlecheckError as error:
        assert_one_line(error)
        return None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files the properties write (hypothesis cannot share tmp_path)."""
    return tmp_path_factory.mktemp("hostile")


# --- strategies --------------------------------------------------------------------------

# Characters that have broken parsers, terminals and spreadsheets: controls, line and
# paragraph separators, bidi overrides, zero-width and joiners, a BOM, combining marks,
# NFKC expansions, fullwidth forms.
ODD_CHARS = (
    "\x00", "\x07", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\xa0",
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066",
    "\u2069", "\u3000", "\ufeff", "\u0301", "\u0338", "\ufdfa", "\u2100", "\uff21", "\uff20", "\ufe6b",
    "\U0001f600", "\U000e0041", "@", "/", "%", "..", "\\",
)  # fmt: skip
TRICKY_STRINGS = (
    "", " ", "{{handle}}", "{{ handle }}", "{{token}}", "{{", "}}", "{}", "{account}", "{username}", "{urlMain}",
    "https://", "http://{{handle}}", "https://{{handle}}.x.test/", "https://a.test/{{handle}}\n",
    "https://\n/{{handle}}", "https://u:p@a.test/{{handle}}", "https://{{handle}}@evil.test/", "javascript:alert(1)",
    "file:///etc/passwd", "(unclosed", "[", "(?P<x>a)(?P=y)", "a{99999999999}", "^(a+)+$", "\\", "\\q", "(?<!a+)b",
    "200-299", "299-200", "0-0", "abc-def", "1e999", "-1", "a\nb", "a\r\nX-Injected: 1", "\x00", "\x1b[31m",
    "\x1b]8;;http://evil.example\x07x\x1b]8;;\x07", "\u202e", "\u2028", "taken", "available", "unknown", "status",
    "word", "regex", "json", "header", "url", "GET", "POST", "DELETE", "insensitive", "critical", "message",
    "status_code", "response_url", "x" * 5000,
)  # fmt: skip
HOSTILE_TEXT = st.lists(
    st.one_of(st.text(max_size=8), st.sampled_from(ODD_CHARS), st.sampled_from(TRICKY_STRINGS)), max_size=12
).map("".join)
PLATFORM_WORDS = (
    "version", "platforms", "id", "name", "tags", "priority", "verified", "source", "notes", "urls", "profile",
    "signup", "report", "handle", "pattern", "case", "strip", "known", "taken", "available", "rate-limit",
    "concurrency", "interval", "checks", "request", "outcomes", "prefetch", "extract", "method", "url", "headers",
    "body", "json", "form", "redirects", "verdict", "reason", "matchers-condition", "matchers", "type", "part",
    "status", "words", "regex", "path", "exists", "equals", "in", "condition", "negative", "case-insensitive",
    "fields", "group", "cookie", "display_name", "bio",
)  # fmt: skip
CONFIG_WORDS = (
    "brand", "brands", "aliases", "owned", "email_domain", "email_local", "domains", "owners", "default", "tags",
    "platforms", "file", "add", "only", "exclude", "depth", "thresholds", "report_risk", "max_unknown",
)  # fmt: skip
KEYS = st.one_of(
    st.sampled_from(PLATFORM_WORDS + CONFIG_WORDS),
    st.text(max_size=8),
    st.sampled_from(ODD_CHARS),
    st.one_of(st.integers(-(2**70), 2**70), st.booleans(), st.none(), st.floats(allow_nan=False)),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**100), 10**100),
    st.floats(),
    HOSTILE_TEXT,
    st.sampled_from(TRICKY_STRINGS),
)
JSONISH = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)


ODD_NUMBERS = (0, -1, 10**40, 2**63, float("inf"), float("-inf"), float("nan"), 1e-300, True, False, "1")
DAMAGE = ("other type", "tricky value", "drop", "rename", "add", "alias", "nest")


def _paths(value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [path] + [p for key, item in items for p in _paths(item, (*path, key))]


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _contains(value: Any, target: Any) -> bool:
    """Whether `target` is `value` itself or inside it (by identity)."""
    if value is target:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_contains(item, target) for item in items)


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """`original` with one to six kinds of damage at random places: a value of another type or
    a tricky one (controls, templates, bad regexes, huge and odd numbers), a key dropped,
    renamed (to a non-string too) or added, nesting (sometimes past the limit), and a part
    shared with another place (which YAML writes as an anchor and an alias)."""
    holder = {"root": copy.deepcopy(original)}  # so that the root can be damaged like any value
    for _ in range(draw(st.integers(1, 6))):
        paths = _paths(holder["root"], ("root",))
        path = draw(st.sampled_from(paths))
        parent, key = _at(holder, path[:-1]), path[-1]
        value = parent[key]
        damage = draw(st.sampled_from(DAMAGE))
        if damage == "other type":
            parent[key] = draw(JSONISH)
        elif damage == "tricky value":
            parent[key] = draw(st.one_of(HOSTILE_TEXT, st.sampled_from(TRICKY_STRINGS), st.sampled_from(ODD_NUMBERS)))
        elif damage == "drop" and len(path) > 1:
            del parent[key]
        elif damage == "rename" and len(path) > 1 and isinstance(parent, dict):
            parent[draw(KEYS)] = parent.pop(key)
        elif damage == "add" and isinstance(value, dict):
            value[draw(KEYS)] = draw(JSONISH)
        elif damage == "add" and isinstance(value, list):
            value.insert(draw(st.integers(0, len(value))), draw(JSONISH))
        elif damage == "alias":
            source = _at(holder, draw(st.sampled_from(paths)))
            if not _contains(source, parent):
                parent[key] = source
        elif damage == "nest":
            for _ in range(draw(st.sampled_from((1, 2, 5, 20, MAX_DEPTH + 1)))):
                value = [value] if draw(st.booleans()) else {"deep": value}
            parent[key] = value
    return holder["root"]


def as_text(document: Any, use_json: bool) -> str:
    """The document as a file would hold it: JSON, or YAML (with anchors for shared parts)."""
    if use_json:
        return json.dumps(document, ensure_ascii=False)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


# Fragments of YAML syntax, to build text that is almost, but not quite, a platform file.
YAML_FRAGMENTS = (
    "version: 1\n", "platforms:\n", "  - ", "    ", "id: x\n", "name: X\n", "checks:\n", "request: ", "outcomes:\n",
    "- ", "? ", ": ", ", ", "{", "}", "[", "]", "\n", "\t", " ", "#", "'", '"', "|\n", ">-\n", "---\n", "...\n",
    "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "%TAG !e! tag:e%0A\n", "!e!x ", "!<x%0Ay> ", "&a ", "*a",
    "&b [*a, *a, *a]", "<<: *a\n", "!!python/object:os.system ", "!!binary ", "!!set ", "!!omap ", "!!timestamp ",
    "!!int ", "!!float ", "!!bool ", "!!str ", "!custom ", "2001-13-45", "2001-12-14t21:59:43.10-05:00", "0x",
    "0o17", "1_000", "190:20:30", ".inf", ".nan", "~", "null", "yes", "on", "=", "9" * 5000, "{{handle}}",
    "https://a.test/{{handle}}", "\\u0000", "\x85", "\u2028", "\ufeff",
)  # fmt: skip
YAMLISH = st.lists(st.one_of(st.sampled_from(YAML_FRAGMENTS), st.text(max_size=4)), max_size=40).map("".join)

RICH_PLATFORMS = """\
version: 1
platforms:
  - id: rich
    name: Rich
    tags: [social, video]
    priority: critical
    verified: true
    source: hand-written to use every field
    notes: none
    urls: {profile: "https://rich.test/@{{handle}}", signup: "https://rich.test/signup", report: null}
    handle: {pattern: '^[a-z0-9_.]{2,30}$', case: insensitive, strip: "."}
    known: {taken: [alice], available: [nobody123]}
    rate-limit: {concurrency: 2, interval: 0.5}
    profile:
      request: {url: "https://api.rich.test/users/{{handle}}", headers: {Accept: application/json}}
      fields:
        display_name: {type: json, path: name}
        bio: {type: regex, regex: '<p class="bio">([^<]*)', group: 1}
        avatar: {type: meta, name: "og:image"}
        created: {type: header, header: X-Created}
    checks:
      - name: signup
        prefetch:
          request: {method: GET, url: "https://rich.test/signup"}
          extract:
            - {type: regex, name: token, regex: 'name="csrf" value="([^"]+)"', group: 1, part: body}
            - {type: cookie, name: session, cookie: sid}
            - {type: json, name: nonce, path: a.b}
            - {type: header, name: trace, header: X-Trace}
        request:
          method: POST
          url: "https://rich.test/api/check?u={{handle}}"
          headers: {X-Token: "{{token}}", Cookie: "sid={{session}}"}
          json: {username: "{{handle}}", nonce: "{{nonce}}", flags: [1, true, null, 2.5]}
          redirects: false
        outcomes:
          - verdict: unknown
            reason: rate_limited
            matchers: [{type: status, status: [429, "500-599"]}]
          - verdict: available
            matchers-condition: and
            matchers:
              - {type: status, status: ["200-299"]}
              - {type: json, path: available, equals: true}
          - verdict: taken
            matchers:
              - {type: json, path: reason, in: [taken, "in use", 3]}
              - {type: json, path: user.id, exists: true}
              - {type: word, words: ["already taken", "{{handle}}"], part: all, condition: and, case-insensitive: true}
              - {type: regex, regex: ['"user":\\s*"{{handle}}"'], negative: false}
              - {type: header, name: X-Taken, words: ["yes"]}
              - {type: url, words: [/taken]}
      - request: {url: "https://rich.test/form", method: POST, form: {name: "{{handle}}"}}
        outcomes:
          - verdict: reserved
            matchers: [{type: word, words: [reserved]}]
          - verdict: invalid
            matchers: [{type: status, status: [422]}]
  - id: plain
    name: Plain
    checks:
      - request: {url: "https://{{handle}}.plain.test/", method: HEAD, body: "x"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
"""
PLATFORM_DOCUMENTS = [yaml.safe_load(GOOD), yaml.safe_load(RICH_PLATFORMS)]

SHERLOCK = {
    "$schema": "data.schema.json",
    "Site": {
        "errorType": ["message", "status_code"], "errorMsg": ["not found"], "errorCode": [404, 410],
        "url": "https://s.test/{}", "urlMain": "https://s.test/", "urlProbe": "https://api.s.test/{}",
        "request_method": "POST", "request_payload": {"q": "{}", "n": [1, {"x": "{}"}]}, "headers": {"X-A": "b"},
        "regexCheck": "^[a-z]+$", "isNSFW": False, "username_claimed": "alice",
    },
    "Other": {"errorType": "response_url", "url": "https://o.test/u/{}", "urlMain": "https://o.test"},
}  # fmt: skip
WHATSMYNAME = {
    "license": ["CC BY-SA 4.0"],
    "categories": ["social"],
    "sites": [
        {"name": "Cards", "uri_check": "https://c.test/u/{account}", "uri_pretty": "https://c.test/@{account}",
         "post_body": '{"q": "{account}"}', "headers": {"Content-Type": "application/json"}, "e_code": 200,
         "e_string": "profile", "m_code": 404, "m_string": "missing", "known": ["alice", "bob"], "cat": "social",
         "strip_bad_char": ".", "valid": True, "protection": ["cloudflare"]},
        {"name": "Plain", "uri_check": "https://p.test/{account}", "e_code": 200, "e_string": "x", "m_code": 404,
         "m_string": "", "known": ["a"], "cat": "hobby"},
    ],
}  # fmt: skip
MAIGRET = {
    "engines": {
        "Discourse": {"name": "Discourse", "site": {"presenseStrs": ["generator"], "absenceStrs": ["Oops"],
                                                    "checkType": "message", "url": "{urlMain}/u/{username}/summary"}}
    },
    "sites": {
        "Forum": {"engine": "Discourse", "urlMain": "https://f.test", "usernameClaimed": "alice",
                  "usernameUnclaimed": "ghost", "tags": ["forum", "us"], "errors": {"Too many": "Rate limit"}},
        "Members": {"checkType": "status_code", "url": "https://m.test/{username}",
                    "urlProbe": "https://m.test/a/{username}", "requestHeadOnly": True,
                    "requestPayload": {"u": "{username}"}, "headers": {"A": "b"}, "regexCheck": "[a-z]+",
                    "usernameClaimed": "alice", "usernameUnclaimed": "ghost", "tags": ["social"], "ignore403": True,
                    "protocol": "https", "type": "username", "urlSubpath": "/x"},
        "Redirects": {"checkType": "response_url", "url": "https://r.test/{username}", "presenceStrs": ["hi"],
                      "requestMethod": "get", "usernameClaimed": "a", "activation": {"url": "https://r.test/"}},
    },
}  # fmt: skip
DATABASES = [SHERLOCK, WHATSMYNAME, MAIGRET]

CONFIG = {
    "brand": "Acme", "aliases": ["acmehq"], "owned": {"github": "acme", "instagram": ["acme", "@acme.official"]},
    "email_domain": "acme.example", "email_local": "social", "domains": ["acme.example"],
    "owners": {"default": "Social", "tags": {"developer": "Eng"}, "platforms": {"linkedin": "Marketing"}},
    "platforms": {"file": "p.yaml", "add": ["x.yaml"], "only": ["github"], "tags": ["social"], "exclude": ["myspace"]},
    "depth": "deep", "thresholds": {"report_risk": 60, "max_unknown": 0.5},
}  # fmt: skip
BRAND_LISTS = [{"brands": ["Beta", CONFIG, {"brand": "Gamma", "owned": {"x": "gamma"}}]}, ["Beta", CONFIG]]


def test_the_documents_mutated_below_are_valid_to_begin_with(scratch: Path) -> None:
    assert [len(parse_platforms(as_text(d, False))) for d in PLATFORM_DOCUMENTS] == [2, 2]
    assert all(import_document(d, source="db.json").catalogue.platforms for d in DATABASES)
    path = scratch / "config.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    assert load_config(path).owners.platforms == {"linkedin": "Marketing"}
    path = scratch / "brands.yaml"
    for document, expected in zip(BRAND_LISTS, (["Beta", "Acme", "Gamma"], ["Beta", "Acme"]), strict=True):
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        assert [c.brand for c in read_brands(str(path))] == expected


# --- handles -----------------------------------------------------------------------------

STRICT = Platform(id="strict", name="Strict", checks=(), handle=HandleRule(r"^[a-z0-9_]{3,15}$", strip="._"))
LOOSE = Platform(id="loose", name="Loose", checks=(), handle=HandleRule(None, Case.SENSITIVE))
BACKTRACKS = Platform(id="slow", name="Slow", checks=(), handle=HandleRule(r"^(a+)+$"))


@settings(FUZZ, max_examples=500)
@given(st.one_of(HOSTILE_TEXT, st.text(st.characters(codec=None), max_size=40), st.just("\ufdfa" * 15)))
def test_handle_normaliser_takes_any_text(raw: str) -> None:
    """Unlike the plain-text property in test_handles, this feeds controls, separators, bidi
    and zero-width characters, NFKC expansions and lone surrogates; what is accepted is clean."""
    handle = works_or_one_line(normalise, raw)
    if handle is None:
        return
    assert 0 < len(handle) <= MAX_HANDLE_LENGTH
    assert not any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in handle), ascii(handle)
    folded = handle.casefold()
    expected = ((STRICT, folded.replace(".", "").replace("_", "")), (LOOSE, handle), (BACKTRACKS, folded))
    for platform, form in expected:
        assert canonical(handle, platform) == form, ascii(handle)
        problem = why_invalid(handle, platform)
        assert problem is None or (problem and "\n" not in problem)


@pytest.mark.parametrize(
    "raw", ["\u200bacme", "ac\u200dme", "acme\u2028", "acme\u2029x", "\ufeffacme", "acme\x85", "ac\u2066me",
            "\ud800", "\x9b1m"],
)  # fmt: skip
def test_invisible_and_separator_characters_are_not_a_handle(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        normalise(raw)
    assert_one_line(caught.value)


# --- the platform-file loader --------------------------------------------------------------


def _load_everywhere(scratch: Path, text: str) -> None:
    """Through every public door: the catalogue loader on a file, the parser and the validator."""
    path = scratch / "platforms.yaml"
    path.write_text(text, encoding="utf-8")
    catalogue = works_or_one_line(load_catalogue, path)
    if catalogue is not None:
        assert all(p.checks for p in catalogue.platforms), "every platform has a check"
        assert len({p.id for p in catalogue.platforms}) == len(catalogue.platforms), "ids are unique"
    works_or_one_line(parse_platforms, text)
    checked = works_or_one_line(validate_platforms, text)
    for error in checked[1] if checked else []:
        assert_one_line(error)


@settings(FUZZ, max_examples=100)
@given(text=st.text(max_size=300))
def test_platform_loader_on_arbitrary_text(scratch: Path, text: str) -> None:
    _load_everywhere(scratch, text)


@settings(FUZZ, max_examples=60)
@given(data=st.binary(max_size=300))
def test_platform_loader_on_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "platforms.bin"
    path.write_bytes(data)
    works_or_one_line(load_catalogue, path)
    works_or_one_line(import_file, path)


@settings(FUZZ, max_examples=400)
@given(text=YAMLISH)
def test_platform_loader_on_yaml_like_text(scratch: Path, text: str) -> None:
    _load_everywhere(scratch, text)


@settings(FUZZ, max_examples=300)
@given(data=st.data(), use_json=st.booleans())
def test_platform_loader_on_damaged_platform_files(scratch: Path, data: st.DataObject, use_json: bool) -> None:
    document = data.draw(mutated(data.draw(st.sampled_from(PLATFORM_DOCUMENTS))))
    _load_everywhere(scratch, as_text(document, use_json))


def _laughs(levels: int = 9) -> str:
    """A "billion laughs" list: each anchor lists the one before ten times, 10**9 strings in all."""
    anchors = ["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    anchors += [f"&l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "[" + ", ".join(anchors) + "]"


def _in_request(field: str, value: str) -> str:
    return GOOD.replace(
        '{url: "https://alpha.test/{{handle}}"}', f'{{url: "https://a.test/{{{{handle}}}}", {field}: {value}}}'
    )


def _nested(depth: int) -> str:
    return GOOD.replace("tags: [social]", "tags: " + "[" * depth + "]" * depth)


HOSTILE_YAML = {
    "billion laughs in a json body": _in_request("json", _laughs()),
    "billion laughs in headers": _in_request("headers", _laughs()),
    "billion laughs in an unknown key": f"version: 1\nplatforms: []\nx: {_laughs()}\n",
    "an alias that contains itself": "version: 1\nplatforms: &p [*p]\n",
    "a mapping that contains itself": "version: 1\nplatforms:\n  - &p {id: x, name: y, checks: [*p]}\n",
    "nested a hundred thousand deep": _nested(100_000),
    "nested in flow and block style": "version: 1\nplatforms:\n" + "- " * 50_000 + "x\n",
    "a lone surrogate": GOOD.replace("name: Alpha", 'name: "\\ud800"'),
    "a date": GOOD.replace("name: Alpha", "name: 2001-13-45"),
    "binary data": GOOD.replace("name: Alpha", "name: !!binary aGVsbG8="),
    "a set": GOOD.replace("tags: [social]", "tags: !!set {social}"),
    "a number key": GOOD.replace("name: Alpha", "name: Alpha\n    200: x"),
    "a null key": GOOD.replace("name: Alpha", "name: Alpha\n    ~: x"),
    "a list as key": GOOD.replace("name: Alpha", "name: Alpha\n    ? [a]\n    : x"),
    "a number with 5000 digits": GOOD.replace("status: [200]", "status: [" + "9" * 5000 + "]"),
    "an empty int": GOOD.replace("status: [200]", 'status: [!!int ""]'),
    "a bad bool": GOOD.replace("name: Alpha", "name: Alpha\n    verified: !!bool maybe"),
    "a tag with a line break": GOOD.replace("name: Alpha", "name: !<x%0Ay> Alpha"),
    "a python object": GOOD.replace("name: Alpha", "name: !!python/object/apply:os.system [ls]"),
    "a header name with a line break": _in_request("headers", '{"a\\nb": c}'),
    "a header value with a line break": _in_request("headers", '{a: "b\\r\\nX-Injected: 1"}'),
    "a URL with a line break in the host": GOOD.replace("https://alpha.test/{{handle}}", "https://\\n/{{handle}}"),
    "a URL with a line break in the path": GOOD.replace("https://alpha.test/{{handle}}", "https://a.test/{{handle}}\\n"),
}  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE_YAML.values(), ids=HOSTILE_YAML.keys())
def test_platform_loader_refuses_hostile_yaml_quickly(scratch: Path, text: str) -> None:
    started = time.monotonic()
    _load_everywhere(scratch, text)
    assert time.monotonic() - started < 5, "a hostile file is refused at once, not after minutes"


def test_aliases_that_only_repeat_a_part_still_work() -> None:
    shared = GOOD.replace("outcomes:\n", "outcomes: &same\n", 1).replace(
        "outcomes:\n          - verdict: taken\n            matchers: [{type: status, status: [200]}]\n",
        "outcomes: *same\n",
    )
    assert "*same" in shared
    alpha, beta = parse_platforms(shared)
    assert alpha.checks[0].outcomes == beta.checks[0].outcomes


def test_the_reasons_name_the_fault() -> None:
    with pytest.raises(ConfigError, match="aliases expand the document too much"):
        parse_platforms(HOSTILE_YAML["billion laughs in a json body"])
    with pytest.raises(ConfigError, match=r"<string>:2: not valid YAML: an alias refers to a node that contains it"):
        parse_platforms(HOSTILE_YAML["an alias that contains itself"])
    with pytest.raises(ConfigError, match=rf"nested more than {MAX_DEPTH} deep"):
        parse_platforms(_nested(MAX_DEPTH + 1))
    with pytest.raises(ConfigError, match=r"<string>:4: not valid YAML: a value of type 'timestamp' is not supported"):
        parse_platforms(HOSTILE_YAML["a date"])
    with pytest.raises(ConfigError, match=r"<string>:5: not valid YAML: key '200' is not a string \(quote it\)"):
        parse_platforms(HOSTILE_YAML["a number key"])
    with pytest.raises(ConfigError, match=r"headers\.'a\\nb': header carries a line break"):
        parse_platforms(HOSTILE_YAML["a header name with a line break"])


# --- importers -------------------------------------------------------------------------


def _import_everywhere(scratch: Path, document: Any, use_json: bool = True) -> None:
    conversion = works_or_one_line(import_document, document, source="fuzz.json", nsfw=True)
    if conversion is not None:
        platforms = conversion.catalogue.platforms
        assert all(p.checks for p in platforms), "every platform has a check"
        assert len({p.id for p in platforms}) == len(platforms), "ids are unique"
        assert all(s.reason for s in conversion.catalogue.skipped), "every entry left out says why"
    path = scratch / "db.json"
    path.write_text(as_text(document, use_json), encoding="utf-8")
    works_or_one_line(import_file, path)
    works_or_one_line(load_catalogue, path)


@settings(FUZZ, max_examples=250)
@given(data=st.data(), use_json=st.booleans())
def test_importers_on_damaged_databases(scratch: Path, data: st.DataObject, use_json: bool) -> None:
    """Real-shaped Sherlock, WhatsMyName and Maigret files, damaged; also through a file."""
    document = data.draw(mutated(data.draw(st.sampled_from(DATABASES))))
    _import_everywhere(scratch, document, use_json)


@settings(FUZZ, max_examples=100)
@given(document=st.one_of(SHAPES, JSON_VALUES, st.dictionaries(KEYS, JSONISH, max_size=4)))
def test_importers_on_arbitrary_documents_through_a_file(scratch: Path, document: Any) -> None:
    """test_importers' document shapes, plus non-string keys, floats and huge numbers, as a file."""
    _import_everywhere(scratch, document)


@settings(FUZZ, max_examples=100)
@given(text=st.one_of(st.text(max_size=200).map(lambda t: "{" + t), YAMLISH))
def test_importers_on_arbitrary_text(scratch: Path, text: str) -> None:
    path = scratch / "db.txt"
    path.write_text(text, encoding="utf-8")
    works_or_one_line(import_file, path)


# --- brand lists and the config file --------------------------------------------------------

CSV_PIECES = (
    "brand,aliases,owned,email_domain,owner\n", "Brand", " BRAND ", "aliases", "owned", "email_domain", "owner", ",",
    '"', '""', "\n", "\r\n", "\r", "\x00", "\ufeff", ";", "|", ":", "github:acme", "github:", ":acme", "@",
    "acme.example", "not a domain", '=HYPERLINK("http://evil.example","x")', "#", " ", "\t", "x" * 140_000,
)  # fmt: skip
CSV_TEXT = st.lists(st.one_of(st.sampled_from(CSV_PIECES), st.text(max_size=6)), max_size=40).map("".join)


def _brands(path: Path) -> None:
    brands = works_or_one_line(read_brands, str(path))
    if brands is not None:
        assert all(0 < len(c.brand) <= 100 for c in brands), [c.brand[:20] for c in brands]


@settings(FUZZ, max_examples=300)
@given(text=CSV_TEXT)
def test_brand_csv_with_any_quotes_nuls_and_line_breaks(scratch: Path, text: str) -> None:
    path = scratch / "brands.csv"
    path.write_bytes(text.encode())
    _brands(path)
    with mock.patch.object(sys, "stdin", io.StringIO(text)):
        brands = works_or_one_line(read_brands, "-")
    assert brands is None or all(c.brand and "\n" not in c.brand for c in brands)


@settings(FUZZ, max_examples=60)
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".yaml", ".txt"]))
def test_brand_lists_of_arbitrary_bytes(scratch: Path, data: bytes, suffix: str) -> None:
    path = scratch / f"brands{suffix}"
    path.write_bytes(data)
    _brands(path)


@settings(FUZZ, max_examples=200)
@given(data=st.data(), use_json=st.booleans())
def test_brand_yaml_damaged_or_made_up(scratch: Path, data: st.DataObject, use_json: bool) -> None:
    document = data.draw(mutated(data.draw(st.sampled_from(BRAND_LISTS))))
    path = scratch / "brands.yaml"
    path.write_text(as_text(document, use_json), encoding="utf-8")
    _brands(path)
    path.write_text(data.draw(YAMLISH), encoding="utf-8")
    _brands(path)


@settings(FUZZ, max_examples=200)
@given(data=st.data(), use_json=st.booleans())
def test_config_file_damaged_or_made_up(scratch: Path, data: st.DataObject, use_json: bool) -> None:
    path = scratch / "handlecheck.yaml"
    for text in (as_text(data.draw(mutated(CONFIG)), use_json), data.draw(st.one_of(YAMLISH, st.text(max_size=200)))):
        path.write_text(text, encoding="utf-8")
        config = works_or_one_line(load_config, path)
        if config is not None:
            assert 0 < len(config.brand) <= 100 and config.source == str(path), config


@settings(FUZZ, max_examples=40)
@given(data=st.binary(max_size=200))
def test_config_file_of_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = scratch / "handlecheck.yaml"
    path.write_bytes(data)
    works_or_one_line(load_config, path)


@pytest.mark.parametrize(
    "text", [f"brand: x\naliases: {_laughs()}\n", "brand: &b [*b]\n", "brand: " + "[" * 100_000,
             "brand: 2001-01-01\n", "brand: x\nowned: {1: x}\n"],
    ids=["billion laughs", "alias cycle", "deep nesting", "a date", "a number key"],
)  # fmt: skip
def test_config_and_brand_lists_refuse_hostile_yaml_quickly(scratch: Path, text: str) -> None:
    started = time.monotonic()
    for name in ("handlecheck.yaml", "brands.yaml"):
        path = scratch / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(HandlecheckError) as caught:
            load_config(path) if name == "handlecheck.yaml" else read_brands(str(path))
        assert_one_line(caught.value)
    assert time.monotonic() - started < 5


# === Part 2: scraped text in every output ===================================================

WHEN = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
MD_LINK = "[click](http://evil.example)"
MD_IMAGE = "![x](http://evil.example/a.png)"
PIPES = "a | b || c"
ATTRIBUTE = '" onmouseover="alert(1)" x=\''
OSC8 = "\x1b]8;;http://evil.example\x07osc8 link\x1b]8;;\x07"
CONTROLS = f"\x1b[31mred\x1b[0m {OSC8} \rback \x07bell \x00nul \x9b2J \u202eevil\u202c"
HOSTILE = f"{SCRIPT} {MD_LINK} {MD_IMAGE} {PIPES} {ATTRIBUTE} {CONTROLS}"
# What a spreadsheet runs as a formula when a cell starts with it (OWASP; ASVS 1.2.10 adds NUL).
FORMULAS = (HYPERLINK, "+1+cmd|'/C calc'!A0", "-2+3+cmd|'/C calc'!A0", "@SUM(1+1)*cmd|'/C calc'!A0", "\t=1+1",
            "\r=1+1", "\x00=1+1")  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
# A handle cannot hold whitespace or controls (see normalise), but can hold all of this.
HOSTILE_HANDLE = normalise('=HYPERLINK("http://evil.example")<script>alert(1)</script>[click](http://evil.example)|x')
HOSTILE_LINK = "https://evil-platform.test/" + OSC8
SAFE_LINKS = (
    "https://evil-platform.test/report",
    "https://evil-platform.test/signup",
    "https://evil-platform.test/u/x",
)


def terminal_hazards(text: str) -> list[str]:
    """Characters a terminal acts on (C0 and C1 controls but the line feed) or that reorder
    the text shown (bidi overrides and isolates)."""
    bidi = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    return [ascii(c) for c in text if (unicodedata.category(c) == "Cc" and c != "\n") or c in bidi]


def uncoloured(text: str) -> str:
    """The table without the colour of its headings (the only escape codes it may print)."""
    return re.sub(r"^\x1b\[[0-9;]+m([A-Z]+ \(\d+\))\x1b\[0m$", r"\1", text, flags=re.MULTILINE)


def hostile_report(text: str = HOSTILE, handle: str = HOSTILE_HANDLE) -> ScanReport:
    """A scan report with `text` in every field that comes from a platform or a profile:
    display name, bio, evidence, reasons, the platform's name (imported databases name sites),
    and in the brand (bulk lists come from clients); one link holds control characters."""
    platform = Platform(
        id="evil-platform", name=text, checks=(), priority=Priority.CRITICAL,
        urls=Urls(profile="https://evil-platform.test/u/{{handle}}", signup=SAFE_LINKS[1], report=SAFE_LINKS[0]),
    )  # fmt: skip
    results = (
        Result(handle, platform.id, Verdict.TAKEN, None, SAFE_LINKS[2], 200, 10, text, WHEN),
        Result("acme", platform.id, Verdict.UNKNOWN, Reason.CHALLENGE, SAFE_LINKS[2], 403, 10, text, WHEN),
    )
    finding = Finding(
        platform=platform.id, handle=handle, url=SAFE_LINKS[2],
        candidate=Candidate(handle, (Technique.AFFIX,), Tier.COMBO, text, "acme"),
        classification=Classification.IMPERSONATOR, risk=90,
        reasons=(text, f"display name {text!r} reads as the brand"),
        profile=Profile(display_name=text, bio=text, created=text, avatar=text), seen_at=WHEN,
    )  # fmt: skip
    todo = (
        TodoItem(Action.REPORT, Priority.CRITICAL, platform.id, text, handle, SAFE_LINKS[0], text, owner=text,
                 evidence=(text, f"display name {text!r}"), suggestion=text),
        TodoItem(Action.REGISTER, Priority.CRITICAL, platform.id, text, "acme", SAFE_LINKS[1], text, owner=text,
                 email_alias="social+evil-platform@acme.example", steps=SECURITY_STEPS),
        TodoItem(Action.RETRY, Priority.CRITICAL, platform.id, text, handle, HOSTILE_LINK, text, evidence=(text,)),
    )  # fmt: skip
    return ScanReport(
        brand=f"Acme {text}", handle="acme", depth=Depth.STANDARD, platforms=(platform,), handles=("acme", handle),
        results=results, findings=(finding,), todo=todo, best_handle=BestHandle(handle, 1, 2, (platform.id,)),
        lookalike_checks=1, started_at=WHEN, finished_at=WHEN,
    )  # fmt: skip


class _Page(HTMLParser):
    """Every tag and attribute of a page, and its text as a browser would show it."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_shows_scraped_text_without_running_it() -> None:
    page = scan_report.render_html(hostile_report())
    clean = _Page(scan_report.render_html(hostile_report(text="plain", handle="plain")))
    hostile = _Page(page)
    own = f'<script id="copy-buttons">{scan_report.COPY_SCRIPT}</script>'
    assert page.lower().count("<script") == 1 and own in page, "the one script is the copy buttons'"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"script-src '{scan_report.COPY_SCRIPT_HASH}'" in page, "and only it may run"
    assert {tag for tag, _ in hostile.tags} <= {tag for tag, _ in clean.tags}, "no element from scraped text"
    attributes = {name for _, attrs in hostile.tags for name in attrs}
    assert attributes <= {name for _, attrs in clean.tags for name in attrs}, "no attribute from scraped text"
    assert not any(name.startswith("on") for name in attributes)
    links = {attrs.get("href") or attrs.get("src") for _, attrs in hostile.tags} - {None}
    assert links <= set(SAFE_LINKS), links
    shown = "".join(hostile.text)
    assert SCRIPT in shown and MD_LINK in shown, "the text is shown as written"
    assert not terminal_hazards(page), "no control or bidi character reaches the page"


@pytest.mark.parametrize("formula", FORMULAS, ids=ascii)
def test_scan_csv_neutralises_formulas(formula: str) -> None:
    handle = "".join(c for c in formula if c.isprintable() and not c.isspace())
    rows = list(csv.reader(io.StringIO(scan_report.render_csv(hostile_report(formula, handle)))))
    assert len(rows) == 4 and all(len(row) == len(rows[0]) for row in rows)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)], "a spreadsheet would run these"
    assert "'" + handle in cells


def _unescaped(text: str, char: str) -> list[int]:
    """Where `char` stands in Markdown source without a backslash escaping it."""
    found, escaped = [], False
    for index, current in enumerate(text):
        if current == char and not escaped:
            found.append(index)
        escaped = current == "\\" and not escaped
    return found


def test_markdown_report_has_no_live_link_image_html_or_table_cell_from_scraped_text() -> None:
    text = scan_report.render_markdown(hostile_report())
    assert not terminal_hazards(text)
    for line in text.splitlines():
        assert not [i for i in _unescaped(line, "]") if line[i + 1 : i + 2] == "("], f"a live link: {line}"
        assert not _unescaped(line, "|"), f"a table cell break: {line}"
        assert not _unescaped(line, "`"), f"code: {line}"
        for start in _unescaped(line, "<"):
            end = line.find(">", start)
            assert line[start + 1 : end] in SAFE_LINKS, f"HTML or a link from scraped text: {line}"
    assert "\\<script\\>" in text and "\\[click\\](http://evil.example)" in text and "!\\[x\\]" in text


@pytest.mark.parametrize("cell", [PIPES, HOSTILE, "\\|", "a\\\\|b", "`|`", HOSTILE_HANDLE])
def test_markdown_table_rows_keep_their_columns(cell: str) -> None:
    row = "| " + " | ".join([scan_report.md(cell), "2", scan_report.md(cell)]) + " |"
    assert len(_unescaped(row, "|")) == 4, row


def test_scan_table_and_junit_print_no_control_characters() -> None:
    report = hostile_report()
    table = scan_report.render_table(report)
    assert not terminal_hazards(table), terminal_hazards(table)
    assert "[click](http://evil.example)" in table, "printed as written, only made printable"
    junit = render_junit([report])
    assert not terminal_hazards(junit) and "<script" not in junit
    assert ElementTree.fromstring(junit.encode()).tag == "testsuites", "well-formed XML"


def test_scan_json_keeps_the_text_and_escapes_controls() -> None:
    text = scan_report.render_json(hostile_report())
    assert json.loads(text)["findings"][0]["profile"]["bio"] == HOSTILE
    assert not [c for c in text if c < " " and c != "\n"], "C0 controls are escaped"


# --- the check command's outputs ---------------------------------------------------------


def _results(text: str, handle: str) -> tuple[list[Result], dict[str, Platform]]:
    platform = Platform(id="evil-platform", name=text, checks=())
    results = [
        Result(handle, platform.id, verdict, Reason.CHALLENGE if verdict is Verdict.UNKNOWN else None,
               f"https://evil-platform.test/u/{text}", 200, 5, text, WHEN)
        for verdict in Verdict
    ]  # fmt: skip
    return results, {platform.id: platform}


@pytest.mark.parametrize("color", [False, True])
def test_check_table_prints_no_control_characters(color: bool) -> None:
    results, platforms = _results(HOSTILE, HOSTILE_HANDLE)
    table = uncoloured(check_report.render_table(results, summarise(results), platforms, color=color))
    assert not terminal_hazards(table), terminal_hazards(table)
    assert HOSTILE_HANDLE in table and SCRIPT in table


@pytest.mark.parametrize("formula", FORMULAS, ids=ascii)
def test_check_csv_neutralises_formulas(formula: str) -> None:
    handle = "".join(c for c in formula if c.isprintable() and not c.isspace())
    results, _ = _results(formula, handle)
    text = check_report.csv_header() + "".join(check_report.csv_line(r) for r in results)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == len(results) + 1 and all(len(row) == len(check_report.CSV_FIELDS) for row in rows)
    assert not [c for row in rows[1:] for c in row if c.startswith(FORMULA_START)]


def test_check_json_and_jsonl_keep_the_text_and_escape_controls() -> None:
    results, _ = _results(HOSTILE, HOSTILE_HANDLE)
    whole = check_report.render_json(results, summarise(results))
    lines = "".join(check_report.jsonl_line(r) for r in results)
    assert json.loads(whole)["results"][0]["evidence"] == HOSTILE
    assert [json.loads(line)["handle"] for line in lines.splitlines()] == [HOSTILE_HANDLE] * len(results)
    assert not [c for c in whole + lines if c < " " and c != "\n"], "C0 controls are escaped"


# --- end to end: the command line against a site that serves hostile text -------------------

TITLE = f"Just a moment {HYPERLINK}{MD_LINK}{MD_IMAGE}|x"
PLATFORM_NAME = "Evil \\e]8;;http://evil.example\\aname\\e]8;;\\a \\e[31mred \\r\\a\\x9b2J \\u202eeman"
HANDLES = ("=1+1", "@@SUM(1)", "-2", "<script>alert(1)</script>", "[click](http://evil.example)", "a|b", "\uff1d1")


@pytest.fixture
async def evil_site(sim: Simulator, platform_file: PlatformFile) -> Path:
    async def challenge(request: web.Request) -> web.Response:
        body = f"<html><title>{TITLE}</title><body>{SCRIPT}{CONTROLS}</body></html>"
        return web.Response(status=403, text=body, content_type="text/html")

    site = await sim.site(challenge)
    entry = f"""
    - id: evil
      name: "{PLATFORM_NAME}"
      urls: {{profile: "{site.base}/u/{{{{handle}}}}"}}
      checks:
        - request: {{url: "{site.base}/u/{{{{handle}}}}"}}
          outcomes:
            - verdict: taken
              matchers: [{{type: status, status: [200]}}]
    """
    return platform_file(entry)


async def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not terminal_hazards(err), err
    return out


async def test_check_command_output_is_harmless(evil_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", *HANDLES, "--platforms", str(evil_site), "--timeout", "2", "--retries", "0", "--no-progress"]
    table = await _cli(capsys, *argv)
    assert "challenge page title" in table and not terminal_hazards(table), terminal_hazards(table)
    coloured = await _cli(capsys, *argv, "--color", "always")
    assert "\x1b[" in coloured and not terminal_hazards(uncoloured(coloured))
    rows = list(csv.DictReader(io.StringIO(await _cli(capsys, *argv, "--format", "csv"))))
    assert {r["handle"] for r in rows} == {"'=1+1", "'@SUM(1)", "'-2", "<script>alert(1)</script>",
                                           "[click](http://evil.example)", "a|b", "'=1"}  # fmt: skip
    assert not [c for r in rows for c in r.values() if c.startswith(FORMULA_START)]
    document = json.loads(await _cli(capsys, *argv, "--format", "json"))
    assert {r["handle"] for r in document["results"]} >= {"=1+1", "<script>alert(1)</script>"}


async def test_platforms_commands_print_hostile_database_names_harmlessly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"{OSC8} Site", f"\x1b[2J{SCRIPT}", f"\u202eevil\r{HYPERLINK}"]
    sites = [
        {
            "name": name,
            "uri_check": f"https://s{i}.test/{{account}}",
            "e_code": 200,
            "e_string": "x",
            "m_code": 404,
            "m_string": "y",
            "known": ["a"],
            "cat": "social",
        }
        for i, name in enumerate(names)
    ]
    sites.append({"name": f"{OSC8} broken", "uri_check": 5})
    path = tmp_path / "wmn.json"
    path.write_text(json.dumps({"sites": sites}), encoding="utf-8")
    for argv in (["platforms", "validate", str(path)], ["platforms", "list", "--platforms", str(path)]):
        out = await _cli(capsys, *argv)
        assert not terminal_hazards(out), (argv, terminal_hazards(out))
    listed = list(csv.DictReader(io.StringIO(await _cli(capsys, "platforms", "list", "--platforms", str(path),
                                                        "--format", "csv"))))  # fmt: skip
    assert not [c for r in listed for c in r.values() if c.startswith(FORMULA_START)]
