"""Many brands in one run, on simulated platforms: an outcome per brand, history recall, policies."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import socket
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aiohttp import web

from handlecheck.cli import main
from handlecheck.config import Config
from handlecheck.domain import Depth, Owned
from handlecheck.errors import InputError
from handlecheck.models import Platform, Result, Verdict
from handlecheck.net.http import HttpOptions
from handlecheck.pipeline.bulk import BRANDS_AT_ONCE, BrandOutcome, BulkScan
from handlecheck.pipeline.hunt import candidate_pairs
from handlecheck.policy import Change, ChangeKind, FailOn, Snapshot
from handlecheck.registry import load_platforms
from handlecheck.report.bulk import report_file_name
from handlecheck.store.history import History
from handlecheck.todo import variants
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Handler, Simulator, Site, profiles

OPTIONS = HttpOptions(timeout=3, retries=0, host_concurrency=8)
HOUR = timedelta(hours=1)


@dataclass
class Agency:
    """Two simulated platforms whose accounts a test may change between runs."""

    platforms: tuple[Platform, ...]
    sites: dict[str, Site]
    taken: dict[str, set[str]]

    @property
    def requests(self) -> int:
        return sum(site.requests for site in self.sites.values())


@pytest.fixture
async def agency(sim: Simulator, platform_file: PlatformFile) -> Agency:
    # "acrne" (m -> rn) is among the first lookalikes of "acme" that a quick scan checks on alpha.
    taken = {"alpha": {"acrne", "acmeold_x"}, "beta": {"acme"}}
    sites = {pid: await sim.site(profiles(names)) for pid, names in taken.items()}
    path = platform_file(
        profile_entry("alpha", sites["alpha"].base, extra="priority: critical"),
        profile_entry("beta", sites["beta"].base, extra="priority: high"),
    )
    return Agency(load_platforms(path), sites, taken)


def brand(name: str, **settings: Any) -> Config:
    """A brand scanned at quick depth; report_risk 40 makes an account found by its handle alone
    (a homoglyph: risk 45) an impersonator worth reporting."""
    return Config(brand=name, depth=Depth.QUICK, report_risk=40, **settings)


async def run(bulk: BulkScan, configs: Iterable[Config]) -> dict[str, BrandOutcome]:
    outcomes: dict[str, BrandOutcome] = {}
    async for outcome in bulk.run(configs):
        assert outcome.report.brand not in outcomes, "one outcome per brand"
        outcomes[outcome.report.brand] = outcome
    return outcomes


def verdicts(outcome: BrandOutcome) -> dict[tuple[str, str], Verdict]:
    return {(r.platform, r.handle): r.verdict for r in outcome.report.results}


async def test_every_brand_gets_one_outcome_with_one_result_per_pair(agency: Agency) -> None:
    names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Wonka"]
    assert len(names) > BRANDS_AT_ONCE, "more brands than are scanned at once"
    configs = [brand(n) for n in names]
    configs[0] = brand("Acme", aliases=("acmecorp",), owned=(Owned("alpha", "acmeold_x"),))
    outcomes = await run(BulkScan(agency.platforms, options=OPTIONS), iter(configs))
    assert sorted(outcomes) == sorted(names)
    for config in configs:
        results = outcomes[config.brand].report.results
        pairs = [(r.platform, r.handle) for r in results]
        expected = {(p.id, h) for h in variants(config.brand, config.aliases) for p in agency.platforms}
        expected |= {(o.platform, o.handle) for o in config.owned}
        assert len(pairs) == len(set(pairs)), f"{config.brand}: a pair answered twice"
        assert set(pairs) == expected, config.brand
        assert outcomes[config.brand].config is config
    acme = verdicts(outcomes["Acme"])
    assert (acme["alpha", "acme"], acme["beta", "acme"], acme["alpha", "acmeold_x"]) == (
        Verdict.AVAILABLE,
        Verdict.TAKEN,
        Verdict.TAKEN,
    )
    assert [(f.platform, f.handle) for f in outcomes["Acme"].report.findings] == [("alpha", "acrne")]
    assert all(o.violations == () and o.changes == () for o in outcomes.values()), "no policy, no history"


async def test_each_result_is_handed_over_as_it_arrives(agency: Agency) -> None:
    seen: list[Result] = []
    outcomes = await run(BulkScan(agency.platforms, options=OPTIONS, on_result=seen.append), [brand("Acme")])
    report = outcomes["Acme"].report
    assert len(seen) == len(report.results) + report.lookalike_checks, "the brand's pairs and the lookalikes"
    assert set(report.results) <= set(seen)


async def test_history_recall_avoids_asking_a_server_twice_within_max_age(agency: Agency, tmp_path: Path) -> None:
    configs = [brand("Acme"), brand("Globex")]
    with History(tmp_path / "h.sqlite") as history:
        first = await run(BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=HOUR), configs)
        asked = agency.requests
        assert asked > 0
        second = await run(BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=HOUR), configs)
        assert agency.requests == asked, "every answer was recalled from the history"
        for name in ("Acme", "Globex"):
            assert verdicts(second[name]) == verdicts(first[name])
            scans = history.scans(name)
            assert [s.status for s in scans] == ["done"], "a rerun within max_age continues the scan: no copy"
            report = first[name].report
            asked_for = {(r.platform, r.handle) for r in report.results}
            asked_for |= {(p.id, c.handle) for c, p in candidate_pairs(name, agency.platforms, Depth.QUICK)}
            assert scans[0].results == len(asked_for), "every answer stored, a variant that is a lookalike once"
        assert [(f.platform, f.handle) for f in second["Acme"].report.findings] == [("alpha", "acrne")]
        await run(BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0)), configs)
        assert agency.requests == 2 * asked, "answers older than max_age are asked again"
        assert [len(history.scans(name)) for name in ("Acme", "Globex")] == [2, 2], "into a scan of their own"


async def test_new_lookalike_policy_fails_on_impersonators_not_seen_before(agency: Agency, tmp_path: Path) -> None:
    configs = [brand("Acme"), brand("Globex")]
    policies = frozenset({FailOn.NEW_LOOKALIKE})
    with History(tmp_path / "h.sqlite") as history:

        def bulk() -> BulkScan:
            return BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0), policies=policies)

        first = await run(bulk(), configs)
        assert first["Acme"].violations == ("Acme: new lookalike acrne on alpha (impersonator, risk 45)",)
        assert first["Acme"].changes == (
            Change(ChangeKind.NEW_LOOKALIKE, "alpha", "acrne", None, "impersonator, risk 45"),
        )
        assert first["Globex"].violations == ()
        second = await run(bulk(), configs)
        assert second["Acme"].violations == (), "seen in the previous scan: not new"
        agency.taken["alpha"].add("4cme")
        third = await run(bulk(), configs)
        assert third["Acme"].violations == ("Acme: new lookalike 4cme on alpha (impersonator, risk 45)",)


async def test_new_lookalike_without_history_counts_every_lookalike_as_new(agency: Agency) -> None:
    bulk = BulkScan(agency.platforms, options=OPTIONS, policies=frozenset({FailOn.NEW_LOOKALIKE}))
    outcomes = await run(bulk, [brand("Acme")])
    assert outcomes["Acme"].violations == ("Acme: new lookalike acrne on alpha (impersonator, risk 45)",)
    below = await run(
        BulkScan(agency.platforms, options=OPTIONS, policies=frozenset({FailOn.NEW_LOOKALIKE})),
        [Config(brand="Acme", depth=Depth.QUICK)],
    )
    assert below["Acme"].violations == (), "risk 45 is under the default report_risk of 50"


async def test_available_policy_names_where_the_name_is_free(agency: Agency) -> None:
    bulk = BulkScan(agency.platforms, options=OPTIONS, policies=frozenset({FailOn.AVAILABLE}))
    outcomes = await run(bulk, [brand("Acme"), brand("Globex")])
    assert outcomes["Acme"].violations == ("Acme: the name is free on 1 platform (alpha)",)
    assert outcomes["Globex"].violations == ("Globex: the name is free on 2 platforms (alpha, beta)",)
    assert outcomes["Acme"].changes == (), "no baseline and no history: nothing to compare"


async def test_changes_are_against_the_baseline_when_one_is_given(agency: Agency, tmp_path: Path) -> None:
    baseline = Snapshot(
        "Acme", {("beta", "acme"): "available", ("alpha", "acme"): "available"}, {("alpha", "acrne"): ("fan", 5)}
    )
    with History(tmp_path / "h.sqlite") as history:
        bulk = BulkScan(
            agency.platforms, options=OPTIONS, history=history, baseline=baseline, policies=frozenset({FailOn.CHANGED})
        )
        outcomes = await run(bulk, [brand("Acme")])
    assert outcomes["Acme"].changes == (Change(ChangeKind.NAME_TAKEN, "beta", "acme", "available", "taken"),)
    assert outcomes["Acme"].violations == ("Acme: acme on beta was available and is now taken: someone took the name",)
    assert outcomes["Acme"].snapshot == Snapshot.from_report(outcomes["Acme"].report)


async def test_history_comparison_can_be_turned_off(agency: Agency, tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as history:
        await run(BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0)), [brand("Acme")])
        agency.taken["alpha"].add("acme")
        compared = BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0))
        changes = (await run(compared, [brand("Acme")]))["Acme"].changes
        assert changes == (Change(ChangeKind.NAME_TAKEN, "alpha", "acme", "available", "taken"),)
        agency.taken["alpha"].discard("acme")
        blind = BulkScan(
            agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0), compare_with_history=False
        )
        assert (await run(blind, [brand("Acme")]))["Acme"].changes == ()


async def test_an_error_stops_the_run_as_itself_and_leaves_partial_reports(agency: Agency, tmp_path: Path) -> None:
    count = 0

    def stop_at_five(result: Result) -> None:
        nonlocal count
        count += 1
        if count == 5:
            raise InputError("stop here")

    with History(tmp_path / "h.sqlite") as history:
        bulk = BulkScan(agency.platforms, options=OPTIONS, history=history, on_result=stop_at_five)
        with pytest.raises(InputError, match=r"^stop here$"):
            await run(bulk, [brand("Acme")])
        (partial,) = bulk.partial_reports()
        assert partial.brand == "Acme" and len(partial.results) == 5
        (scan,) = history.scans("Acme")
        assert (scan.status, scan.results) == ("running", 5), "left to be resumed"


# --- reruns: one scan per brand (helper C1) ------------------------------------------------


async def test_a_brand_listed_again_after_its_scan_finished_is_recorded_in_that_scan(
    agency: Agency, tmp_path: Path
) -> None:
    names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Wonka", "Acme"]  # Acme is done before its turn
    with History(tmp_path / "h.sqlite") as history:
        bulk = BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=HOUR)
        outcomes = [outcome.report.brand async for outcome in bulk.run(brand(n) for n in names)]
        assert sorted(outcomes) == sorted(names), "an outcome for each line"
        assert [len(history.scans(name)) for name in names] == [1] * len(names), "one scan per brand"


async def test_a_rerun_within_max_age_continues_each_scan_and_keeps_its_changes(agency: Agency, tmp_path: Path) -> None:
    """A CI job killed once its scans had finished, then retried: the retry fails as the job
    would have, where a new scan (a copy of the one before) would compare with that copy."""
    policies = frozenset({FailOn.CHANGED})
    with History(tmp_path / "h.sqlite") as history:

        def bulk(max_age: timedelta) -> BulkScan:
            return BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=max_age, policies=policies)

        await run(bulk(timedelta(0)), [brand("Acme")])
        agency.taken["alpha"].add("acme")
        taken = Change(ChangeKind.NAME_TAKEN, "alpha", "acme", "available", "taken")
        first = await run(bulk(timedelta(0)), [brand("Acme")])
        assert first["Acme"].changes == (taken,)
        asked = agency.requests
        rerun = await run(bulk(HOUR), [brand("Acme")])
        assert agency.requests == asked, "nothing asked again"
        assert rerun["Acme"].changes == (taken,) and rerun["Acme"].violations == first["Acme"].violations
        scans = history.scans("Acme")
        assert [s.status for s in scans] == ["done", "done"], "the rerun added no scan"


async def test_a_scan_that_reached_no_platform_is_unreached_and_never_the_baseline(
    agency: Agency, platform_file: PlatformFile, tmp_path: Path
) -> None:
    """An offline run is recorded as `unreached`: the next run compares with the last scan that
    had answers (else every account would look new again), and a rerun within max_age continues
    the unreached scan and completes it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
    offline = load_platforms(platform_file(profile_entry("alpha", nowhere), profile_entry("beta", nowhere)))
    policies = frozenset({FailOn.CHANGED})
    with History(tmp_path / "h.sqlite") as history:

        def bulk(platforms: tuple[Platform, ...], max_age: timedelta) -> BulkScan:
            return BulkScan(platforms, options=OPTIONS, history=history, max_age=max_age, policies=policies)

        await run(bulk(agency.platforms, timedelta(0)), [brand("Acme")])
        await run(bulk(offline, timedelta(0)), [brand("Acme")])
        assert [(s.status, s.complete) for s in history.scans("Acme")] == [("unreached", False), ("done", True)]
        again = await run(bulk(agency.platforms, HOUR), [brand("Acme")])
        assert again["Acme"].changes == (), "compared with the scan that had answers"
        assert [s.status for s in history.scans("Acme")] == ["done", "done"], "the unreached scan was continued"


# --- the command line over a brand list: a file per brand, harmless text ---------------------

ESC, OSC8, BEL, RLO = "\x1b[31m", "\x1b]8;;http://evil\x07", "\x07", "\u202e"
# Control characters in a brand are refused when the list is read (see the test below); what
# is left to print harmlessly is the format characters that reorder a line or hide in it.
HOSTILE_BRANDS = (f"{RLO}Acme\u202c", "Glo\u202dbex", f"Ini\u200btech{RLO}")


def harmless(text: str) -> bool:
    """Nothing a terminal acts on or that reorders the line, and no letters left from an escape."""
    hazards = [c for c in text if (unicodedata.category(c) == "Cc" and c != "\n") or c in "\u202a\u202b\u202d\u202e"]
    return not hazards and "[31m" not in text and "]8;;" not in text and "http://evil" not in text


@dataclass
class Sites:
    """Two simulated platforms on loopback (alpha critical, beta high); alpha can be taken down."""

    path: Path
    down: set[str]


@pytest.fixture
async def sites(sim: Simulator, platform_file: PlatformFile) -> Sites:
    down: set[str] = set()
    taken = {"alpha": {"acrne"}, "beta": {"acme"}}
    entries = []
    for pid, priority in (("alpha", "critical"), ("beta", "high")):
        answer = profiles(taken[pid])

        async def handle(request: web.Request, pid: str = pid, answer: Handler = answer) -> web.StreamResponse:
            return web.Response(status=503) if pid in down else await answer(request)

        site = await sim.site(handle)
        entries.append(profile_entry(pid, site.base, extra=f"priority: {priority}"))
    return Sites(platform_file(*entries), down)


def bulk_argv(sites: Sites, brands: Path, out: Path, *extra: str) -> list[str]:
    return ["scan", "--input", str(brands), "--out", str(out), "--platforms", str(sites.path), "--no-db",
            "--depth", "quick", "--no-progress", "--timeout", "3", "--retries", "0", *extra]  # fmt: skip


def csv_of(tmp_path: Path, names: Iterable[str]) -> Path:
    path = tmp_path / "brands.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["brand"])
        writer.writerows([name] for name in names)
    return path


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_brands_with_the_same_handle_get_a_report_file_each(sites: Sites, tmp_path: Path, capsys) -> None:
    names = ["Acme", "ACME", "acme!", "Café Müller", "Cafe Muller"]
    out = tmp_path / "reports"
    assert await cli(*bulk_argv(sites, csv_of(tmp_path, names), out, "--format", "json")) == 0
    files = {name: report_file_name(name, "json") for name in names}
    assert len(set(files.values())) == 5
    assert sorted(p.name for p in out.iterdir()) == sorted(files.values()), "one file per brand"
    for name, file in files.items():
        assert json.loads((out / file).read_text(encoding="utf-8"))["brand"] == name
    summary = capsys.readouterr().out
    lines = [line for line in summary.splitlines() if line.endswith(".json")]
    assert sorted(line.split()[-1] for line in lines) == sorted(files.values()), "each brand's line names its file"
    for name, file in files.items():
        assert any(line.startswith(name + " ") and line.endswith(file) for line in lines), name
    assert summary.endswith(f"\n5 brands; reports in {out}\n")


@pytest.mark.parametrize(
    "brand",
    ["Acme", "ACME", "acme!", "CON", "nul", "com1", "../../etc/passwd", "a/b\\c:d*e?f", ".hidden", "東京", "-",
     f"{ESC}Acme", "x" * 100, "Café Müller", "a\x00b"],
)  # fmt: skip
def test_report_file_names_are_safe_everywhere_and_stable(brand: str) -> None:
    name = report_file_name(brand, "json")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{12}\.json", name), name
    assert len(name) <= 60 and name == report_file_name(brand, "json")
    assert name.rsplit(".", 1)[0].upper() not in {"CON", "NUL", "PRN", "AUX", "COM1", "LPT1"}, "never a reserved name"
    assert "31m" not in name, "no letters from an escape code"


def test_report_file_names_differ_by_the_brand_as_written() -> None:
    names = ["Acme", "ACME", "acme!", "acme", "Café Müller", "Cafe Muller"]
    assert len({report_file_name(name, "txt") for name in names}) == len(names)
    assert report_file_name("Café Müller", "txt").startswith("cafe-muller-")


async def test_bulk_summary_and_fail_lines_print_hostile_brand_names_harmlessly(
    sites: Sites, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "reports"
    argv = bulk_argv(sites, csv_of(tmp_path, HOSTILE_BRANDS), out, "--format", "json", "--fail-on", "available")
    assert await cli(*argv) == 1
    captured = capsys.readouterr()
    assert harmless(captured.out) and harmless(captured.err), (captured.out, captured.err)
    assert [line.split()[0] for line in captured.out.splitlines()[2:5]] == ["Acme", "Globex", "Initech"]
    fails = [line for line in captured.err.splitlines() if line.startswith("handlecheck: fail: ")]
    assert "handlecheck: fail: Acme: the name is free on 1 platform (alpha)" in fails
    assert len(fails) == 3
    for brand, handle in zip(HOSTILE_BRANDS, ("acme", "globex", "initech"), strict=True):
        report = json.loads((out / report_file_name(brand, "json")).read_text(encoding="utf-8"))
        assert report["brand"] == brand, "JSON keeps the data as data"
        assert report["handle"] == handle, "the handle takes no letters from escape codes"
        assert report_file_name(brand, "json").startswith(handle + "-")


async def test_a_brand_with_control_characters_is_refused_at_its_row(sites: Sites, tmp_path: Path, capsys) -> None:
    names = ["Acme", f"{ESC}Globex\x1b[0m", f"{OSC8}Initech\x1b]8;;\x07"]
    assert await cli(*bulk_argv(sites, csv_of(tmp_path, names), tmp_path / "reports")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "brands.csv:3: brand '\\x1b[31mGlobex\\x1b[0m' holds a control character" in err
    assert "\x1b" not in err and not (tmp_path / "reports").exists(), "refused before any brand is scanned"


async def test_incomplete_line_prints_hostile_brand_names_harmlessly(sites: Sites, tmp_path: Path, capsys) -> None:
    sites.down.add("alpha")
    names = [*HOSTILE_BRANDS, *(f"Brand{n}" for n in range(9))]
    argv = bulk_argv(sites, csv_of(tmp_path, names), tmp_path / "reports")
    assert await cli(*argv) == 3
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("handlecheck: incomplete:")]
    assert harmless(line), line
    assert line.endswith(" and 2 more)"), "twelve brands: ten named"
    assert len(line.split("(")[1].split(", ")) == 10


async def test_baseline_handles_in_fail_lines_are_printed_harmlessly(sites: Sites, tmp_path: Path, capsys) -> None:
    hostile = f"{OSC8}acme_help\x1b]8;;\x07{ESC}{BEL}{RLO}"
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(Snapshot("Acme", {}, {("alpha", hostile): ("impersonator", 90)}).to_dict()))
    argv = ["scan", "Acme", "--platforms", str(sites.path), "--no-db", "--depth", "quick", "--no-progress",
            "--timeout", "3", "--retries", "0", "--format", "json", "-o", str(tmp_path / "acme.json"),
            "--baseline", str(baseline), "--fail-on", "changed"]  # fmt: skip
    assert await cli(*argv) == 1
    err = capsys.readouterr().err
    assert "handlecheck: fail: Acme: lookalike acme_help on alpha is gone (impersonator, risk 90)" in err
    assert harmless(err), err


async def test_bulk_junit_has_one_suite_per_brand_and_a_file_each(sites: Sites, tmp_path: Path, capsys) -> None:
    out = tmp_path / "reports"
    names = ["Acme", "ACME", "Globex"]
    assert await cli(*bulk_argv(sites, csv_of(tmp_path, names), out, "--format", "junit")) == 0
    root = ElementTree.fromstring(capsys.readouterr().out.encode())
    assert sorted(suite.get("name") or "" for suite in root.findall("testsuite")) == sorted(names)
    assert all(suite.get("tests") == "2" for suite in root.findall("testsuite"))
    assert sorted(p.name for p in out.iterdir()) == sorted(report_file_name(n, "xml") for n in names)
