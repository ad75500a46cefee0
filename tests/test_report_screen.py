"""Scan reports through the CLI: the table fits the terminal and colours verdicts, the brand's own
accounts read "ours", the html page has its summary band and links, counted nouns agree."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from handlecheck.cli import main
from tests.conftest import PlatformFile
from tests.simulator import Simulator
from tests.test_scan import PLATFORM, accounts

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_NAME = "A Platform With A Rather Long Name Indeed"


@pytest.fixture
async def world(sim: Simulator, platform_file: PlatformFile) -> Path:
    someone = {"name": "Acme Anvils Ltd", "bio": "We sell anvils"}
    impostor = {"name": "ACME", "bio": "ACME customer support. DM us your order number"}
    sites = {
        "alpha": ("Alpha", "critical", accounts({})),  # free
        "beta": (LONG_NAME, "high", accounts({"acme": someone})),  # someone else's
        "gamma": ("Gamma", "normal", accounts({"acme": {"name": "ACME", "bio": "official"}})),  # ours
        "delta": ("Delta", "high", accounts({"acme_support": impostor})),
        "epsilon": ("Epsilon", "low", accounts({}, down=True)),
    }
    entries = []
    for pid, (name, priority, handler) in sites.items():
        site = await sim.site(handler)
        entry = PLATFORM.replace("$id", pid).replace("$name", name).replace("$priority", priority)
        entries.append(entry.replace("$base", site.base + "/a-long-path-that-makes-every-link-wide-on-screen"))
    return platform_file(*entries)


async def _scan(world: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    argv = ["scan", "Acme", "--platforms", str(world), "--no-db", "--no-progress", "--timeout", "2",
            "--retries", "0", "--depth", "quick", "--owned", "gamma:acme", *extra]  # fmt: skip
    code = await asyncio.to_thread(main, argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


async def test_scan_table_fits_the_terminal(world: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    wide = await _scan(world, capsys)
    assert max(len(line) for line in wide.splitlines()) > 80, "the table has more to show than 80 columns"
    monkeypatch.setenv("COLUMNS", "80")
    narrow = await _scan(world, capsys)
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    assert "register" in narrow and "claim" in narrow and LONG_NAME[:20] in narrow


async def test_check_table_fits_the_terminal(world: Path, capsys, monkeypatch):
    argv = ["check", "acme", "acme_support", "--platforms", str(world), "--no-progress", "--timeout", "2"]
    monkeypatch.setenv("COLUMNS", "200")
    assert await asyncio.to_thread(main, argv) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in wide.splitlines()) > 80, "the table has more to show than 80 columns"
    monkeypatch.setenv("COLUMNS", "80")
    assert await asyncio.to_thread(main, argv) == 0
    narrow = capsys.readouterr().out
    table = [line for line in narrow.splitlines() if not line.startswith("10 checks")]
    assert max(len(line) for line in table) <= 80, narrow
    assert "acme_support" in narrow and "TAKEN" in narrow


async def test_a_table_piped_to_a_file_keeps_every_character(world: Path):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    argv = [sys.executable, "-m", "handlecheck", "check", "acme", "--platforms", str(world), "--no-progress"]
    run = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert max(len(line) for line in run.stdout.splitlines()) > 80, run.stdout


async def test_scan_table_colours_verdicts_with_color_always(world: Path, capsys):
    coloured = await _scan(world, capsys, "--color", "always")
    assert "\x1b[32mavailable\x1b[0m" in coloured and "\x1b[33mtaken\x1b[0m" in coloured
    assert "\x1b[36mours\x1b[0m" in coloured
    plain = await _scan(world, capsys, "--color", "never")
    assert "\x1b" not in plain
    assert ANSI.sub("", coloured).split() == plain.split(), "colour changes no word"


async def test_owned_account_reads_ours_in_the_table_and_the_grid(world: Path, capsys):
    table = await _scan(world, capsys, "--color", "never")
    states = {line.split()[0]: line.split()[-1] for line in table.splitlines() if line.split()[:1] != []}
    assert states["Gamma"] == "ours" and states["Alpha"] == "available" and states["Delta"] == "available"
    page = await _scan(world, capsys, "--format", "html")
    gamma = page.split('<tr data-platform="gamma">')[1].split("</tr>")[0]
    assert '<td class="ours"' in gamma and '<td class="taken"' not in gamma
    beta = page.split('<tr data-platform="beta">')[1].split("</tr>")[0]
    assert '<td class="taken"' in beta, "someone else's name stays taken"


async def test_html_has_a_summary_band_and_linked_profiles(world: Path, capsys):
    page = await _scan(world, capsys, "--format", "html")
    band = page.split('id="summary"')[1].split("</div>\n")[0]
    counts = dict((label, int(n)) for n, label in re.findall(r"<strong>(\d+)</strong>([a-z ]+)</div>", band))
    assert counts == {"to register": 2, "to report": 1, "to claim": 1, "unknown": 1}
    assert re.search(r'profile: <a href="http://127\.0\.0\.1:\d+/[^"]*/@acme_support"', page)
    markdown = await _scan(world, capsys, "--format", "markdown")
    assert re.search(r"  - profile: <http://127\.0\.0\.1:\d+/\S*/@acme_support>", markdown)


async def test_counted_nouns_and_no_alias_sentence_without_an_alias(world: Path, capsys):
    one = await _scan(world, capsys, "--only", "alpha", "--format", "markdown")
    assert "1 platform," in one and "1 platforms" not in one
    assert "alias given here" not in one, "no e-mail alias was given"
    document = json.loads(await _scan(world, capsys, "--format", "json", "--email-domain", "acme.example"))
    register = next(i for i in document["todo"] if i["action"] == "register")
    assert register["email_alias"] and "alias given here" in register["steps"][0]


def test_platforms_validate_counts_and_articles(tmp_path: Path, capsys):
    document = {
        "sites": {
            "Members": {"checkType": "status_code", "url": "https://m.test/{username}",
                        "usernameClaimed": "alice", "usernameUnclaimed": "ghost"},
            "ById": {"type": "orcid", "checkType": "status_code", "url": "https://x.test/{username}",
                     "usernameClaimed": "1", "usernameUnclaimed": "2"},
        }
    }  # fmt: skip
    path = tmp_path / "maigret.json"
    path.write_text(json.dumps(document))
    assert main(["platforms", "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 platform import" in out and "ById: checks an orcid, not a username" in out
