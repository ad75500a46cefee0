"""Agencies and CI: history, diff, --fail-on, baselines, junit, bulk runs killed and resumed."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from aiohttp import web

from handlecheck.cli import main
from handlecheck.report.bulk import report_file_name
from handlecheck.store.history import History
from tests.conftest import PlatformFile
from tests.simulator import Simulator

PLATFORM = """
- id: $id
  name: $id
  priority: $priority
  handle: {pattern: "^[a-z0-9_]{3,20}$$"}
  urls: {profile: "$base/@{{handle}}", signup: "$base/signup", report: "$base/report"}
  profile:
    request: {url: "$base/profile/{{handle}}"}
    fields: {display_name: {type: json, path: name}, bio: {type: json, path: bio}}
  checks:
    - request: {url: "$base/api/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers: [{type: status, status: [200]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""
IMPERSONATOR = {"name": "ACME", "bio": "ACME support: DM us your order number"}


class World:
    """Simulated platforms whose accounts a test can change between scans."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, dict[str, str]]] = {}
        self.hits: Counter[str] = Counter()
        self.delay = 0.0
        self.down: set[str] = set()

    def handler(self, pid: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        self.accounts[pid] = {}

        async def handle(request: web.Request) -> web.Response:
            if pid in self.down:
                return web.Response(status=503)
            kind, name = request.path.strip("/").split("/")[-2:]
            if kind == "api":
                self.hits[f"{pid}/{name}"] += 1
                if self.delay:
                    await asyncio.sleep(self.delay)
            found = self.accounts[pid].get(name)
            return web.json_response(found) if found else web.json_response({}, status=404)

        return handle


@pytest.fixture
async def world(sim: Simulator, platform_file: PlatformFile) -> tuple[World, Path]:
    state = World()
    entries = []
    for pid, priority in (("alpha", "critical"), ("beta", "high"), ("gamma", "normal")):
        site = await sim.site(state.handler(pid))
        entries.append(PLATFORM.replace("$id", pid).replace("$priority", priority).replace("$base", site.base))
    return state, platform_file(*entries)


def scan_argv(platforms: Path, db: Path, *extra: str) -> list[str]:
    fixed = ["--depth", "quick", "--no-progress", "--timeout", "3", "--retries", "0", "--format", "json"]
    return [
        "scan",
        "acme",
        "--platforms",
        str(platforms),
        "--db",
        str(db),
        *fixed,
        "-o",
        str(db.parent / "out.json"),
        *extra,
    ]


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_new_impersonator_fails_the_second_scan(world: tuple[World, Path], tmp_path: Path, capsys):
    state, platforms = world
    db = tmp_path / "history.sqlite"
    assert await cli(*scan_argv(platforms, db, "--fail-on", "new-lookalike")) == 0
    state.accounts["beta"]["acme_support"] = IMPERSONATOR
    capsys.readouterr()
    assert await cli(*scan_argv(platforms, db, "--fail-on", "new-lookalike", "--max-age", "0")) == 1
    err = capsys.readouterr().err
    assert "new lookalike acme_support on beta" in err
    assert await cli(*scan_argv(platforms, db, "--fail-on", "new-lookalike", "--max-age", "0")) == 0, "no longer new"
    assert await cli(*scan_argv(platforms, db, "--fail-on", "lookalike", "--max-age", "0")) == 1, "still there"


async def test_a_name_that_became_taken_shows_in_diff(world: tuple[World, Path], tmp_path: Path, capsys):
    state, platforms = world
    db = tmp_path / "history.sqlite"
    assert await cli(*scan_argv(platforms, db)) == 0
    state.accounts["gamma"]["acme"] = {"name": "Someone"}
    assert await cli(*scan_argv(platforms, db, "--max-age", "0", "--fail-on", "changed")) == 1
    capsys.readouterr()
    assert await cli("diff", "acme", "--db", str(db), "--format", "json") == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert {"kind": "name-taken", "platform": "gamma", "handle": "acme"}.items() <= changes[0].items()
    assert await cli("history", "acme", "--db", str(db)) == 0
    assert capsys.readouterr().out.count("done") == 2
    assert await cli("diff", "acme", "--db", str(db), "--since", "2000-01-01") == 2


async def test_baseline_file_instead_of_the_database(world: tuple[World, Path], tmp_path: Path, capsys):
    state, platforms = world
    baseline = tmp_path / "baseline.json"
    common = ["--no-db", "--baseline", str(baseline), "--fail-on", "new-lookalike"]
    assert await cli(*scan_argv(platforms, tmp_path / "x.sqlite", *common, "--update-baseline")) == 0
    assert json.loads(baseline.read_text())["brand"] == "acme"
    state.accounts["alpha"]["acme_support"] = IMPERSONATOR
    assert await cli(*scan_argv(platforms, tmp_path / "x.sqlite", *common)) == 1
    assert "acme_support on alpha" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists(), "--no-db keeps no history"


async def test_junit_has_a_case_per_platform_and_fails_where_action_is_needed(
    world: tuple[World, Path], tmp_path: Path
):
    state, platforms = world
    state.accounts["beta"]["acme"] = {"name": "Someone"}
    out = tmp_path / "junit.xml"
    argv = scan_argv(platforms, tmp_path / "h.sqlite")
    argv[argv.index("json")] = "junit"
    argv[argv.index("-o") + 1] = str(out)
    assert await cli(*argv) == 0
    suite = ElementTree.parse(out).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "acme" and suite.get("tests") == "3"
    failures = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    assert all(f is not None for f in failures.values()), "register on alpha and gamma, claim on beta"
    assert "claim" in (failures["beta"].get("message") or "")  # type: ignore[union-attr]


async def test_too_many_unknowns_is_incomplete_and_exits_3(world: tuple[World, Path], tmp_path: Path, capsys):
    state, platforms = world
    state.down = {"alpha", "beta"}
    assert await cli(*scan_argv(platforms, tmp_path / "h.sqlite")) == 3
    assert "incomplete" in capsys.readouterr().err
    assert json.loads((tmp_path / "out.json").read_text())["summary"]["incomplete"] is True


async def _run(*argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlecheck", *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def test_bulk_run_killed_and_rerun_finishes_without_asking_twice(world: tuple[World, Path], tmp_path: Path):
    state, platforms = world
    state.delay = 0.02
    brands = tmp_path / "brands.csv"
    brands.write_text(
        "brand,aliases,owned,email_domain,owner\nAcme,,,acme.example,Ann\nGlobex,globexhq,,,\nInitech,,,,\n"
    )
    db = tmp_path / "agency.sqlite"
    argv = ["scan", "--input", str(brands), "--out", str(tmp_path / "reports"), "--platforms", str(platforms),
            "--db", str(db), "--depth", "quick", "--no-progress", "--timeout", "5", "--retries", "0",
            "--host-concurrency", "1"]  # fmt: skip
    first = await _run(*argv)
    with History(db) as history:
        for _ in range(400):
            await asyncio.sleep(0.05)
            stored = sum(history.count_results(s.id) for b in ("Acme", "Globex") for s in history.scans(b))
            if stored >= 15:
                break
    first.send_signal(signal.SIGKILL)
    await first.wait()
    with History(db) as history:
        scans = {b: history.scans(b) for b in ("Acme", "Globex", "Initech")}
        before = {(s.brand, r.platform, r.handle) for b in scans for s in scans[b] for r in history.results(s.id)}
        assert before, "results were written as they arrived"
        assert all(s.status == "running" for b in scans for s in scans[b])
    hits_before = Counter(state.hits)
    second = await _run(*argv)
    _, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 0, err.decode()
    with History(db) as history:
        for brand in ("Acme", "Globex", "Initech"):
            latest = history.scans(brand)
            assert len(latest) == 1 and latest[0].status == "done", "the killed scan was resumed, not restarted"
            pairs = [(r.platform, r.handle) for r in history.results(latest[0].id)]
            assert len(pairs) == len(set(pairs)), "every result exactly once"
    asked_again = [
        (brand, platform, handle)
        for brand, platform, handle in before
        if state.hits[f"{platform}/{handle}"] > hits_before[f"{platform}/{handle}"]
    ]
    assert not asked_again, f"fresh stored answers were asked again: {asked_again[:5]}"
    files = sorted(report_file_name(brand, "txt") for brand in ("Acme", "Globex", "Initech"))
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == files


async def test_two_processes_share_one_database(world: tuple[World, Path], tmp_path: Path):
    _, platforms = world
    db = tmp_path / "shared.sqlite"
    runs = [
        await _run("scan", brand, "--platforms", str(platforms), "--db", str(db), "--depth", "quick", "--no-progress",
                   "--timeout", "5", "--retries", "0", "--format", "json", "-o", str(tmp_path / f"{brand}.json"))
        for brand in ("acme", "globex")
    ]  # fmt: skip
    outputs = await asyncio.wait_for(asyncio.gather(*(run.communicate() for run in runs)), timeout=120)
    assert [run.returncode for run in runs] == [0, 0], [err.decode()[-500:] for _, err in outputs]
    with History(db) as history:
        assert [s.status for s in history.scans("acme") + history.scans("globex")] == ["done", "done"]


async def test_ctrl_c_during_a_scan_writes_the_partial_report(world: tuple[World, Path], tmp_path: Path):
    state, platforms = world
    state.delay = 0.3
    out = tmp_path / "partial.json"
    db = tmp_path / "h.sqlite"
    process = await _run("scan", "acme", "--platforms", str(platforms), "--db", str(db), "--depth", "deep",
                         "--no-progress", "--timeout", "10", "--host-concurrency", "1", "--format", "json",
                         "-o", str(out))  # fmt: skip
    with History(db) as history:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if any(history.count_results(s.id) >= 3 for s in history.scans("acme")):
                break
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 130, err.decode()[-800:]
    assert b"Traceback" not in err and b"interrupted" in err
    partial = json.loads(out.read_text())
    assert partial["brand"] == "acme" and len(partial["results"]) >= 3
    with History(db) as history:
        assert history.scans("acme")[0].status == "running", "left resumable"


async def test_one_scan_writes_several_formats(world: tuple[World, Path], tmp_path: Path):
    state, platforms = world
    state.accounts["alpha"]["acme_support"] = IMPERSONATOR
    db = tmp_path / "h.sqlite"
    reports = [f"{fmt}={tmp_path / ('one.' + ext)}" for fmt, ext in (("markdown", "md"), ("junit", "xml"))]
    assert await cli(*scan_argv(platforms, db, *(f"--report={r}" for r in reports))) == 0
    hits = sum(state.hits.values())
    for fmt, ext in (("markdown", "md"), ("junit", "xml")):  # the same scan again (its answers are fresh)
        argv = scan_argv(platforms, db)
        argv[argv.index("json")] = fmt
        argv[argv.index("-o") + 1] = str(tmp_path / f"alone.{ext}")
        assert await cli(*argv) == 0
        assert (tmp_path / f"one.{ext}").read_text() == (tmp_path / f"alone.{ext}").read_text()
    assert sum(state.hits.values()) == hits, "the separate runs recalled the first one's answers"
    assert json.loads((tmp_path / "out.json").read_text())["brand"] == "acme"
    assert "acme_support" in (tmp_path / "one.md").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--report", "markdown=r.md", "--report", "junit=r.md"], "--report junit=r.md: r.md is already written"),
        (["--report", "markdown=OUT"], "is already written by this scan"),
        (
            ["--report", "pdf=r.pdf"],
            "--report pdf=r.pdf: 'pdf' is not a scan format: choose from table, markdown, json",
        ),
        (["--report", "report.md"], "--report report.md: not FORMAT=PATH"),
    ],
)
def test_a_bad_report_option_is_one_line(tmp_path: Path, capsys, extra: list[str], message: str):
    out = str(tmp_path / "out.json")
    argv = ["scan", "acme", "--no-db", "--proxy", "http://127.0.0.1:9", "-o", out]  # a request could go nowhere
    assert main([*argv, *(arg.replace("OUT", out) for arg in extra)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("handlecheck: error: --report ") and message in line
    assert not (tmp_path / "out.json").exists(), "refused before any request"


def test_report_is_refused_with_input(tmp_path: Path, capsys):
    brands = tmp_path / "brands.csv"
    brands.write_text("brand\nAcme\n")
    argv = ["scan", "--input", str(brands), "--out", str(tmp_path), "--report", f"json={tmp_path / 'a.json'}"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["handlecheck: error: --report is for one brand; with --input the per-brand reports go in --out DIR"]
