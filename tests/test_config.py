"""The brand's config file: finding it, reading it, refusing it, and what the command line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlecheck.config import (
    Config,
    Owners,
    Selection,
    check_config,
    find_config,
    load_config,
    overlay,
    parse_config,
    starter,
)
from handlecheck.domain import Depth, Owned
from handlecheck.errors import ConfigError, InputError
from handlecheck.models import Platform

FULL = """\
brand: Acme Coffee
aliases: [acmehq, acme_coffee]
owned:
  github: "@acme"
  instagram: [acme, acme.official]
email_domain: acme.example
email_local: accounts
domains: [acme.example, acme.shop]
owners:
  default: Social team
  tags: {developer: Engineering}
  platforms: {linkedin: Marketing}
platforms:
  file: mine.yaml
  add: [extra.yaml]
  only: [github]
  tags: [social]
  exclude: [myspace]
depth: deep
thresholds:
  report_risk: 70
  max_unknown: 0.5
"""


def platform(pid: str, *tags: str) -> Platform:
    return Platform(pid, pid, (), tags=tags)


def write(tmp_path: Path, text: str, name: str = "handlecheck.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_config_reads_every_setting(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    assert load_config(path) == Config(
        brand="Acme Coffee",
        aliases=("acmehq", "acme_coffee"),
        owned=(Owned("github", "acme"), Owned("instagram", "acme"), Owned("instagram", "acme.official")),
        email_domain="acme.example",
        email_local="accounts",
        domains=("acme.example", "acme.shop"),
        owners=Owners("Social team", {"developer": "Engineering"}, {"linkedin": "Marketing"}),
        selection=Selection(
            file="mine.yaml", add=("extra.yaml",), only=("github",), tags=("social",), exclude=("myspace",)
        ),
        depth=Depth.DEEP,
        report_risk=70,
        max_unknown=0.5,
        source=str(path),
    )


def test_a_brand_alone_takes_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "brand: Acme\n")
    assert load_config(path) == Config(brand="Acme", source=str(path))
    defaults = Config(brand="Acme")
    assert (defaults.depth, defaults.report_risk, defaults.max_unknown, defaults.email_local) == (
        Depth.STANDARD,
        50,
        0.25,
        "social",
    )


def test_parse_config_without_a_source() -> None:
    config = parse_config({"brand": "Acme", "owned": {"x": "acme"}, "owners": {}, "platforms": None})
    assert config == Config(brand="Acme", owned=(Owned("x", "acme"),))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "brand: Acme\nthresholds:\n  report_risk: 500\n",
            ":3: thresholds.report_risk: 500 is greater than the maximum of 100",
        ),
        ("brand: Acme\ncolour: red\n", ":1: Additional properties are not allowed ('colour' was unexpected)"),
        ("brand: Acme\ndepth: bottomless\n", ":2: depth: 'bottomless' is not one of ['quick', 'standard', 'deep']"),
        ("brand: Acme\nemail_domain: not a domain\n", ":2: email_domain: 'not a domain' does not match"),
        ("aliases: []\n", ":1: 'brand' is a required property"),
        ("brand: ''\n", ":1: brand: '' should be non-empty"),
        ("brand: Acme\nowners:\n  tags:\n    dev: [a, b]\n", ":4: owners.tags.dev: ['a', 'b'] is not of type 'string'"),
        ("brand: [Acme\n", ":2: not valid YAML: "),
        ("", ": file is empty"),
    ],
)
def test_load_config_errors_name_the_file_line_and_setting(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}{expected}")
    assert "\n" not in str(caught.value)


def test_load_config_on_a_missing_or_undecodable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert str(caught.value) == f"{missing}: cannot read config: No such file or directory"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"brand: \xff\n")
    with pytest.raises(ConfigError, match=r"binary\.yaml: cannot read config: 'utf-8' codec can't decode byte 0xff"):
        load_config(binary)


def test_check_config_places_errors_under_the_given_path() -> None:
    with pytest.raises(ConfigError) as caught:
        check_config({"brand": "Acme", "depth": "x"}, None, "brands.yaml", ("brands", 3))
    error = caught.value
    assert (error.source, error.line, error.path) == ("brands.yaml", None, "brands.3.depth")
    check_config({"brand": "Acme"}, None, "ok.yaml")  # no error: returns


# --- finding the file ------------------------------------------------------------------------


def test_find_config_prefers_the_flag_then_the_environment_then_the_nearest_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path.resolve()  # find_config answers with resolved paths
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    write(tmp_path, "brand: Top\n")
    write(tmp_path / "a", "brand: Middle\n")
    assert find_config(start=nested) == tmp_path / "a" / "handlecheck.yaml", "the nearest one upward"
    assert find_config(start=tmp_path) == tmp_path / "handlecheck.yaml"
    monkeypatch.chdir(nested)
    assert find_config() == tmp_path / "a" / "handlecheck.yaml", "from the current folder"
    monkeypatch.setenv("HANDLECHECK_CONFIG", "from-env.yaml")
    assert find_config(start=nested) == Path("from-env.yaml")
    assert find_config("flag.yaml", start=nested) == Path("flag.yaml")


def test_a_folder_named_like_the_config_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "handlecheck.yaml").mkdir()
    found = find_config(start=tmp_path)
    assert found != tmp_path / "handlecheck.yaml"


# --- owners, e-mail aliases, selection --------------------------------------------------------


def test_owner_by_platform_then_by_tag_then_the_default() -> None:
    owners = Owners("Social team", {"developer": "Engineering", "video": "Video team"}, {"github": "Dev rel"})
    assert owners.owner_for(platform("github", "developer")) == "Dev rel"
    assert owners.owner_for(platform("gitlab", "developer", "video")) == "Engineering", "the platform's first tag"
    assert owners.owner_for(platform("youtube", "social", "video")) == "Video team"
    assert owners.owner_for(platform("myspace", "social")) == "Social team"
    assert Owners().owner_for(platform("myspace")) is None


def test_email_alias_is_distinct_per_platform() -> None:
    config = Config(brand="Acme", email_domain="acme.example", email_local="hello")
    assert config.email_alias(platform("bsky.app")) == "hello+bsky-app@acme.example"
    assert Config(brand="Acme").email_alias(platform("bsky.app")) is None


def test_selection_overridden_by_what_the_command_line_gives() -> None:
    from_file = Selection(
        file="mine.yaml",
        add=("extra.yaml",),
        only=("github",),
        tags=("social",),
        exclude=("myspace",),
        nsfw=False,
        skip_file="skip.txt",
    )
    assert from_file.overridden_by(Selection()) == from_file, "nothing given: the file's settings stay"
    flags = Selection(file="other.yaml", only=("gitlab", "x"), nsfw=True)
    assert from_file.overridden_by(flags) == Selection(
        file="other.yaml",
        add=("extra.yaml",),
        only=("gitlab", "x"),
        tags=("social",),
        exclude=("myspace",),
        nsfw=True,
        skip_file="skip.txt",
    )
    everything = Selection(file="f", add=("a",), only=("o",), tags=("t",), exclude=("e",), nsfw=True, skip_file="s")
    assert from_file.overridden_by(everything) == everything
    assert Selection(nsfw=True).overridden_by(Selection()).nsfw is True, "a flag can add NSFW entries, not remove them"


# --- the starter file ------------------------------------------------------------------------


def test_starter_loads_as_a_valid_config(tmp_path: Path) -> None:
    path = write(tmp_path, starter("Acme Coffee"))
    config = load_config(path)
    assert config == Config(brand="Acme Coffee", owners=Owners("Social media team"), source=str(path))


def test_starter_comments_use_the_brand_as_a_handle() -> None:
    assert "#  github: acmecoffee\n" in starter("Acme Coffee!")
    assert "# email_domain: acmecoffee.example\n" in starter("Acme Coffee!")
    assert "#  github: acme\n" in starter("!!!"), "nothing usable: the placeholder"
    assert starter().startswith("# handlecheck.yaml") and "\nbrand: Acme\n" in starter()


# --- the config file under the command line ----------------------------------------------------


def test_overlay_adds_lists_and_lets_given_values_win() -> None:
    base = Config(
        brand="Acme",
        aliases=("acmehq",),
        owned=(Owned("github", "acme"),),
        email_domain="acme.example",
        domains=("acme.example",),
        depth=Depth.QUICK,
        report_risk=70,
    )
    merged = overlay(
        base, aliases=["acmehq", "getacme"], owned=[Owned("x", "acme")], domains=["acme.shop"], depth=Depth.DEEP
    )
    assert merged == Config(
        brand="Acme",
        aliases=("acmehq", "getacme"),
        owned=(Owned("github", "acme"), Owned("x", "acme")),
        email_domain="acme.example",
        domains=("acme.example", "acme.shop"),
        depth=Depth.DEEP,
        report_risk=70,
    )
    assert overlay(base, brand="Globex", email_domain="globex.example").brand == "Globex"
    assert overlay(base) == base


def test_overlay_without_a_file_needs_a_brand() -> None:
    assert overlay(None, brand="Acme") == Config(brand="Acme")
    with pytest.raises(InputError) as caught:
        overlay(None)
    assert str(caught.value) == "no brand: give one (handlecheck scan acme) or write a config (handlecheck init)"
