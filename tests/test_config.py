"""The brand's config file: finding it, reading it, refusing it, and what the command line overrides."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

import pytest

import handlecheck
from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.config import (
    Account,
    Config,
    Contact,
    Owners,
    Selection,
    brand_note,
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
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Of several errors, the one nearest the top, and of those the first.
        ("brand: ''\ncolour: red\ndepth: x\n", ":1: Additional properties are not allowed ('colour' was unexpected)"),
        ("brand: Acme\nowners:\n  tags:\n    dev: [a]\ndepth: x\n", ":5: depth: 'x' is not one of"),
        # Of the alternatives of an anyOf, the one the value's type fits; none: the anyOf.
        ("brand: Acme\nowned:\n  github: [acme, 5]\n", ":3: owned.github.1: 5 is not of type 'string'"),
        ("brand: Acme\nowned:\n  github: 5\n", ":3: owned.github: 5 is not valid under any of the given schemas"),
        ("brand: Acme\nthresholds: {report_risk: 1.5}\n", ":2: thresholds.report_risk: 1.5 is not of type 'integer'"),
    ],
)
def test_load_config_names_the_error_a_user_should_fix_first(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}{expected}"), str(caught.value)


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


# --- a config file for another brand ----------------------------------------------------------

ACME = Config(
    brand="Acme",
    aliases=("acmehq",),
    owned=(Owned("youtube", "acmeold"),),
    email_domain="acme.example",
    email_local="hello",
    domains=("acme.example",),
    owners=Owners("Acme social team"),
    selection=Selection(only=("youtube", "tiktok")),
    depth=Depth.QUICK,
    report_risk=80,
    max_unknown=0.5,
    source="acme/handlecheck.yaml",
)


def test_another_brand_keeps_only_the_brand_independent_settings() -> None:
    globex = overlay(ACME, brand="globex", aliases=["globexhq"])
    assert globex == Config(
        brand="globex",
        aliases=("globexhq",),
        selection=Selection(only=("youtube", "tiktok")),
        depth=Depth.QUICK,
        report_risk=80,
        max_unknown=0.5,
        source="acme/handlecheck.yaml",
    )
    assert brand_note(ACME, "globex") == (
        "acme/handlecheck.yaml is for 'Acme', not 'globex': its aliases, owned, email_domain, email_local, domains, "
        "owners are left out, only its platform selection, depth and thresholds apply"
    )
    assert brand_note(Config(brand="Acme", owned=(Owned("x", "acme"),)), "Globex") == (
        "handlecheck.yaml is for 'Acme', not 'Globex': its owned is left out, "
        "only its platform selection, depth and thresholds apply"
    )


@pytest.mark.parametrize("brand", ["Acme", "acme", "ACMÉ", "  acme "])
def test_the_same_brand_whatever_its_case_or_accents_keeps_everything(brand: str) -> None:
    assert overlay(ACME, brand=brand) == replace(ACME, brand=brand)
    assert brand_note(ACME, brand) is None
    assert brand_note(ACME, None) is None and brand_note(None, "globex") is None


async def test_cli_scan_of_another_brand_leaves_the_config_brand_out(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    youtube = await sim.site(behave.profiles({"globex"}))
    tiktok = await sim.site(behave.profiles(set()))
    world = platform_file(profile_entry("youtube", youtube.base), profile_entry("tiktok", tiktok.base))
    write(
        tmp_path,
        f"brand: Acme\naliases: [acmehq]\nowned: {{youtube: acmeold}}\nemail_domain: acme.example\n"
        f"owners: {{default: Acme social team}}\nplatforms: {{file: {world}}}\ndepth: quick\n",
    )
    monkeypatch.chdir(tmp_path)
    argv = ["scan", "--no-db", "--format", "markdown", "--no-progress", "--timeout", "2", "--retries", "0"]

    assert await asyncio.to_thread(main, [*argv[:1], "globex", *argv[1:]]) == 0
    out, err = capsys.readouterr()
    assert "globex" in out and "tiktok" in out, "the file's platform selection applies"
    for leak in ("acmeold", "acme.example", "acmehq", "Acme social team"):
        assert leak not in out, f"{leak!r} is Acme's, not Globex's"
    assert err.splitlines() == [
        f"handlecheck: note: {tmp_path / 'handlecheck.yaml'} is for 'Acme', not 'globex': its aliases, owned, "
        "email_domain, owners are left out, only its platform selection, depth and thresholds apply"
    ]

    assert await asyncio.to_thread(main, [*argv[:1], "ACMÉ", *argv[1:]]) == 0
    out, err = capsys.readouterr()
    assert "acmeold" in out and "social+tiktok@acme.example" in out, "the same brand: the whole file applies"
    assert "note:" not in err


# --- platform ids the config names --------------------------------------------------------------


def nowhere(platform_file: PlatformFile) -> Path:
    """A platform file of well-known ids on a closed loopback port: nothing leaves the machine."""
    return platform_file(*(profile_entry(pid, "http://127.0.0.1:9") for pid in ("youtube", "tiktok", "instagram")))


@pytest.mark.parametrize(
    ("setting", "line", "where", "wrong", "right"),
    [
        ("owned:\n  youtube: acme\n  instagam: acme\n", 4, "owned.instagam", "instagam", "instagram"),
        ("owners:\n  platforms: {youtub: Video team}\n", 3, "owners.platforms.youtub", "youtub", "youtube"),
        ("platforms:\n  only: [youtube, tiktk]\n", 3, "platforms.only.1", "tiktk", "tiktok"),
        ("platforms:\n  exclude:\n    - instagarm\n", 4, "platforms.exclude.0", "instagarm", "instagram"),
    ],
)
async def test_cli_refuses_a_misspelt_platform_id_in_the_config(
    platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    setting: str, line: int, where: str, wrong: str, right: str,
) -> None:  # fmt: skip
    path = write(tmp_path, f"brand: Acme\n{setting}")
    argv = ["scan", "--config", str(path), "--platforms", str(nowhere(platform_file)), "--no-db", "--no-progress"]
    assert await asyncio.to_thread(main, [*argv, "--timeout", "1", "--retries", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"handlecheck: error: {path}:{line}: {where}: unknown platform id {wrong!r} (did you mean {right!r}?)"
    ]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("brands.csv", "brand,owned\nAcme,youtube:acme\nGlobex,instagam:globex\n", ":3: owned:"),
        ("brands.yaml", "brands:\n  - brand: Acme\n    owned: {instagam: acme}\n", ":3: brands.0.owned.instagam:"),
    ],
)
async def test_cli_refuses_a_misspelt_platform_id_in_a_brand_list(
    platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, where: str
) -> None:
    brands = tmp_path / name
    brands.write_text(text, encoding="utf-8")
    argv = ["scan", "--input", str(brands), "--out", str(tmp_path / "out"), "--platforms", str(nowhere(platform_file))]
    assert await asyncio.to_thread(main, [*argv, "--no-db", "--no-progress", "--timeout", "1", "--retries", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"handlecheck: error: {brands}{where} unknown platform id 'instagam' (did you mean 'instagram'?)"
    ]
    assert not list((tmp_path / "out").glob("*")), "refused before any brand is scanned"


async def test_config_ids_are_checked_against_the_platforms_loaded_for_the_run(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = await sim.site(behave.profiles({"acme"}))
    main_file = platform_file(profile_entry("first", site.base))
    extra = platform_file(profile_entry("forgejo", site.base))
    path = write(tmp_path, f"brand: Acme\nowned: {{forgejo: acme}}\nplatforms: {{file: {main_file}}}\n")
    argv = ["scan", "--config", str(path), "--no-db", "--no-progress", "--format", "json", "--timeout", "2"]
    assert await asyncio.to_thread(main, argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"handlecheck: error: {path}:2: owned.forgejo: unknown platform id 'forgejo' (see: handlecheck platforms list)"
    ]
    assert await asyncio.to_thread(main, [*argv, "--add-platforms", str(extra)]) == 0, "a platform file adds it"
    capsys.readouterr()
    assert await asyncio.to_thread(main, [*argv, "--owned", "fist:acme", "--add-platforms", str(extra)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "handlecheck: error: --owned: unknown platform id 'fist' (did you mean 'first'?)"
    ]


async def test_cli_only_suggests_the_closest_platform_id(
    platform_file: PlatformFile, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["scan", "acme", "--platforms", str(nowhere(platform_file)), "--no-db", "--no-progress"]
    assert await asyncio.to_thread(main, [*argv, "--only", "tiktk", "--timeout", "1", "--retries", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "handlecheck: error: unknown platform id 'tiktk' (did you mean 'tiktok'?)"
    ]


async def test_library_scan_of_another_brand_leaves_the_config_brand_out(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
) -> None:
    site = await sim.site(behave.profiles({"globex"}))
    world = platform_file(profile_entry("youtube", site.base), profile_entry("instagram", site.base))
    path = write(tmp_path, f"brand: Acme\nowned: {{youtube: acmeold}}\nplatforms: {{file: {world}}}\ndepth: quick\n")
    report = await handlecheck.scan("Globex", config=path, options=HttpOptions(timeout=2, retries=0))
    assert report.brand == "Globex" and report.depth is Depth.QUICK
    assert all(item.handle != "acmeold" for item in report.todo), "Acme's account is not Globex's to fix"
    path.write_text(f"brand: Acme\nowned: {{instagam: acme}}\nplatforms: {{file: {world}}}\n")
    with pytest.raises(ConfigError, match=r":2: owned.instagam: unknown platform id 'instagam' \(did you mean"):
        await handlecheck.scan("Acme", config=path)


# --- accounts and emergency contacts ------------------------------------------------------------

ACCOUNTS = """\
brand: Acme
owned: {instagram: acme}
email_domain: acme.example
owners: {default: Social team}
accounts:
  instagram: {owner: Jane Doe, backup: Sam Lee, email: insta@acme.example, two_factor: true, password_manager: true}
  tiktok: {two_factor: false}
contacts:
  - {name: Jane Doe, role: Head of social, email: jane@acme.example, phone: "+1 555 0100"}
  - {name: Security desk, phone: "+1 555 0199"}
"""


def test_accounts_and_contacts_are_read_into_records(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ACCOUNTS))
    assert config.accounts == (
        Account("instagram", "Jane Doe", "Sam Lee", "insta@acme.example", two_factor=True, password_manager=True),
        Account("tiktok", two_factor=False),
    )
    assert config.contacts == (
        Contact("Jane Doe", "Head of social", "jane@acme.example", "+1 555 0100"),
        Contact("Security desk", phone="+1 555 0199"),
    )
    instagram, tiktok = platform("instagram"), platform("tiktok")
    assert (config.owner_for(instagram), config.email_for(instagram)) == ("Jane Doe", "insta@acme.example")
    assert (config.owner_for(tiktok), config.email_for(tiktok)) == ("Social team", "social+tiktok@acme.example")
    assert config.account("youtube") == Account("youtube"), "no record: nothing recorded"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accounts:\n  instagram: {owner: Jane, twofa: true}\n",
         ":3: accounts.instagram: Additional properties are not allowed ('twofa' was unexpected)"),
        ("accounts:\n  instagram:\n    owner: Jane\n    two_factor: yes please\n",
         ":5: accounts.instagram.two_factor: 'yes please' is not of type 'boolean'"),
        ("accounts:\n  instagram:\n    email: jane at acme\n", ":4: accounts.instagram.email: 'jane at acme' does not"),
        ("accounts:\n  instagram:\n", ":3: accounts.instagram: None is not of type 'object'"),
        ("contacts:\n  - {name: Jane}\n", ":3: contacts.0: 'email' is a required property"),
        ("contacts:\n  - name: Jane\n    phone: 5550100\n", ":4: contacts.0.phone: 5550100 is not of type 'string'"),
        ("contacts:\n  - {role: CEO, phone: '+1 555'}\n", ":3: contacts.0: 'name' is a required property"),
        ("contacts: {name: Jane}\n", ":2: contacts: {'name': 'Jane'} is not of type 'array'"),
    ],
)  # fmt: skip
def test_account_and_contact_errors_name_the_line_and_setting(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "brand: Acme\n" + text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}{expected}"), str(caught.value)


def test_the_starter_examples_of_accounts_and_contacts_load_once_uncommented(tmp_path: Path) -> None:
    def uncomment(block: re.Match[str]) -> str:
        return block[1].rstrip(" {}[]") + "\n" + re.sub(r"^#", "", block[2], flags=re.MULTILINE)

    text = re.sub(r"^((?:accounts|contacts): .*)\n((?:#.*\n)+)", uncomment, starter("Acme"), flags=re.MULTILINE)
    config = load_config(write(tmp_path, text))
    assert config.accounts == (
        Account("instagram", "Jane Doe", "Sam Lee", "social+instagram@acme.example", True, True),
    )
    assert [c.name for c in config.contacts] == ["Jane Doe", "Security desk"]
    assert config.contacts[1].email is None and config.contacts[1].phone == "+1 555 0199"


def test_another_brand_gets_none_of_the_accounts_or_contacts(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ACCOUNTS))
    globex = config.for_brand("Globex")
    assert (globex.accounts, globex.contacts, globex.owned) == ((), (), ())
    assert not [n for n in globex.named if n.setting == "accounts"], "nor are its account ids checked"
    assert [n.id for n in config.for_brand("ACME").named if n.setting == "accounts"] == ["instagram", "tiktok"]
    assert "owners, accounts, contacts are left out" in (brand_note(config, "Globex") or "")
