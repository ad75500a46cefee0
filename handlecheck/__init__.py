"""handlecheck: hold your brand's name on every platform, and know when a lookalike appears.

    async for result in handlecheck.check(["acme"]):
        print(result.platform, result.verdict)

`__all__` is the public API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import aio
from .config import Config, load_config
from .domain import Candidate, Classification, Depth, Finding, HuntReport, Owned, ScanReport, Technique
from .engine import Checker
from .errors import ConfigError, HandlecheckError, InputError
from .handles import normalise
from .http import HttpOptions
from .hunt import hunt
from .lookalikes import generate
from .models import Platform, Priority, Reason, Result, Verdict
from .registry import load_catalogue, load_platforms, parse_platforms, select
from .scanner import scan as _scan
from .selection import Chosen, choose_platforms

__version__ = "0.1.0"

PlatformSource = Sequence[Platform] | str | Path | None


def _platforms(source: PlatformSource) -> Sequence[Platform]:
    if source is None or isinstance(source, str | Path):
        return load_platforms(source)
    return source


async def check(
    handles: Iterable[str], platforms: PlatformSource = None, *, options: HttpOptions | None = None
) -> AsyncIterator[Result]:
    """Yield one Result per (handle, platform), in the order they complete.

    `platforms` is a sequence of Platform, a path to a platform file, or None for the
    bundled catalogue. Raises InputError for a handle that cannot be a handle anywhere.
    """
    normalised = list(dict.fromkeys(normalise(h) for h in handles))
    chosen = _platforms(platforms)
    async with Checker(options) as checker:
        async for result in checker.run(normalised, chosen):
            yield result


def check_sync(
    handles: Iterable[str], platforms: PlatformSource = None, *, options: HttpOptions | None = None
) -> list[Result]:
    """`check` for code that is not async: returns every Result once all are in."""

    async def gather() -> list[Result]:
        return [result async for result in check(handles, platforms, options=options)]

    return aio.run(gather())


async def scan(
    brand: str | None = None,
    *,
    config: Config | str | Path | None = None,
    platforms: PlatformSource = None,
    options: HttpOptions | None = None,
    depth: Depth | None = None,
) -> ScanReport:
    """The whole job for one brand: the same ScanReport `handlecheck scan` prints.

    `config` is a Config, a path to a handlecheck.yaml, or None (then `brand` is required).
    `platforms` defaults to the config's selection, else the bundled catalogue."""
    if isinstance(config, str | Path):
        config = load_config(config)
    if config is None:
        if not brand:
            raise InputError("scan needs a brand or a config")
        config = Config(brand=brand)
    elif brand:
        config = replace(config, brand=brand)
    if platforms is None:
        return await _scan(config, choose_platforms(config.selection).platforms, options=options, depth=depth)
    return await _scan(config, _platforms(platforms), options=options, depth=depth)


def scan_sync(brand: str | None = None, **kwargs: Any) -> ScanReport:
    """`scan` for code that is not async (same arguments)."""
    return aio.run(scan(brand, **kwargs))


def hunt_sync(brand: str, platforms: PlatformSource = None, **options: Any) -> HuntReport:
    """`hunt` for code that is not async (same keyword arguments)."""
    return aio.run(hunt(brand, _platforms(platforms), **options))


__all__ = [
    "Candidate",
    "Checker",
    "Chosen",
    "Classification",
    "Config",
    "ConfigError",
    "Depth",
    "Finding",
    "HandlecheckError",
    "HttpOptions",
    "HuntReport",
    "InputError",
    "Owned",
    "Platform",
    "Priority",
    "Reason",
    "Result",
    "ScanReport",
    "Technique",
    "Verdict",
    "__version__",
    "check",
    "check_sync",
    "choose_platforms",
    "generate",
    "hunt",
    "hunt_sync",
    "load_catalogue",
    "load_config",
    "load_platforms",
    "normalise",
    "parse_platforms",
    "scan",
    "scan_sync",
    "select",
]
