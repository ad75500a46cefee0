"""Finding lookalike accounts: check the candidates, read the profiles of those that exist,
and score them. The plan is pure; `hunt` does the I/O through the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import aclosing

from ..candidates import DEFAULT_AFFIXES, LAYOUTS, Brand, generate
from ..domain import DEPTHS, Candidate, Depth, Finding, HuntReport, Owned, Technique
from ..models import Platform, Result, Verdict
from ..net.checker import Checker
from ..net.http import HttpOptions
from ..pages import ProfilePage
from ..registry.domains import is_domain
from ..risk import assess
from ..rules.handles import canonical


def candidate_pairs(
    brand: str,
    platforms: Sequence[Platform],
    depth: Depth,
    *,
    techniques: Iterable[Technique] | None = None,
    affixes: Sequence[str] = DEFAULT_AFFIXES,
    keyboards: Sequence[str] = LAYOUTS,
) -> list[tuple[Candidate, Platform]]:
    """Which candidates to check where: each platform gets its own valid, deduplicated list."""
    limit, priorities = DEPTHS[depth]
    chosen = list(techniques) if techniques is not None else None
    pairs: list[tuple[Candidate, Platform]] = []
    for platform in platforms:
        if platform.priority not in priorities:
            continue
        candidates = generate(
            brand, techniques=chosen, affixes=affixes, keyboards=keyboards, platform=platform, limit=limit
        )
        pairs.extend((candidate, platform) for candidate in candidates)
    return pairs


async def hunt(
    brand: str,
    platforms: Sequence[Platform],
    *,
    depth: Depth = Depth.STANDARD,
    owned: Iterable[Owned] = (),
    own_domains: Iterable[str] = (),
    options: HttpOptions | None = None,
    techniques: Iterable[Technique] | None = None,
    affixes: Sequence[str] = DEFAULT_AFFIXES,
    keyboards: Sequence[str] = LAYOUTS,
    on_result: Callable[[Result], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    checker: Checker | None = None,
) -> HuntReport:
    """Check the lookalikes of `brand`, then read and score every account that exists.

    Pass an open `checker` to share its session (and its answers) with other work."""
    if checker is None:
        async with Checker(options) as own:
            return await hunt(
                brand, platforms, depth=depth, owned=owned, own_domains=own_domains, techniques=techniques,
                affixes=affixes, keyboards=keyboards, on_result=on_result, on_planned=on_planned, checker=own,
            )  # fmt: skip
    pairs = candidate_pairs(brand, platforms, depth, techniques=techniques, affixes=affixes, keyboards=keyboards)
    if on_planned is not None:
        on_planned(len(pairs))  # how many checks to expect, e.g. for a progress bar
    by_id = {p.id: p for p in platforms}
    results: list[Result] = []
    checks = checker.run_pairs(checker.slowest_first((c.handle, platform) for c, platform in pairs))
    async with aclosing(checks) as answered:
        async for result in answered:
            results.append(result)
            if on_result is not None:
                on_result(result)
    # Read where the platform entry says how; the page is kept, as the evidence of an impersonator.
    mine = _owned_keys(owned, by_id)
    read = [r for r in _accounts(results, mine, by_id) if by_id[r.platform].profile is not None]
    fetched = await asyncio.gather(*(checker.profile_page(r.handle, by_id[r.platform]) for r in read))
    pages = {(r.platform, r.handle): page for r, page in zip(read, fetched, strict=True) if page is not None}
    return assemble_hunt(brand, pairs, results, owned=owned, own_domains=own_domains, pages=pages)


def assemble_hunt(
    brand: str,
    pairs: Sequence[tuple[Candidate, Platform]],
    results: Sequence[Result],
    *,
    owned: Iterable[Owned] = (),
    own_domains: Iterable[str] = (),
    pages: Mapping[tuple[str, str], ProfilePage] | None = None,
) -> HuntReport:
    """The findings of the `results` gathered for `pairs`: every account that exists and is not
    the brand's own, scored from its profile page where `pages` holds one, else from its name
    alone (as for a hunt that a stop cut short, before any page was read)."""
    pages = pages or {}
    by_key = {(platform.id, candidate.handle): candidate for candidate, platform in pairs}
    by_id = {platform.id: platform for _, platform in pairs}
    mine = _owned_keys(owned, by_id)
    parsed = Brand.parse(brand)
    domains = tuple(own_domains)
    taken = _accounts(results, mine, by_id)
    owned_seen = sum(1 for r in results if r.verdict is Verdict.TAKEN) - len(taken)
    findings = []
    for result in taken:
        page = pages.get((result.platform, result.handle))
        profile = page.profile if page is not None else None
        candidate = by_key[result.platform, result.handle]
        # A domain's "profile" is its registration (registrar, date), nothing it says about itself:
        # the name alone is judged, and the registration stays in the finding as evidence.
        shown = None if is_domain(by_id[result.platform]) else profile
        assessment = assess(parsed, candidate, shown, domains)
        findings.append(
            Finding(
                platform=result.platform,
                handle=result.handle,
                url=result.url,
                candidate=candidate,
                classification=assessment.classification,
                risk=assessment.risk,
                reasons=assessment.reasons,
                profile=profile,
                seen_at=result.checked_at,
            )
        )
    findings.sort(key=lambda f: (-f.risk, f.platform, f.handle))
    return HuntReport(brand, tuple(results), tuple(findings), owned_seen, pages)


def _owned_keys(owned: Iterable[Owned], by_id: Mapping[str, Platform]) -> set[tuple[str, str]]:
    return {(o.platform, canonical(o.handle, by_id[o.platform])) for o in owned if o.platform in by_id}


def _accounts(results: Iterable[Result], mine: set[tuple[str, str]], by_id: Mapping[str, Platform]) -> list[Result]:
    """The taken results that are not the brand's own accounts."""
    return [
        r for r in results
        if r.verdict is Verdict.TAKEN and (r.platform, canonical(r.handle, by_id[r.platform])) not in mine
    ]  # fmt: skip
