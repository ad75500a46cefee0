"""The runbook: built from the config and the catalogue (and a scan), rendered as markdown, html and
json, printed by `handlecheck runbook` as the library gives it, on one printed page."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

import handlecheck
from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.config import Account, Config, Contact, Owners, load_config
from handlecheck.domain import Owned
from handlecheck.models import Channel, Cost, Help, Offered, Platform, Priority, Reason, Result, Urls, Verdict
from handlecheck.report.markup import md
from handlecheck.report.runbook import render_runbook, runbook_markdown
from handlecheck.report.scan import render_html, render_markdown
from handlecheck.runbook import Standing, build_runbook, describe, flag, scan_runbook
from handlecheck.todo import Gap
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator

WHEN = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
STOLEN = Channel(Offered.LINK, "https://crit.test/hacked")
TAPS = Channel(Offered.IN_APP, how="Profile > Report > Pretending to be someone")
BADGE = Channel(Offered.IN_APP, how="Settings > Verified", cost=Cost.PAID)


def platform(pid: str, priority: Priority = Priority.NORMAL, help: Help | None = None) -> Platform:
    return Platform(pid, pid.title(), (), priority=priority, urls=Urls(f"https://{pid}.test/{{{{handle}}}}"),
                    help=help or Help())  # fmt: skip


CATALOGUE = (
    platform("crit", Priority.CRITICAL, Help(report=TAPS, recovery=STOLEN, verification=BADGE)),
    platform("high", Priority.HIGH, Help(recovery=Channel(Offered.NONE))),
    platform("norm"),
    platform("low", Priority.LOW),
)


def result(pid: str, verdict: Verdict, handle: str = "acme") -> Result:
    reason = Reason.TIMEOUT if verdict is Verdict.UNKNOWN else None
    return Result(handle, pid, verdict, reason, None, 200, 0, "", WHEN)


SECURED = Account("crit", owner="Jane Doe", backup="Sam Lee", two_factor=True, password_manager=True)
NO_2FA = (Gap.BACKUP, Gap.TWO_FACTOR_UNRECORDED)


@pytest.mark.parametrize(
    ("settings", "results", "rows"),
    [
        # Owned accounts first (most important platform first), each with what it lacks.
        ({"owned": (Owned("norm", "acme"), Owned("crit", "acme_hq")), "accounts": (SECURED,)}, [],
         [("crit", "acme_hq", Standing.OWNED, "Jane Doe", ()), ("norm", "acme", Standing.OWNED, None,
                                                                (Gap.OWNER, *NO_2FA))]),
        ({"owned": (Owned("norm", "acme"),), "owners": Owners("Social")}, [],
         [("norm", "acme", Standing.OWNED, "Social", NO_2FA)]),
        ({"owned": (Owned("norm", "acme"),), "accounts": (Account("norm", "Jo", "Al", two_factor=False),)}, [],
         [("norm", "acme", Standing.OWNED, "Jo", (Gap.TWO_FACTOR_OFF,))]),
        # An account recorded but not held: to register, or to claim where a scan found the name taken.
        ({"accounts": (Account("norm", owner="Jo"),)}, [], [("norm", "acme", Standing.TO_REGISTER, "Jo", ())]),
        ({"accounts": (Account("norm", owner="Jo"),)}, [result("norm", Verdict.TAKEN)],
         [("norm", "acme", Standing.TO_CLAIM, "Jo", ())]),
        # A scan's free names on critical and high platforms; not on the others, nor where it is unknown.
        ({}, [result("crit", Verdict.AVAILABLE), result("high", Verdict.UNKNOWN), result("norm", Verdict.AVAILABLE),
              result("low", Verdict.AVAILABLE), result("high", Verdict.AVAILABLE, "acmehq")],
         [("crit", "acme", Standing.TO_REGISTER, None, ())]),
        ({"owned": (Owned("crit", "acme"),)}, [result("crit", Verdict.AVAILABLE)],
         [("crit", "acme", Standing.OWNED, None, (Gap.OWNER, *NO_2FA))]),
        # An account on a platform the catalogue lacks is kept, with nothing recorded about its help.
        ({"owned": (Owned("forum", "acme"), Owned("forum", "acme"))}, [],
         [("forum", "acme", Standing.OWNED, None, (Gap.OWNER, *NO_2FA))]),
        ({}, [], []),
    ],
)  # fmt: skip
def test_build_runbook_rows(settings: dict[str, object], results: list[Result], rows: list[tuple[object, ...]]) -> None:
    config = Config(brand="Acme", **settings)  # type: ignore[arg-type]
    book = build_runbook(config, CATALOGUE, results)
    assert [(r.platform, r.handle, r.standing, r.owner, r.gaps) for r in book.rows] == rows


def test_a_row_carries_the_records_and_the_platforms_help() -> None:
    jane = Contact("Jane Doe", "Head of social", phone="+1 555 0100")
    config = Config(brand="Acme", owned=(Owned("crit", "acme"),), email_domain="acme.example", accounts=(SECURED,),
                    contacts=(jane,), source="hc.yaml")  # fmt: skip
    book = build_runbook(config, CATALOGUE, scanned_at=WHEN)
    (row,) = book.rows
    assert (row.backup, row.email, row.two_factor, row.password_manager) == ("Sam Lee", "social+crit@acme.example",
                                                                             True, True)  # fmt: skip
    assert (row.recovery, row.report, row.verification) == (STOLEN, TAPS, BADGE)
    assert (book.contacts, book.source, book.scanned_at) == (config.contacts, "hc.yaml", WHEN)
    assert book.to_dict()["accounts"][0]["verification"] == {
        "offered": "in-app", "url": None, "how": "Settings > Verified", "cost": "paid"}  # fmt: skip


@pytest.mark.parametrize(
    ("channel", "cost", "text"),
    [
        (Channel(), False, "not recorded"),
        (Channel(Offered.NONE), True, "none public"),
        (STOLEN, False, ""),
        (Channel(Offered.LINK, "https://x.test", "use the form", Cost.FREE), True, "use the form (free)"),
        (Channel(Offered.LINK, "https://x.test", "", Cost.FREE), True, "free"),
        (Channel(Offered.LINK, "https://x.test", "use the form", Cost.FREE), False, "use the form"),
        (TAPS, False, "in the app: Profile > Report > Pretending to be someone"),
        (Channel(Offered.IN_APP), False, "in the app"),
        (BADGE, True, "in the app: Settings > Verified (paid)"),
        (Channel(Offered.IN_APP, how="Settings", cost=Cost.UNKNOWN), True, "in the app: Settings"),
    ],
)
def test_describe_a_channel(channel: Channel, cost: bool, text: str) -> None:
    assert describe(channel, cost=cost) == text


def test_flag_words() -> None:
    assert [flag(True), flag(False), flag(None), flag(False, "on", "OFF")] == ["yes", "NO", "not recorded", "OFF"]


def test_markdown_says_what_is_not_recorded_and_escapes_the_config() -> None:
    hostile = Account("crit", owner="<img src=x onerror=alert(1)> | [x](http://evil.test)")
    config = Config(brand="Acme", owned=(Owned("crit", "acme"), Owned("high", "acme")), accounts=(hostile,))
    text = runbook_markdown(build_runbook(config, CATALOGUE))
    assert text.startswith("# Runbook: Acme\n")
    assert "None recorded: add `contacts:` to the config" in text
    assert "  - stolen account: <https://crit.test/hacked>\n" in text
    assert "  - impersonator: in the app: Profile \\> Report \\> Pretending to be someone\n" in text
    assert "  - verification: in the app: Settings \\> Verified (paid)\n" in text
    assert "  - stolen account: none public\n  - impersonator: not recorded\n" in text, "the high platform's"
    assert "\\<img" in text and " \\| " in text and "\\[x\\]" in text
    assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(|(?<!\\)\| \\\[", text), "no HTML, link or cell of the owner's"
    assert "  - **missing:** no backup owner recorded; two-factor authentication not recorded as on" in text
    assert runbook_markdown(build_runbook(config, CATALOGUE), level=2).startswith("## Runbook: Acme\n\n")


# --- the command line and the library ------------------------------------------------------------

PLATFORMS = """\
version: 1
platforms:
  - id: instagram
    name: Instagram
    priority: critical
    urls:
      profile: "https://www.instagram.com/{{handle}}/"
      report: "https://help.instagram.com/contact/636276399721841"
      recovery: "https://www.instagram.com/hacked/"
    verification: {url: in-app, how: "Settings > Accounts Center > Meta Verified", cost: paid}
    checks: [{request: {url: "http://127.0.0.1:9/{{handle}}"}, outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]}]
  - id: tiktok
    name: TikTok
    priority: critical
    urls: {profile: "https://www.tiktok.com/@{{handle}}", report: in-app, recovery: none}
    taps: {report: "Profile > ... > Report > Pretending to be someone"}
    checks: [{request: {url: "http://127.0.0.1:9/{{handle}}"}, outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]}]
  - id: github
    name: GitHub
    priority: high
    urls: {profile: "https://github.com/{{handle}}"}
    verification: {url: "https://docs.github.com/en/organizations/managing-organization-settings/verifying-or-approving-a-domain-for-your-organization", how: "verify the organisation's domain (a DNS TXT record)", cost: free}
    checks: [{request: {url: "http://127.0.0.1:9/{{handle}}"}, outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]}]
"""  # noqa: E501

CONFIG = """\
brand: Acme
owned:
  instagram: acme
  github: acme
email_domain: acme.example
owners: {default: Social media team}
accounts:
  instagram: {owner: Jane Doe, backup: Sam Lee, two_factor: true, password_manager: true}
  github: {owner: Priya Natarajan, two_factor: false}
  tiktok: {owner: Jane Doe}
contacts:
  - {name: Jane Doe, role: Head of social media, email: jane@acme.example, phone: "+1 555 0100"}
  - {name: Security desk, role: Incident response (24/7), phone: "+1 555 0199"}
platforms:
  file: $platforms
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    platforms = tmp_path / "platforms.yaml"
    platforms.write_text(PLATFORMS, encoding="utf-8")
    path = tmp_path / "handlecheck.yaml"
    path.write_text(CONFIG.replace("$platforms", str(platforms)), encoding="utf-8")
    return path


def test_cli_runbook_markdown_from_the_nearest_config(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config_file.parent)
    assert main(["runbook"]) == 0
    out = capsys.readouterr().out
    accounts = [line for line in out.splitlines() if line.startswith("| ") and "acme |" in line]
    assert accounts == [
        "| Instagram | acme | owned | Jane Doe | Sam Lee | social+instagram@acme.example | on | yes |",
        "| GitHub | acme | owned | Priya Natarajan | not recorded | social+github@acme.example | OFF | not recorded |",
        "| TikTok | acme | to register | Jane Doe | not recorded | social+tiktok@acme.example | not recorded "
        "| not recorded |",
    ]
    assert "| Security desk | Incident response (24/7) |  | +1 555 0199 |" in out
    assert "  - stolen account: none public\n  - impersonator: in the app: Profile \\> ... \\> Report" in out
    assert f"From {md(str(config_file))} and the platform catalogue." in out


def test_cli_runbook_json_is_the_librarys_runbook(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runbook.json"
    assert main(["runbook", "--config", str(config_file), "--format", "json", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    document = json.loads(out.read_text("utf-8"))
    assert document == handlecheck.runbook(config=config_file).to_dict()
    assert out.read_text("utf-8") == handlecheck.render_runbook(handlecheck.runbook(config=config_file), "json")
    github = next(a for a in document["accounts"] if a["platform"] == "github")
    assert (github["two_factor"], github["missing"]) == (False, ["backup", "two-factor off"])
    assert github["verification"]["url"].startswith("https://docs.github.com/")
    assert [c["name"] for c in document["contacts"]] == ["Jane Doe", "Security desk"]


def test_cli_runbook_for_another_brand_leaks_none_of_the_configs_accounts(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runbook", "Globex", "--config", str(config_file), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert (document["brand"], document["accounts"], document["contacts"]) == ("Globex", [], [])
    for leak in ("Jane", "Sam Lee", "acme.example", "Security desk", "+1 555"):
        assert leak not in out
    assert "its owned, email_domain, owners, accounts, contacts are left out" in err
    assert handlecheck.runbook("Globex", config=config_file).rows == ()
    assert len(handlecheck.runbook("ACME", config=config_file).rows) == 3, "the same brand keeps it all"


@pytest.mark.parametrize(
    ("setting", "line", "where", "wrong", "right"),
    [
        ("accounts:\n  instagam: {owner: Jane}\n", 3, "accounts.instagam", "instagam", "instagram"),
        ("owned: {tiktok: acme}\naccounts:\n  tiktok: {}\n  githb: {}\n", 5, "accounts.githb", "githb", "github"),
    ],
)
def test_cli_runbook_refuses_a_misspelt_account_platform(
    config_file: Path, capsys: pytest.CaptureFixture[str], setting: str, line: int, where: str, wrong: str, right: str
) -> None:
    path = config_file.parent / "wrong.yaml"
    path.write_text(f"brand: Acme\n{setting}", encoding="utf-8")
    platforms = str(config_file.parent / "platforms.yaml")
    assert main(["runbook", "--config", str(path), "--platforms", platforms]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"handlecheck: error: {path}:{line}: {where}: unknown platform id {wrong!r} (did you mean {right!r}?)"
    ]
    with pytest.raises(handlecheck.ConfigError, match=rf":{line}: {where}: unknown platform id"):
        handlecheck.runbook(config=load_config(path), platforms=None)


def test_cli_runbook_needs_a_brand_or_a_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["runbook"]) == 2
    assert "no brand: give one (handlecheck runbook acme)" in capsys.readouterr().err
    assert main(["runbook", "Acme"]) == 0
    assert "None recorded: add `owned:` and `accounts:`" in capsys.readouterr().out


async def test_cli_runbook_with_db_lists_what_the_latest_scan_found_free(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = await sim.site(behave.profiles({"acme"}))
    free = await sim.site(behave.profiles(set()))
    world = platform_file(
        profile_entry("ours", site.base, extra="priority: critical"),
        profile_entry("open", free.base, extra="priority: high"),
        profile_entry("minor", free.base, extra="priority: low"),
    )
    config = tmp_path / "acme.yaml"
    config.write_text(f"brand: Acme\nowned: {{ours: acme}}\nplatforms: {{file: {world}}}\n", encoding="utf-8")
    db = str(tmp_path / "history.sqlite")
    scan = ["scan", "--config", str(config), "--db", db, "--depth", "quick", "--no-progress", "--timeout", "2"]
    assert await asyncio.to_thread(main, [*scan, "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["runbook", "--config", str(config), "--db", db, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(a["platform"], a["state"]) for a in document["accounts"]] == [("ours", "owned"), ("open", "to register")]
    assert document["scanned_at"] is not None
    assert main(["runbook", "Globex", "--db", db]) == 2
    assert "no scans of Globex in the history" in capsys.readouterr().err


# --- in the scan's reports ------------------------------------------------------------------------


async def test_the_scan_reports_carry_the_runbook_section(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path
) -> None:
    site = await sim.site(behave.profiles({"acme"}))
    badge = 'verification: {url: "https://ours.test/verify", how: "add a DNS record", cost: free}'
    world = platform_file(profile_entry("ours", site.base, extra=f"priority: high\n      {badge}"))
    config = Config(brand="Acme", owned=(Owned("ours", "acme"),), accounts=(Account("ours", owner="Jane Doe"),),
                    contacts=(Contact("Security desk", phone="+1 555 0199"),))  # fmt: skip
    report = await handlecheck.scan(config=config, platforms=world, options=HttpOptions(timeout=2, retries=0))
    assert [(i.action, i.reason) for i in report.todo if i.action in ("secure", "verify")] == [
        ("secure", "no backup owner recorded; two-factor authentication not recorded as on"),
        ("verify", "get the verified badge or domain handle on its verification page (free)"),
    ]
    book = scan_runbook(config, report)
    assert book.scanned_at == report.started_at
    markdown = render_markdown(report, book)
    assert markdown.startswith(render_markdown(report)), "the scan's report, then the runbook"
    section = markdown.split("\n## Runbook: Acme\n")[1]
    assert "### Emergency contacts" in section and "| Security desk |  |  | +1 555 0199 |" in section
    assert "| ours | acme | owned | Jane Doe | not recorded |" in section
    page = render_html(report, book)
    assert 'id="runbook"' in page and "<h2>Runbook: Acme</h2>" in page and 'id="runbook"' not in render_html(report)
    assert '<a href="https://ours.test/verify" rel="noopener noreferrer">' in page.split('id="runbook"')[1]


# --- the printed page ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?!s)")


def _chromium(tmp_path: Path, page: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *flags, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _printed_pages(tmp_path: Path, page: Path) -> int:
    pdf = tmp_path / f"{page.stem}.pdf"
    run = _chromium(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.is_file(), run.stderr[-2000:]
    return len(PAGE_OBJECT.findall(pdf.read_bytes()))


def _big_config(accounts: int) -> Config:
    catalogue = handlecheck.load_platforms()
    ids = [p.id for p in catalogue][:accounts]
    records = tuple(Account(pid, owner=f"Owner {n}", backup="Sam Lee", two_factor=n % 3 != 0) for n, pid in
                    enumerate(ids))  # fmt: skip
    contacts = (Contact("Jane Doe", "Head of social media", "jane@acme.example", "+1 555 0100"),
                Contact("Security desk", "Incident response (24/7)", phone="+1 555 0199"),
                Contact("Outside counsel", "Trademark claims", "legal@firm.example"))  # fmt: skip
    return Config(brand="Acme", owned=tuple(Owned(pid, "acme") for pid in ids), email_domain="acme.example",
                  accounts=records, contacts=contacts)  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_html_runbook_renders_and_prints_on_one_page(config_file: Path, tmp_path: Path) -> None:
    """A browser shows the contacts and each row's owner; printed, a brand's dozen accounts fit one
    landscape sheet (and five dozen do not: the count can fail). SCREENSHOT=path keeps a picture."""
    page = tmp_path / "runbook.html"
    assert main(["runbook", "--config", str(config_file), "--format", "html", "-o", str(page)]) == 0
    dom = _chromium(tmp_path, page, "--dump-dom").stdout
    assert dom.count('<tr class="contact">') == 2 and "<td>+1 555 0199</td>" in dom
    github = dom.split('<tr class="account" data-platform="github">')[1].split("</tr>")[0]
    assert '<td class="">Priya Natarajan</td>' in github and '<td class=" warn">OFF</td>' in github
    assert '<span class="missing">missing: backup owner, 2FA (off)</span>' in github
    assert "<script" not in dom
    shot = Path(os.environ.get("SCREENSHOT") or tmp_path / "runbook.png").resolve()
    run = _chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1400,900", "--hide-scrollbars")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", run.stderr[-2000:]
    assert _printed_pages(tmp_path, page) == 1
    dozen, many = tmp_path / "dozen.html", tmp_path / "many.html"
    dozen.write_text(render_runbook(build_runbook(_big_config(12), handlecheck.load_platforms()), "html"))
    many.write_text(render_runbook(build_runbook(_big_config(60), handlecheck.load_platforms()), "html"))
    assert _printed_pages(tmp_path, dozen) == 1
    assert _printed_pages(tmp_path, many) > 1
