"""Platform files: the bundled catalogue, the schema, and clear errors for bad files."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import fastjsonschema
import pytest
import regex
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.big_file_bench import generate, run_cli
from handlecheck import ConfigError, InputError
from handlecheck.cli import main
from handlecheck.models import MatcherType, Priority
from handlecheck.registry import (
    MAX_FILE_BYTES,
    bundled_path,
    load_platforms,
    parse_platforms,
    schema,
    select,
    validate_platforms,
)
from handlecheck.schemafaults import Fault, SchemaFaults

GOOD = """\
version: 1
platforms:
  - id: alpha
    name: Alpha
    tags: [social]
    checks:
      - request: {url: "https://alpha.test/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
  - id: beta
    name: Beta
    tags: [developer]
    priority: high
    checks:
      - request: {url: "https://beta.test/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
"""


def test_bundled_catalogue_loads_and_is_curated() -> None:
    platforms = load_platforms()
    ids = [p.id for p in platforms]
    assert len(platforms) >= 40
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert sum(p.priority is Priority.CRITICAL for p in platforms) >= 5
    for platform in platforms:
        assert platform.source, f"{platform.id} says where its rule comes from"
        assert platform.urls.signup, f"{platform.id} has a sign-up link"
        assert platform.known.taken, f"{platform.id} has a canary"
        if platform.handle.pattern:
            for handle in platform.known.taken:
                assert regex.fullmatch(platform.handle.pattern, handle), (platform.id, handle)


def test_bundled_catalogue_matches_the_shipped_schema() -> None:
    """The whole file at once (the loader checks its outer shape and each entry apart)."""
    document = yaml.safe_load(bundled_path().read_text("utf-8"))
    whole = SchemaFaults(schema())
    assert whole(document) == []
    assert whole({**document, "version": 2}) == [Fault(("version",), "1 was expected")]


# Draft 7, which fastjsonschema implements: a keyword it does not know (a newer draft's
# `prefixItems`, `unevaluatedProperties`, `dependentRequired`, ...) would be ignored, silently.
DRAFT7_KEYWORDS = frozenset(
    (
        *("$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "default", "examples"),
        *("type", "enum", "const", "format", "allOf", "anyOf", "oneOf", "not", "if", "then", "else"),
        *("required", "properties", "patternProperties", "additionalProperties", "propertyNames", "dependencies"),
        *("minProperties", "maxProperties", "items", "additionalItems", "contains", "minItems", "maxItems"),
        *("uniqueItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "multipleOf"),
        *("exclusiveMinimum", "exclusiveMaximum"),
    )
)
SUB_SCHEMA_MAPS = ("$defs", "properties", "patternProperties")
SUB_SCHEMAS = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains")


def _schema_nodes(node: dict[str, object], where: str = "#") -> list[tuple[str, dict[str, object]]]:
    nodes = [(where, node)]
    for keyword, value in node.items():
        if keyword in SUB_SCHEMA_MAPS and isinstance(value, dict):
            nodes += [n for name, sub in value.items() for n in _schema_nodes(sub, f"{where}/{keyword}/{name}")]
        elif keyword in SUB_SCHEMAS and isinstance(value, dict):
            nodes += _schema_nodes(value, f"{where}/{keyword}")
        elif keyword in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            nodes += [n for i, sub in enumerate(value) for n in _schema_nodes(sub, f"{where}/{keyword}/{i}")]
    return nodes


@pytest.mark.parametrize("name", ["platforms.schema.json", "config.schema.json"])
def test_schemas_say_only_what_fastjsonschema_enforces(name: str) -> None:
    root = json.loads((bundled_path().parent / name).read_text("utf-8"))
    nodes = _schema_nodes(root)
    assert len(nodes) > 20
    for where, node in nodes:
        assert set(node) <= DRAFT7_KEYWORDS, (where, set(node) - DRAFT7_KEYWORDS)
        if "$ref" in node:
            assert set(node) == {"$ref"}, f"{where}: draft 7 ignores what stands beside a $ref"
            assert node["$ref"].removeprefix("#/$defs/") in root["$defs"], where
        if "pattern" in node:
            re.compile(node["pattern"])
    fastjsonschema.compile(root)  # raises on a malformed schema


def test_good_file_parses() -> None:
    alpha, beta = parse_platforms(GOOD)
    assert (alpha.id, alpha.priority, beta.priority) == ("alpha", Priority.NORMAL, Priority.HIGH)


BAD_FILES = [
    ("not yaml", "version: 1\nplatforms: [\n", r"<string>:3: not valid YAML"),
    ("empty", "", r"file is empty"),
    ("wrong version", GOOD.replace("version: 1", "version: 2"), r"<string>:1: version: 1 was expected"),
    (
        "bad verdict",
        GOOD.replace("verdict: taken", "verdict: maybe", 1),
        r"<string>:9: platforms\[0\] \(id: alpha\)\.checks\[0\]\.outcomes\[0\]\.verdict: 'maybe' is not one of",
    ),
    (
        "unknown matcher type",
        GOOD.replace("type: status", "type: magic", 1),
        r"platforms\[0\] \(id: alpha\)\.checks\[0\]\.outcomes\[0\]\.matchers\[0\]\.type: 'magic' is not one of",
    ),
    (
        "missing matcher field",
        GOOD.replace("{type: status, status: [200]}", "{type: word}", 1),
        r"matchers\[0\]: 'words' is a required property",
    ),
    (
        "bad regex",
        GOOD.replace("{type: status, status: [200]}", "{type: regex, regex: ['(unclosed']}", 1),
        r"<string>:10: platforms\[0\] \(id: alpha\)\.checks\[0\]\.outcomes\[0\]\.matchers\[0\]\.regex: bad regular",
    ),
    (
        "profile without handle",
        GOOD.replace("    tags: [social]\n", "    tags: [social]\n    urls: {profile: 'https://alpha.test/'}\n"),
        r"platforms\[0\] \(id: alpha\)\.urls\.profile: profile URL has no \{\{handle\}\}",
    ),
    (
        "duplicate ids",
        GOOD.replace("id: beta", "id: alpha"),
        r"<string>:11: platforms\[1\] \(id: alpha\)\.id: duplicate id 'alpha'",
    ),
    (
        "non-http url",
        GOOD.replace("https://alpha.test", "file:///etc"),
        r"checks\[0\]\.request\.url: 'file:///etc/\{\{handle\}\}' does not match",
    ),
    (
        "unknown variable",
        GOOD.replace("alpha.test/{{handle}}", "alpha.test/{{token}}"),
        r"request\.url: unknown variable \{\{token\}\}",
    ),
    (
        "wrong type",
        GOOD.replace("tags: [social]", "tags: social"),
        r"platforms\[0\] \(id: alpha\)\.tags: 'social' is not of type 'array'",
    ),
    (
        "id with a trailing line break",
        GOOD.replace("id: alpha", 'id: "alpha\\n"'),
        r"platforms\[0\] \(id: 'alpha\\n'\)\.id: 'alpha\\n' does not match",
    ),
    (
        "typo in a key",
        GOOD.replace("priority: high", "priorty: high"),
        r"platforms\[1\] \(id: beta\): Additional properties are not allowed \('priorty' was unexpected\)",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_names_line_id_and_field(name: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_platforms(text)
    assert "\n" not in str(caught.value)
    assert regex.search(message, str(caught.value)), str(caught.value)


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_platforms(tmp_path / "absent.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"binary\.yaml: not UTF-8"):
        load_platforms(binary)


def test_a_json_document_is_yaml_too(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(yaml.safe_load(GOOD)))
    assert [p.id for p in load_platforms(path)] == ["alpha", "beta"]


def test_select() -> None:
    platforms = parse_platforms(GOOD)
    assert [p.id for p in select(platforms, only=["beta"])] == ["beta"]
    assert [p.id for p in select(platforms, tags=["social"])] == ["alpha"]
    assert [p.id for p in select(platforms, exclude=["alpha"])] == ["beta"]
    with pytest.raises(InputError, match="unknown platform id 'gamma'"):
        select(platforms, only=["gamma"])
    with pytest.raises(InputError, match=r"no platform matches the selection \(--tags\)$"):
        select(platforms, tags=["video"])


def test_an_empty_choice_names_its_true_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty platform file or a skip file naming every platform is not blamed on --only."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\nplatforms: []\n")
    assert main(["check", "acme", "--platforms", str(empty)]) == 2
    assert capsys.readouterr().err == f"handlecheck: error: no usable platform in {empty}\n"
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    skip = tmp_path / "skip.txt"
    skip.write_text("alpha broken\nbeta broken\n")
    assert main(["check", "acme", "--platforms", str(good), "--skip-file", str(skip)]) == 2
    assert capsys.readouterr().err == f"handlecheck: error: every platform is listed in the skip file {skip}\n"


SIGNUP_FIRST = ("x", "github", "gitlab", "reddit", "discord", "instagram", "tumblr")
SIGNUP_CHECKS = {"reddit": 2}
# Where no honest profile check exists, the sign-up check is the only one.
NO_PROFILE_FALLBACK = {
    "discord": "no public profile pages",
    "x": "profile pages need JavaScript and a login; the databases' alternatives are stale mirrors",
}


@pytest.mark.parametrize("platform_id", SIGNUP_FIRST)
def test_true_availability_comes_first_with_a_profile_fallback(platform_id: str) -> None:
    """A 404 profile does not prove a name can be registered: these ask the sign-up check first."""
    platform = next(p for p in load_platforms() if p.id == platform_id)
    # Reddit asks its sign-up form twice: check_username tells a deleted account's name (reserved)
    # from a taken one, username_available then says available.
    signup = SIGNUP_CHECKS.get(platform_id, 1)
    *_, rest = platform.checks[:signup], platform.checks[signup:]
    verdicts = {o.verdict.value for check in platform.checks[:signup] for o in check.outcomes}
    assert "available" in verdicts and verdicts & {"taken", "reserved"}, verdicts
    assert rest or platform_id in NO_PROFILE_FALLBACK, "a profile check follows for when sign-up answers unknown"
    assert all(spec.method in ("GET", "HEAD", "POST") for spec in (c.request for c in platform.checks))


def test_bundled_catalogue_is_broad() -> None:
    platforms = load_platforms()
    tags = {t for p in platforms for t in p.tags}
    assert len(platforms) >= 150
    assert {"social", "video", "messaging", "developer", "creative", "commerce", "gaming", "audio"} <= tags
    assert sum(1 for p in platforms if p.checks[0].prefetch is not None) >= 3


def test_bundled_catalogue_reads_profiles_where_it_can() -> None:
    platforms = load_platforms()
    with_profiles = [p for p in platforms if p.profile is not None]
    assert len(with_profiles) >= 40
    critical = [p for p in platforms if p.priority.value == "critical"]
    assert sum(p.profile is not None for p in critical) >= len(critical) - 1


def test_bundled_rules_that_read_another_hosts_url_declare_that_host() -> None:
    """A `url` matcher naming another host can only hold if the redirect there is followed."""
    undeclared = []
    for platform in load_platforms():
        for check in platform.checks:
            own = urlsplit(check.request.url.replace("{{handle}}", "x")).hostname or ""
            for outcome in check.outcomes:
                for matcher in outcome.matchers:
                    if matcher.type is not MatcherType.URL:
                        continue
                    for word in matcher.words:
                        host = word.split("/", 1)[0]
                        if "." in host and host not in own and host not in platform.redirect_hosts:
                            undeclared.append((platform.id, host))
    assert undeclared == []
    assert {p.id: p for p in load_platforms()}["youtube"].redirect_hosts == ("consent.youtube.com",)


# --- large and deeply nested files (issue 13) -------------------------------------------


def test_a_file_over_the_size_cap_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(generate(12 * 2**20)[0], encoding="utf-8")
    started = time.monotonic()
    code = main(["platforms", "validate", str(big)])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"handlecheck: error: {big}: 12.0 MiB is more than the {MAX_FILE_BYTES // 2**20} MiB a platform file may be; "
        "split it (--add-platforms takes several files)\n"
    )
    assert elapsed < 2, "refused before it is parsed"


def test_a_file_just_under_the_cap_is_read_in_seconds_and_little_memory(tmp_path: Path) -> None:
    """Every tenth entry is broken: each error names its line, and all are found in one more read."""
    path = tmp_path / "under.yaml"
    text, platforms = generate(MAX_FILE_BYTES - 200 * 2**10)
    lines = text.splitlines(keepends=True)
    broken = [n for n, line in enumerate(lines) if line.startswith("  - id: ")][::10]
    for n in broken:
        lines[n] = lines[n].replace("  - id: ", "  - id: Bad_", 1)
    path.write_text("".join(lines), encoding="utf-8")
    assert path.stat().st_size <= MAX_FILE_BYTES
    run = run_cli("platforms", "validate", str(path))
    err = run.stderr
    assert run.exit == 2
    assert f"{len(broken)} errors, {platforms - len(broken)} platforms without errors" in err
    said = [line for line in err.splitlines() if "does not match" in line]
    assert len(said) == len(broken)
    for n, line in zip(broken, said, strict=True):
        assert line.startswith(f"handlecheck: error: {path}:{n + 1}: platforms[")
    assert run.peak_rss_mb < 300, f"peak RSS {run.peak_rss_mb:.0f} MB"
    assert run.seconds < 30, f"{run.seconds:.1f} s"


def test_a_deep_json_path_is_refused_with_its_reason() -> None:
    deep = ".".join(["level"] * 300)
    text = GOOD.replace(
        "matchers: [{type: status, status: [200]}]", f"matchers: [{{type: json, path: '{deep}', exists: true}}]", 1
    )
    with pytest.raises(ConfigError) as caught:
        parse_platforms(text)
    message = str(caught.value)
    assert message.startswith("<string>:10: platforms[0] (id: alpha).checks[0].outcomes[0].matchers[0].path: 'level.")
    assert message.endswith("level' is too long"), message
    assert " ... " in message and len(message) < 400


def test_a_value_quoted_in_an_error_is_cut_in_the_middle() -> None:
    nested = "{a: " * 90 + "1" + "}" * 90
    text = GOOD.replace(
        '{url: "https://alpha.test/{{handle}}"}', "{url: 'https://x.test/{{handle}}', headers: {h: " + nested + "}}", 1
    )
    with pytest.raises(ConfigError) as caught:
        parse_platforms(text)
    message = str(caught.value)
    assert message.startswith("<string>:7: platforms[0] (id: alpha).checks[0].request.headers.h: {'a': {'a': ")
    assert message.endswith("}}} is not of type 'string'"), message
    assert len(message) < 400


MANY_ERRORS = """\
version: 1
platforms:
  - id: one
    name: One
    priorty: high
    tags: social
    checks:
      - request: {url: "https://one.test/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
  - id: two
    name: Two
    urls: {profile: "https://two.test/{{token}}"}
    handle: {pattern: "(unclosed"}
    checks:
      - request: {url: "https://two.test/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: regex, regex: ["[bad"]}]
  - id: fine
    name: Fine
    checks:
      - request: {url: "https://fine.test/{{handle}}"}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
  - id: three
    name: Three
    checks:
      - request: {url: "https://three.test/{{handle}}", method: PUT}
        outcomes:
          - verdict: taken
            matchers: [{type: status, status: [200]}]
  - id: one
    name: One again
    checks:
      - request: {url: "https://one.test/{{handle}}"}
        outcomes:
          - verdict: available
            reason: timeout
            matchers: [{type: status, status: [404]}]
"""


def test_validate_reports_every_error_of_every_entry_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(MANY_ERRORS, encoding="utf-8")
    assert main(["platforms", "validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    where = f"handlecheck: error: {path}"
    assert err[:-1] == [
        f"{where}:3: platforms[0] (id: one): Additional properties are not allowed ('priorty' was unexpected)",
        f"{where}:6: platforms[0] (id: one).tags: 'social' is not of type 'array'",
        f"{where}:14: platforms[1] (id: two).urls.profile: profile URL has no {{{{handle}}}}",
        f"{where}:14: platforms[1] (id: two).urls.profile: unknown variable {{{{token}}}}",
        f"{where}:15: platforms[1] (id: two).handle.pattern: bad regular expression: missing ) at position 9",
        f"{where}:20: platforms[1] (id: two).checks[0].outcomes[0].matchers[0].regex: bad regular expression: "
        "unterminated character set at position 4",
        f"{where}:31: platforms[3] (id: three).checks[0].request.method: 'PUT' is not one of ['GET', 'HEAD', 'POST']",
        f"{where}:35: platforms[4] (id: one).id: duplicate id 'one' (first at platforms[0])",
        f"{where}:41: platforms[4] (id: one).checks[0].outcomes[0].reason: only an 'unknown' outcome takes a reason",
    ], "\n".join(err)
    assert err[-1] == f"{path}: 9 errors, 1 platform without errors"


# --- every schema fault in one pass, with fastjsonschema alone (issue 14) ------------------

SERVERS = {
    "$defs": {
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "server": {
            "type": "object",
            "required": ["host"],
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "pattern": "^[a-z.]+$"},
                "port": {"anyOf": [{"$ref": "#/$defs/port"}, {"type": "string", "pattern": "^[0-9]+$"}]},
                "kind": {"enum": ["tcp", "udp"]},
            },
            "allOf": [{"if": {"properties": {"kind": {"const": "tcp"}}}, "then": {"required": ["port"]}}],
        },
    },
    "type": "object",
    "required": ["name", "servers"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "servers": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/server"}},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]+$"},
            "additionalProperties": {"type": "string"},
        },
    },
}


def test_schema_faults_finds_every_independent_fault_at_its_deepest_path() -> None:
    document = {
        "name": "",
        "nme": "typo",
        "servers": [
            {"host": "Bad Host", "port": 0, "kind": "tcp"},
            {"kind": "tcp"},
            {"host": "a.b", "port": "x"},
            {"host": "a", "port": 2.5, "colour": "red"},
            {"host": "fine", "port": "80", "kind": "udp"},
        ],
        "labels": {"Bad": "x", "ok": 5, "fine": "y"},
    }
    assert SchemaFaults(SERVERS)(document) == [
        Fault((), "Additional properties are not allowed ('nme' was unexpected)"),
        Fault(("name",), "'' should be non-empty"),
        Fault(("servers", 0, "host"), "'Bad Host' does not match '^[a-z.]+$'"),
        Fault(("servers", 0, "port"), "0 is less than the minimum of 1"),  # the anyOf branch an integer fits
        Fault(("servers", 1), "'host' is a required property"),
        Fault(("servers", 1), "'port' is a required property"),  # if kind is tcp, then port
        Fault(("servers", 2, "port"), "'x' does not match '^[0-9]+$'"),  # the branch a string fits
        Fault(("servers", 3), "Additional properties are not allowed ('colour' was unexpected)"),
        Fault(("servers", 3, "port"), "2.5 is not valid under any of the given schemas"),  # no branch fits
        Fault(("labels",), "'Bad' does not match '^[a-z]+$'"),
        Fault(("labels", "ok"), "5 is not of type 'string'"),
    ]
    assert SchemaFaults(SERVERS)({"name": "n", "servers": [{"host": "a", "port": 1}]}) == []
    assert SchemaFaults(SERVERS, "#/$defs/server")({"host": "a", "kind": "tcp"}) == [
        Fault((), "'port' is a required property")
    ]


def test_schema_faults_words_every_keyword() -> None:
    checker = SchemaFaults(
        {
            "type": "object",
            "patternProperties": {"^x-": {"type": "integer"}},
            "additionalProperties": False,
            "properties": {
                "one": {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
                "never": {"not": {"const": "no"}},
                "unique": {"type": "array", "uniqueItems": True, "maxItems": 2},
                "third": {"multipleOf": 3, "maximum": 9},
            },
        }
    )
    assert checker({"one": {"a": 1}, "x-count": 1, "unique": [1, 2], "third": 9}) == []
    assert checker({"one": {"a": 1, "b": 2}, "never": "no", "unique": [1, 1, 1], "third": 4, "x-n": "1", "y": 0}) == [
        Fault(("x-n",), "'1' is not of type 'integer'"),
        Fault((), "Additional properties are not allowed ('y' was unexpected)"),
        Fault(("one",), "{'a': 1, 'b': 2} is valid under each of {'required': ['a']}, {'required': ['b']}"),
        Fault(("never",), "'no' should not be valid under {'const': 'no'}"),
        Fault(("unique",), "[1, 1, 1] must contain unique items"),  # fastjsonschema's words
        Fault(("unique",), "[1, 1, 1] is too long"),
        Fault(("third",), "4 must be multiple of 3"),
    ]
    assert checker({"one": {}}) == [Fault(("one",), "{} is not valid under any of the given schemas")]
    with pytest.raises(ValueError, match="only local"):
        SchemaFaults(SERVERS, "other.json#/x")


_WHOLE_PLATFORM = fastjsonschema.compile({"$defs": schema()["$defs"], "$ref": "#/$defs/platform"})
_PLATFORM_FAULTS = SchemaFaults(schema(), "#/$defs/platform")
_ENTRIES = yaml.safe_load(bundled_path().read_text("utf-8"))["platforms"]
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 1200)
    | st.sampled_from(["", "taken", "status", "json", "regex", "GET", "PUT", "https://x.test/{{handle}}", "Bad"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["type", "url", "x", "words"]), inner),
    max_leaves=6,
)


def _places(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    inner: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        inner = list(value.items())
    elif isinstance(value, list):
        inner = list(enumerate(value))
    return [path] + [p for key, item in inner for p in _places(item, (*path, key))]


def _at(value: object, path: tuple[str | int, ...]) -> object:
    for key in path:
        value = value[key]  # type: ignore[index]
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_schema_faults_agree_with_the_compiled_whole_on_broken_entries(data: st.DataObject) -> None:
    """What the walk finds, it finds itself (no fallback to the first error), at a real place."""
    entry = json.loads(json.dumps(data.draw(st.sampled_from(_ENTRIES))))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_places(entry)[1:]))
        parent = _at(entry, path[:-1])
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_VALUES)  # type: ignore[index]
    faults = _PLATFORM_FAULTS(entry)
    try:
        _WHOLE_PLATFORM(json.loads(json.dumps(entry)))
        valid = True
    except fastjsonschema.JsonSchemaValueException:
        valid = False
    assert (faults == []) == valid, faults
    for fault in faults:
        assert not fault.message.startswith("data"), fault
        _at(entry, fault.path)


def test_validate_lists_every_schema_fault_of_an_entry_with_its_line() -> None:
    text = (
        GOOD.replace('{{handle}}"}\n', '{{handle}}", method: PUT}\n', 1)
        .replace("status: [200]", "status: [50, '2xx']", 1)
        .replace("    tags: [social]\n", "    tags: [social]\n    secrets: {bad-name: X}\n    colour: red\n", 1)
    )
    with pytest.raises(ConfigError) as caught:
        parse_platforms(text)
    assert str(caught.value) == (
        "<string>:3: platforms[0] (id: alpha): Additional properties are not allowed ('colour' was unexpected)"
        " (and 4 more: handlecheck platforms validate <string>)"
    )
    _, errors = validate_platforms(text)
    where = "platforms[0] (id: alpha)"
    matcher = f"{where}.checks[0].outcomes[0].matchers[0]"
    assert [(e.line, e.path, e.reason.split(" '^")[0]) for e in errors] == [
        (3, where, "Additional properties are not allowed ('colour' was unexpected)"),
        (6, f"{where}.secrets", "'bad-name' does not match"),
        (9, f"{where}.checks[0].request.method", "'PUT' is not one of ['GET', 'HEAD', 'POST']"),
        (12, f"{matcher}.status[0]", "50 is less than the minimum of 100"),  # the integer branch of the anyOf
        (12, f"{matcher}.status[1]", "'2xx' does not match"),  # the string branch
    ]
