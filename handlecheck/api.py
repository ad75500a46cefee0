"""The library's front door: every job the command line does, as typed functions.

Each async function has a `*_sync` twin for code that is not async. The command line calls
these same functions (or the pipeline objects behind them), so the library and `handlecheck`
give the same report for the same inputs.

    async for result in check(["acme"]): ...                 # one handle, every platform
    report = await scan("Acme")                               # the whole job for a brand
    async for outcome in scan_many(["Acme", "Globex"]): ...   # many brands, one session
    report = await hunt("Acme", depth=Depth.QUICK)            # lookalike accounts only
    async for health in selfcheck(): ...                      # prove the rules online
    changes = diff(history, "Acme")                           # what changed since last time
    book = runbook(config="handlecheck.yaml")                 # the plan for a crisis, offline
    await handlecheck.notify(targets, alerts, history, started_at=..., brands=1)  # alerts, once each
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path

from . import aio
from .broker import Broker
from .candidates import DEFAULT_AFFIXES, LAYOUTS, brand_problem
from .config import Config, Selection, load_config
from .domain import Depth, HuntReport, Owned, ScanReport, Technique
from .errors import InputError
from .evidence.keeper import EvidenceKeeper, EvidencePlan
from .models import Platform, Result
from .net.checker import Checker
from .net.http import HttpOptions
from .pipeline.bulk import BrandOutcome, BulkScan
from .pipeline.hunt import hunt as _hunt
from .pipeline.scan import scan as _scan
from .pipeline.selfcheck import PlatformHealth
from .pipeline.selfcheck import selfcheck as _selfcheck
from .policy import Change, FailOn, compare
from .registry import load_platforms
from .registry.domains import load_bootstrap, servable_domain_platforms
from .registry.select import choose_platforms
from .rules.handles import normalise
from .runbook import Runbook, build_runbook
from .store.baseline import from_history, scans_to_compare
from .store.history import History, no_scans

PlatformSource = Sequence[Platform] | str | Path | None
"""Platforms to ask: a sequence of Platform, a platform file's path, or None for the bundled
catalogue (a config's own selection, where a config is given)."""


def platforms_of(source: PlatformSource) -> Sequence[Platform]:
    if source is None or isinstance(source, str | Path):
        return load_platforms(source)
    return source


async def check(
    handles: Iterable[str], platforms: PlatformSource = None, *, options: HttpOptions | None = None
) -> AsyncGenerator[Result, None]:
    """Yield one Result per (handle, platform), in the order they complete. Raises
    InputError for a handle that cannot be a handle anywhere."""
    normalised = list(dict.fromkeys(normalise(h) for h in handles))
    chosen = platforms_of(platforms)
    async with Checker(options) as checker, aclosing(checker.run(normalised, chosen)) as results:
        async for result in results:
            yield result


def check_sync(
    handles: Iterable[str], platforms: PlatformSource = None, *, options: HttpOptions | None = None
) -> list[Result]:
    """`check`, returning every Result once all are in."""

    async def gather() -> list[Result]:
        return [result async for result in check(handles, platforms, options=options)]

    return aio.run(gather())


def brand_config(brand: str | None = None, config: Config | str | Path | None = None) -> Config:
    """The Config a scan runs with: `config` (a Config or a handlecheck.yaml path), with
    `brand` on top; or a bare Config for `brand`."""
    if isinstance(config, str | Path):
        config = load_config(config)
    if config is None:
        if not brand:
            raise InputError("scan needs a brand or a config")
        return Config(brand=brand)
    return config.for_brand(brand) if brand else config


def _scan_platforms(config: Config, platforms: PlatformSource) -> Sequence[Platform]:
    """The given platforms; else the config's selection, with the brand's domains (config.tlds
    that the RDAP bootstrap serves) where it asks the bundled catalogue as a whole, as the
    command line does."""
    if platforms is not None:
        return platforms_of(platforms)
    chosen = choose_platforms(config.selection, config.named).platforms
    if not config.selection.whole_catalogue:
        return chosen
    domains, _ = servable_domain_platforms(load_bootstrap(), config.tlds)
    known = {p.id for p in chosen}
    return (*chosen, *(d for d in domains if d.id not in known))


async def scan(
    brand: str | None = None,
    *,
    config: Config | str | Path | None = None,
    platforms: PlatformSource = None,
    options: HttpOptions | None = None,
    depth: Depth | None = None,
    on_result: Callable[[Result], None] | None = None,
    evidence: EvidencePlan | None = None,
) -> ScanReport:
    """The whole job for one brand: the same ScanReport `handlecheck scan` prints. Platforms
    default to the config's selection (its files, additions, skip file and picks). With
    `evidence`, the impersonators' pages are archived as `scan --evidence` does."""
    chosen = brand_config(brand, config)
    where = _scan_platforms(chosen, platforms)
    if evidence is None:
        return await _scan(chosen, where, options=options, depth=depth, on_result=on_result)
    async with EvidenceKeeper(evidence) as keeper:
        return await _scan(chosen, where, options=options, depth=depth, on_result=on_result, evidence=keeper)


def scan_sync(
    brand: str | None = None,
    *,
    config: Config | str | Path | None = None,
    platforms: PlatformSource = None,
    options: HttpOptions | None = None,
    depth: Depth | None = None,
    evidence: EvidencePlan | None = None,
) -> ScanReport:
    """`scan` for code that is not async."""
    return aio.run(scan(brand, config=config, platforms=platforms, options=options, depth=depth, evidence=evidence))


async def scan_many(
    brands: Iterable[Config | str],
    *,
    platforms: PlatformSource = None,
    options: HttpOptions | None = None,
    history: History | None = None,
    max_age: timedelta = timedelta(hours=24),
    policies: frozenset[FailOn] = frozenset(),
    on_result: Callable[[Result], None] | None = None,
    alert_on: frozenset[FailOn] | None = None,
    evidence: EvidencePlan | None = None,
    workers: int = 1,
    broker: Broker | None = None,
) -> AsyncGenerator[BrandOutcome, None]:
    """Scan many brands over one session (as `handlecheck scan --input`), yielding each
    brand's outcome as it finishes: its report, what changed since its last complete scan in
    `history`, which `policies` it breaks, and the alerts `alert_on` matches (default: the
    policies; send them with `notify`). Platforms default to the bundled catalogue; `workers`
    > 1 sends the requests from that many processes (as `--workers`); a `broker` sends them to
    the `handlecheck worker`s of a fleet (as `--broker`; `Broker.from_environment(url, os.environ)`)."""
    configs = (b if isinstance(b, Config) else Config(brand=b) for b in brands)
    bulk = BulkScan(
        platforms_of(platforms), options=options, history=history, max_age=max_age, policies=policies,
        on_result=on_result, alert_on=alert_on, evidence=evidence, workers=workers,
        broker=broker,
    )  # fmt: skip
    async with aclosing(bulk.run(configs)) as outcomes:
        async for outcome in outcomes:
            yield outcome


def scan_many_sync(
    brands: Iterable[Config | str],
    *,
    platforms: PlatformSource = None,
    options: HttpOptions | None = None,
    history: History | None = None,
    max_age: timedelta = timedelta(hours=24),
    policies: frozenset[FailOn] = frozenset(),
) -> list[BrandOutcome]:
    """`scan_many`, returning every outcome once all brands are done."""

    async def gather() -> list[BrandOutcome]:
        return [
            outcome
            async for outcome in scan_many(
                brands, platforms=platforms, options=options, history=history, max_age=max_age, policies=policies
            )
        ]

    return aio.run(gather())


async def hunt(
    brand: str,
    platforms: PlatformSource = None,
    *,
    depth: Depth = Depth.STANDARD,
    owned: Iterable[Owned] = (),
    own_domains: Iterable[str] = (),
    options: HttpOptions | None = None,
    techniques: Iterable[Technique] | None = None,
    affixes: Sequence[str] = DEFAULT_AFFIXES,
    keyboards: Sequence[str] = LAYOUTS,
    on_result: Callable[[Result], None] | None = None,
) -> HuntReport:
    """Check the lookalikes of `brand`, read and score every account that exists (as
    `handlecheck lookalikes --check`)."""
    return await _hunt(
        brand, platforms_of(platforms), depth=depth, owned=owned, own_domains=own_domains, options=options,
        techniques=techniques, affixes=affixes, keyboards=keyboards, on_result=on_result,
    )  # fmt: skip


def hunt_sync(
    brand: str,
    platforms: PlatformSource = None,
    *,
    depth: Depth = Depth.STANDARD,
    owned: Iterable[Owned] = (),
    own_domains: Iterable[str] = (),
    options: HttpOptions | None = None,
) -> HuntReport:
    """`hunt` for code that is not async."""
    return aio.run(hunt(brand, platforms, depth=depth, owned=owned, own_domains=own_domains, options=options))


async def selfcheck(
    platforms: PlatformSource = None, *, options: HttpOptions | None = None, seed: int | None = None
) -> AsyncGenerator[PlatformHealth, None]:
    """Prove each platform's rule online: its canary must read taken, a random name must not."""
    async with aclosing(_selfcheck(platforms_of(platforms), options, seed=seed)) as healths:
        async for health in healths:
            yield health


def selfcheck_sync(
    platforms: PlatformSource = None, *, options: HttpOptions | None = None, seed: int | None = None
) -> list[PlatformHealth]:
    """`selfcheck`, returning every platform's health once all are in."""

    async def gather() -> list[PlatformHealth]:
        return [health async for health in selfcheck(platforms, options=options, seed=seed)]

    return aio.run(gather())


def diff(history: History, brand: str, since: str | None = None, *, include_partial: bool = False) -> list[Change]:
    """What changed between the brand's latest complete scan and an earlier one (the one before
    it, a scan id, or the last scan before a date), as `handlecheck diff` shows; scans a stop
    interrupted count only with `include_partial`."""
    pair = scans_to_compare(history, brand, since, include_partial=include_partial)
    return compare(from_history(history, pair.older.id, brand), from_history(history, pair.latest.id, brand))


def runbook(
    brand: str | None = None,
    *,
    config: Config | str | Path | None = None,
    platforms: PlatformSource = None,
    history: History | None = None,
) -> Runbook:
    """The brand's runbook, as `handlecheck runbook` prints it: every account the config records,
    with the catalogue's recovery, report and verification help; no network. With `history`, the
    names the brand's latest complete scan (else its latest) found free on critical and high
    platforms are rows to register too. Platforms default to the config's catalogue files, whatever
    its --only, --tags and --exclude pick: an account the brand holds is in the runbook anyway."""
    chosen = brand_config(brand, config)
    problem = brand_problem(chosen.brand)
    if problem is not None:
        raise InputError(problem)
    files = Selection(file=chosen.selection.file, add=chosen.selection.add, nsfw=chosen.selection.nsfw)
    catalogue = choose_platforms(files, chosen.named).platforms if platforms is None else platforms_of(platforms)
    if history is None:
        return build_runbook(chosen, catalogue)
    scans = history.scans(chosen.brand)
    if not scans:
        raise no_scans(chosen.brand, history.location)
    latest = next((s for s in scans if s.complete), scans[0])
    return build_runbook(chosen, catalogue, history.results(latest.id), latest.started_at)
