"""Many brands in one run, on simulated platforms: an outcome per brand, history recall, policies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from handlecheck.config import Config
from handlecheck.domain import Depth, Owned
from handlecheck.errors import InputError
from handlecheck.models import Platform, Result, Verdict
from handlecheck.net.http import HttpOptions
from handlecheck.pipeline.bulk import BRANDS_AT_ONCE, BrandOutcome, BulkScan
from handlecheck.pipeline.hunt import candidate_pairs
from handlecheck.policy import Change, ChangeKind, FailOn, Snapshot
from handlecheck.registry import load_platforms
from handlecheck.store.history import History
from handlecheck.todo import variants
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, Site, profiles

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
            assert [s.status for s in scans] == ["done", "done"], "each run is its own scan"
            report = first[name].report
            asked_for = {(r.platform, r.handle) for r in report.results}
            asked_for |= {(p.id, c.handle) for c, p in candidate_pairs(name, agency.platforms, Depth.QUICK)}
            assert scans[1].results == len(asked_for), "every answer stored, a variant that is a lookalike once"
        assert [(f.platform, f.handle) for f in second["Acme"].report.findings] == [("alpha", "acrne")]
        await run(BulkScan(agency.platforms, options=OPTIONS, history=history, max_age=timedelta(0)), configs)
        assert agency.requests == 2 * asked, "answers older than max_age are asked again"


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
    assert outcomes["Acme"].violations == ("Acme: the name is free on 1 platforms (alpha)",)
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
