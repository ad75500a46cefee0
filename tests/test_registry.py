"""Platform files: the bundled catalogue, the schema, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import regex
import yaml

from handlecheck import ConfigError, InputError
from handlecheck.models import Priority
from handlecheck.registry import bundled_path, load_platforms, parse_platforms, schema, select

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
    document = yaml.safe_load(bundled_path().read_text("utf-8"))
    jsonschema.validate(document, schema())


def test_schema_is_itself_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


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
    with pytest.raises(InputError, match="no platform matches"):
        select(platforms, tags=["video"])


SIGNUP_FIRST = ("x", "github", "gitlab", "reddit", "discord", "instagram", "tumblr")
# Where no honest profile check exists, the sign-up check is the only one.
NO_PROFILE_FALLBACK = {
    "discord": "no public profile pages",
    "x": "profile pages need JavaScript and a login; the databases' alternatives are stale mirrors",
}


@pytest.mark.parametrize("platform_id", SIGNUP_FIRST)
def test_true_availability_comes_first_with_a_profile_fallback(platform_id: str) -> None:
    """A 404 profile does not prove a name can be registered: these ask the sign-up check first."""
    platform = next(p for p in load_platforms() if p.id == platform_id)
    first, *rest = platform.checks
    verdicts = {o.verdict.value for o in first.outcomes}
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
