"""Brand lists for bulk runs: CSV, YAML and stdin; errors name the file and the row."""

from __future__ import annotations

import io
import json
import sys
import tracemalloc
from pathlib import Path

import pytest

from handlecheck import brands
from handlecheck.brands import Shard, read_brands
from handlecheck.cli import main
from handlecheck.config import Config, Owners, load_config
from handlecheck.domain import Depth, Owned
from handlecheck.errors import ConfigError, InputError


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- CSV -------------------------------------------------------------------------------


def test_csv_with_every_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "brands.csv",
        "brand,aliases,owned,email_domain,owner\n"
        "Acme,acmehq; getacme,github:acme|x:@acme_hq,acme.example,Ann\n"
        "Globex,,,,\n",
    )
    assert list(read_brands(path)) == [
        Config(
            brand="Acme",
            aliases=("acmehq", "getacme"),
            owned=(Owned("github", "acme"), Owned("x", "acme_hq")),
            email_domain="acme.example",
            owners=Owners(default="Ann"),
        ),
        Config(brand="Globex"),
    ]


def test_csv_headers_are_forgiving_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "brands.csv"
    path.write_bytes("\ufeff Brand ,OWNER,notes\n  Acme  , Ann ,ignored\n,,\n\nGlobex,,,extra cell\n".encode())
    assert list(read_brands(str(path))) == [Config(brand="Acme", owners=Owners(default="Ann")), Config(brand="Globex")]


def test_a_brand_name_is_cut_at_100_characters(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.csv", "brand\n" + "A" * 150 + "\n")
    (config,) = read_brands(path)
    assert config.brand == "A" * 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,owner\nAcme,Ann\n", ":1: no 'brand' column (columns: brand, aliases, owned, email_domain, owner)"),
        ("", ":1: no 'brand' column (columns: brand, aliases, owned, email_domain, owner)"),
        ("brand,owner\nAcme,\n,Ann\n", ":3: the brand cell is empty"),
        (
            "brand,owned\nAcme,github:acme;github\n",
            ":2: owned account 'github' is not PLATFORM:HANDLE (e.g. github:acme)",
        ),
        (
            "brand,email_domain\nAcme,acme.example\nGlobex,not a domain\n",
            ":3: email_domain 'not a domain' is not a domain",
        ),
        ("brand\n" + "x" * 140_000 + "\n", ":2: not valid CSV (field larger than field limit (131072))"),
        ('brand,aliases\nAcme,"acmehq\nGlobex,globexhq\n', ":2: not valid CSV (unexpected end of data)"),
        ('brand\nAcme\n"Glo\nbex"\nInitech\n', ":3: a cell runs over several lines (a quote left open?)"),
        ('brand\nAcme\n"Globex"x\n', ":3: not valid CSV (',' expected after '\"')"),
        ("brand,alias\nAcme,acmehq\n", ":1: unknown column 'alias': did you mean 'aliases'?"),
        ("brand\nAc\x00me\n", ":2: brand 'Ac\\x00me' holds a control character"),
    ],
)
def test_csv_errors_name_the_file_and_row(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "brands.csv", text)
    with pytest.raises(InputError) as caught:
        read_brands(path)
    assert str(caught.value) == path + message


def test_columns_of_other_tools_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.csv", 'brand,notes,Account Manager\nAcme,"big, old client",Ann\nGlobex,,\n')
    assert [c.brand for c in read_brands(path)] == ["Acme", "Globex"]


def test_too_many_brands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brands, "MAX_BRANDS", 2)
    path = write(tmp_path, "brands.csv", "brand\nA\nB\n")
    assert [c.brand for c in read_brands(path)] == ["A", "B"]
    path = write(tmp_path, "brands.csv", "brand\nA\nB\nC\n")
    with pytest.raises(InputError) as caught:
        read_brands(path)
    assert str(caught.value) == f"{path}: more than 2 brands"


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_brands(str(tmp_path / "nope.csv"))
    assert str(caught.value) == f"cannot read {tmp_path / 'nope.csv'}: No such file or directory"
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"brand\n\xff\n")
    with pytest.raises(InputError, match=r"^cannot read .*binary\.csv: 'utf-8' codec can't decode byte 0xff"):
        read_brands(str(binary))


def test_any_other_extension_is_read_as_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.txt", "brand\nAcme\n")
    assert list(read_brands(path)) == [Config(brand="Acme")]


# --- YAML ------------------------------------------------------------------------------


def test_yaml_list_of_names_and_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.yml", "- Acme\n- brand: Globex\n  aliases: [globexhq]\n  depth: deep\n")
    assert list(read_brands(path)) == [
        Config(brand="Acme", source=path),
        Config(brand="Globex", aliases=("globexhq",), depth=Depth.DEEP, source=path),
    ]


def test_yaml_under_a_brands_key(tmp_path: Path) -> None:
    path = write(tmp_path, "brands.yaml", "brands:\n  - Acme\n  - brand: Globex\n    owned: {github: globex}\n")
    assert list(read_brands(path)) == [
        Config(brand="Acme", source=path),
        Config(brand="Globex", owned=(Owned("github", "globex"),), source=path),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("brand: Acme\n", ": expected a list of brands (or brands: [...])"),
        ("Acme\n", ": expected a list of brands (or brands: [...])"),
        ("brands:\n  - Acme\n  - aliases: [x]\n", ": brands[1]: each brand needs a 'brand' name"),
        ("- Acme\n- 42\n", ": brands[1]: each brand needs a 'brand' name"),
        (
            "brands:\n  - Acme\n  - brand: Globex\n    depth: bottomless\n",
            ":4: brands.1.depth: 'bottomless' is not one of ['quick', 'standard', 'deep']",
        ),
        (
            "- Acme\n- brand: Globex\n  colour: red\n",
            ":2: 1: Additional properties are not allowed ('colour' was unexpected)",
        ),
        ("- [Acme\n", ":2: not valid YAML: "),
    ],
)
def test_yaml_errors_name_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "brands.yaml", text)
    with pytest.raises(ConfigError) as caught:
        read_brands(path)
    assert str(caught.value).startswith(path + message)


# --- stdin -----------------------------------------------------------------------------


def test_stdin_one_brand_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("# clients\nAcme\n\n  Globex Corp  \n#Initech\n"))
    assert list(read_brands("-")) == [Config(brand="Acme"), Config(brand="Globex Corp")]


def test_stdin_skips_indented_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  # clients\n\t# more clients\nAcme\n   #Initech\n"))
    assert list(read_brands("-")) == [Config(brand="Acme")]


# --- streaming ---------------------------------------------------------------------------


def test_a_read_brand_list_holds_no_configs_and_can_be_passed_over_again(tmp_path: Path) -> None:
    rows = "".join(f"Brand number {n},alias{n},Ann\n" for n in range(20_000))
    path = write(tmp_path, "brands.csv", "brand,aliases,owner\n" + rows)
    tracemalloc.start()
    try:
        brands = read_brands(path)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2_000_000, f"{held} bytes held for 20,000 brands: they are read again on each pass"
    assert len(brands) == 20_000
    first = next(iter(brands))
    assert first == Config(brand="Brand number 0", aliases=("alias0",), owners=Owners(default="Ann"))
    assert sum(1 for _ in brands) == 20_000 and next(iter(brands)) == first


@pytest.mark.parametrize(("name", "text"), [("brands.yaml", "- A\n- B\n- C\n"), ("-", "A\nB\nC\n")])
def test_too_many_brands_in_yaml_or_on_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    monkeypatch.setattr(brands, "MAX_BRANDS", 2)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    path = name if name == "-" else write(tmp_path, name, text)
    with pytest.raises(InputError) as caught:
        read_brands(path)
    assert str(caught.value) == f"{'<stdin>' if name == '-' else path}: more than 2 brands"


# --- brands whose handle form cannot be made ---------------------------------------------

NOT_ASCII = (
    "brand '東京' has no ASCII letters or digits: handles on most platforms are ASCII only; "
    "give the brand in Latin letters (its romanised form, e.g. tokyo for 東京)"
)


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("brands.csv", "brand\nAcme\n東京\n", ":3:"),
        ("brands.yaml", "- Acme\n- 東京\n", ":2: brands[1]:"),
        ("-", "Acme\n東京\n", ":2:"),
    ],
)
def test_a_brand_row_without_ascii_letters_says_what_is_supported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, where: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    path = name if name == "-" else write(tmp_path, name, text)
    with pytest.raises((InputError, ConfigError)) as caught:
        read_brands(path)
    assert str(caught.value) == f"{'<stdin>' if name == '-' else path}{where} {NOT_ASCII}"


@pytest.mark.parametrize(
    "argv",
    [
        ["lookalikes", "東京"],
        ["scan", "東京", "--no-db", "--no-progress"],
        ["scan", "--input", "BRANDS", "--out", "OUT"],
    ],
)
def test_every_command_gives_the_same_reason_for_a_brand_without_ascii_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    listed = write(tmp_path, "brands.csv", "brand\n東京\n")
    argv = [{"BRANDS": listed, "OUT": str(tmp_path / "out")}.get(arg, arg) for arg in argv]
    assert main(argv) == 2
    where = f"{listed}:2: " if "--input" in argv else ""
    assert capsys.readouterr().err == f"handlecheck: error: {where}{NOT_ASCII}\n"


def test_a_brand_of_punctuation_alone_is_refused_by_lookalikes_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookalikes", "!!!"]) == 2
    assert capsys.readouterr().err == "handlecheck: error: brand '!!!' has no letters or digits\n"


# --- shards --------------------------------------------------------------------------------


def test_shards_cover_a_list_exactly_once_whatever_its_order(tmp_path: Path) -> None:
    names = [f"Brand {n}" for n in range(200)]
    forward, backward = tmp_path / "a.csv", tmp_path / "b.csv"
    forward.write_text("brand\n" + "\n".join(names) + "\n", encoding="utf-8")
    backward.write_text("brand\n" + "\n".join(reversed(names)) + "\n", encoding="utf-8")
    parts = [[c.brand for c in read_brands(str(forward), Shard(k, 4))] for k in range(1, 5)]
    assert sorted(b for part in parts for b in part) == sorted(names), "every brand once"
    assert all(30 < len(part) < 70 for part in parts), "the parts are about even"
    again = [{c.brand for c in read_brands(str(backward), Shard(k, 4))} for k in range(1, 5)]
    assert again == [set(part) for part in parts], "the order of the list does not matter"
    assert Shard(1, 4).holds("ACME") == Shard(1, 4).holds("acme"), "case is no part of the key"
    assert len(read_brands(str(forward), Shard(2, 4))) == len(parts[1])


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/4/1", ""])
def test_a_shard_is_k_of_n(text: str) -> None:
    with pytest.raises(InputError) as caught:
        Shard.parse(text)
    assert str(caught.value) == f"--shard {text}: not K/N with 1 <= K <= N (e.g. --shard 2/4)"
    assert Shard.parse(" 3 / 4 ") == Shard(3, 4)


def test_scan_shard_takes_its_part_of_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\n" + "\n".join(f"brand{n}" for n in range(12)) + "\n", encoding="utf-8")
    platforms = tmp_path / "none.yaml"
    platforms.write_text(  # one platform, where nothing listens: every check a quick "unknown"
        "version: 1\nplatforms:\n  - id: shut\n    name: Shut\n    priority: low\n    checks:\n"
        '      - request: {url: "http://127.0.0.1:9/{{handle}}"}\n        outcomes:\n'
        "          - verdict: taken\n            matchers: [{type: status, status: [200]}]\n",
        encoding="utf-8",
    )
    seen: list[str] = []
    for k in (1, 2, 3):
        argv = ["scan", "--input", str(brands), "--shard", f"{k}/3", "--out", str(tmp_path / f"out{k}"), "--no-db",
                "--platforms", str(platforms), "--no-progress", "--no-domains", "--format", "json", "--depth", "quick",
                "--workers", "1", "-o", str(tmp_path / "summary.json")]  # fmt: skip
        assert main(argv) == 3, "no platform reached: exit 3, and every report still written"
        assert "no platform could be reached" in capsys.readouterr().err
        seen += [json.loads(p.read_text())["brand"] for p in (tmp_path / f"out{k}").glob("*.json")]
    assert sorted(seen) == sorted(f"brand{n}" for n in range(12))
    capsys.readouterr()
    assert main(["scan", "acme", "--shard", "1/2", "--no-db"]) == 2
    assert capsys.readouterr().err == "handlecheck: error: --shard splits a brand list: it needs --input\n"


def test_lists_and_configs_too_large_to_be_one_are_refused_before_parsing(tmp_path: Path) -> None:
    listed = tmp_path / "brands.yaml"
    listed.write_text("brands:\n" + "  - brand: Acme\n" * (brands.MAX_YAML_BYTES // 16 + 1))
    with pytest.raises(InputError, match=r"brands\.yaml: 8\.0 MiB is more than the 8 MiB a YAML brand list may be"):
        read_brands(str(listed))
    config = tmp_path / "handlecheck.yaml"
    config.write_text("brand: Acme\naliases:\n" + "  - acme\n" * (2**20 // 9 + 1))
    with pytest.raises(ConfigError, match=r"1\.0 MiB is more than the 1 MiB a config file may be"):
        load_config(config)


def test_a_device_is_read_no_further_than_the_cap(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    link = tmp_path / "brands.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match=r"the file is more than the 8 MiB a YAML brand list may be"):
        read_brands(str(link))
