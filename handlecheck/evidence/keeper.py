"""The evidence stage of a scan: archive the page of each finding that matters, with a
screenshot where asked, and return the findings with where their evidence is.

Which findings: the impersonators (`Scope.IMPERSONATORS`, the default) or every account found
(`Scope.ALL`). The page is the one the hunt read the profile from; where the platform entry
reads no profile, the account's profile URL is fetched now, politely, through the same session.
A page that cannot be fetched leaves its finding without evidence and says why in `notes`, as
does a screenshot that fails: the scan goes on either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from ..config import Config
from ..domain import Classification, Finding
from ..models import Platform
from ..net.checker import Checker
from ..pages import ProfilePage
from ..takedown import account_url, official_accounts
from ..text import printable
from .folder import EvidenceFolder, Screenshot, scan_folder
from .screenshot import Browser, ScreenshotError, find_browser

# Pixels kept of a page's height: the profile's header, its bio and the first posts, not an
# endless feed (a 1280 x 4000 screenshot is about 1 MB).
MAX_HEIGHT = 4000


class Scope(StrEnum):
    IMPERSONATORS = "impersonators"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class EvidencePlan:
    """What evidence a scan keeps, and where: `root` holds a folder per brand and scan."""

    root: Path
    scope: Scope = Scope.IMPERSONATORS
    screenshots: bool = False
    browser_args: tuple[str, ...] = ()  # extra Chromium flags (a test keeps it on loopback)
    proxy: str | None = None


class EvidenceKeeper:
    """`async with EvidenceKeeper(plan) as keeper: findings = await keeper.keep(...)`; one
    browser serves every brand of a run. `notes` lists what could not be kept, one line each."""

    def __init__(self, plan: EvidencePlan) -> None:
        self.plan = plan
        self.notes: list[str] = []
        self._browser: Browser | None = None

    async def __aenter__(self) -> EvidenceKeeper:
        if self.plan.screenshots:
            executable = find_browser()
            if executable is None:
                self.notes.append("--screenshots: no Chromium found (install chromium or set HANDLECHECK_CHROMIUM)")
            else:
                browser = Browser(executable, proxy=self.plan.proxy, extra_args=self.plan.browser_args)
                try:
                    self._browser = await browser.__aenter__()
                except ScreenshotError as exc:
                    self.notes.append(f"--screenshots: {exc}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._browser is not None:
            browser, self._browser = self._browser, None
            await browser.__aexit__(exc_type, exc, tb)

    def wanted(self, finding: Finding) -> bool:
        return self.plan.scope is Scope.ALL or finding.classification is Classification.IMPERSONATOR

    async def keep(
        self,
        config: Config,
        platforms: Sequence[Platform],
        findings: Sequence[Finding],
        pages: Mapping[tuple[str, str], ProfilePage],
        checker: Checker,
        started_at: datetime,
    ) -> tuple[Finding, ...]:
        """`findings`, those in scope with their Evidence (archived in this scan's folder)."""
        by_id = {p.id: p for p in platforms}
        chosen = [f for f in findings if self.wanted(f) and f.platform in by_id]
        if not chosen:
            return tuple(findings)
        folder = EvidenceFolder(scan_folder(self.plan.root, config.brand, started_at), config.brand, started_at)
        own_shots = {
            pid: await self._own_screenshot(config, by_id[pid]) for pid in dict.fromkeys(f.platform for f in chosen)
        }
        gathered = await asyncio.gather(*(self._gather(f, by_id[f.platform], pages, checker) for f in chosen))
        kept: dict[tuple[str, str], Finding] = {}
        for finding, (page, shot) in zip(chosen, gathered, strict=True):  # written one at a time, as the manifest is
            account = _name(finding.handle, finding.platform)
            if page is None:
                self.notes.append(f"{account}: its page could not be fetched: no evidence kept")
                continue
            if not 200 <= page.response.status < 300:
                self.notes.append(f"{account}: its page answered {page.response.status}: archived as it came")
            metadata = _metadata(config, by_id[finding.platform], platforms, finding)
            evidence = folder.add(finding.platform, finding.handle, page, metadata, shot, own_shots[finding.platform])
            kept[finding.platform, finding.handle] = replace(finding, evidence=evidence)
        return tuple(kept.get((f.platform, f.handle), f) for f in findings)

    async def _gather(
        self, finding: Finding, platform: Platform, pages: Mapping[tuple[str, str], ProfilePage], checker: Checker
    ) -> tuple[ProfilePage | None, Screenshot | None]:
        """The finding's page (as the hunt read it, or fetched now) and its screenshot."""
        page = pages.get((finding.platform, finding.handle)) or await checker.profile_page(finding.handle, platform)
        return page, await self._screenshot(finding.url, finding.handle, finding.platform)

    async def _screenshot(self, url: str | None, handle: str, platform: str) -> Screenshot | None:
        if self._browser is None or not url:
            return None
        try:
            return Screenshot(await self._browser.screenshot(url, max_height=MAX_HEIGHT), url)
        except ScreenshotError as exc:
            self.notes.append(f"{_name(handle, platform)}: no screenshot ({exc})")
            return None

    async def _own_screenshot(self, config: Config, platform: Platform) -> Screenshot | None:
        """The brand's own account on the platform, shown beside the impersonator's."""
        mine = next((o.handle for o in config.owned if o.platform == platform.id), None)
        url = account_url(platform, mine) if mine else None
        return await self._screenshot(url, mine or "", platform.id) if url else None


def _name(handle: str, platform: str) -> str:
    """An account as a note names it (the handle came from a server: made printable)."""
    return f"{printable(handle, 100)} on {platform}"


def _metadata(config: Config, platform: Platform, platforms: Sequence[Platform], finding: Finding) -> dict[str, object]:
    """What the archive's metadata record says about the finding: what was read and judged."""
    return {
        "brand": config.brand,
        "platform": platform.id,
        "platform_name": platform.name,
        "handle": finding.handle,
        "url": finding.url,
        "classification": finding.classification.value,
        "risk": finding.risk,
        "reasons": list(finding.reasons),
        "techniques": [t.value for t in finding.candidate.techniques],
        "profile": finding.profile.to_dict() if finding.profile else None,
        "official_accounts": official_accounts(config, platform, platforms),
        "seen_at": finding.seen_at.isoformat(timespec="seconds"),
    }
