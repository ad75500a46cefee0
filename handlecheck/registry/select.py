"""Picking platforms from a catalogue, and adding catalogues together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import InputError
from ..models import (
    Catalogue,
    Platform,
    Skipped,
)


def select(
    platforms: Sequence[Platform],
    *,
    only: Iterable[str] = (),
    tags: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[Platform, ...]:
    """Pick platforms by id and tag. Unknown ids are an InputError; an empty pick is too."""
    known = {p.id for p in platforms}
    only_set, exclude_set, tag_set = set(only), set(exclude), set(tags)
    missing = sorted((only_set | exclude_set) - known)
    if missing:
        raise InputError(f"unknown platform id {missing[0]!r} (see: handlecheck platforms list)")
    chosen = tuple(
        p
        for p in platforms
        if (not only_set or p.id in only_set) and (not tag_set or tag_set & set(p.tags)) and p.id not in exclude_set
    )
    if not chosen:
        raise InputError("no platform matches the selection (--only / --tags / --exclude)")
    return chosen


def merge(base: Catalogue, *additions: Catalogue) -> Catalogue:
    """Add platforms to a catalogue. An id already present keeps its first definition (the
    curated one); the newcomer is listed as skipped."""
    platforms = list(base.platforms)
    skipped = list(base.skipped)
    ids = {p.id for p in platforms}
    for addition in additions:
        skipped.extend(addition.skipped)
        for platform in addition.platforms:
            if platform.id in ids:
                skipped.append(Skipped(platform.name, f"id {platform.id!r} is already in the catalogue"))
                continue
            ids.add(platform.id)
            platforms.append(platform)
    return Catalogue(tuple(platforms), base.format, tuple(skipped))
