"""Which platforms a run asks: the catalogue files, the additions, the skip file, NSFW entries
and the --only/--tags/--exclude pick, in one place for the library and the CLI."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import NamedId, Selection
from ..errors import ConfigError, InputError
from ..models import (
    Catalogue,
    Platform,
    Skipped,
)
from .load import load_catalogue


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
        raise InputError(unknown_id(missing[0], known))
    chosen = tuple(
        p
        for p in platforms
        if (not only_set or p.id in only_set) and (not tag_set or tag_set & set(p.tags)) and p.id not in exclude_set
    )
    if not chosen:
        if not platforms:
            raise InputError("there is no platform to choose from")
        flags = (("--only", only_set), ("--tags", tag_set), ("--exclude", exclude_set))
        used = [flag for flag, given in flags if given]
        raise InputError(f"no platform matches the selection ({' / '.join(used)})")
    return chosen


def unknown_id(platform_id: str, known: Collection[str]) -> str:
    """Why `platform_id` cannot be used, with the closest id of the catalogue (`known`)."""
    close = difflib.get_close_matches(platform_id, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "see: handlecheck platforms list"
    return f"unknown platform id {platform_id!r} ({hint})"


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


@dataclass(frozen=True, slots=True)
class Chosen:
    platforms: tuple[Platform, ...]
    left_out: int
    """Entries of the platform files that could not be used (see `platforms validate`)."""


def choose_platforms(selection: Selection | None = None, named: Iterable[NamedId] = ()) -> Chosen:
    """The platforms `selection` names (default: the whole bundled catalogue). Each id a
    config names (`named`) must be in the catalogue loaded: a ConfigError says where it is not."""
    selection = selection or Selection()
    catalogue = merge(
        load_catalogue(selection.file, nsfw=selection.nsfw),
        *(load_catalogue(path, nsfw=selection.nsfw) for path in selection.add),
    )
    known = {p.id for p in catalogue.platforms}
    for name in named:
        if name.id not in known:
            raise ConfigError(unknown_id(name.id, known), source=name.source, line=name.line, path=name.path)
    skip = read_skip_file(selection.skip_file) if selection.skip_file else set()
    if not catalogue.platforms:
        left_out = f" ({len(catalogue.skipped)} left out: handlecheck platforms validate)" if catalogue.skipped else ""
        raise InputError(f"no usable platform in {_files(selection)}{left_out}")
    usable = [p for p in catalogue.platforms if p.id not in skip]
    if not usable:
        raise InputError(f"every platform is listed in the skip file {selection.skip_file}")
    exclude = [e for e in selection.exclude if e not in skip]
    chosen = select(usable, only=selection.only, tags=selection.tags, exclude=exclude)
    return Chosen(chosen, len(catalogue.skipped))


def _files(selection: Selection) -> str:
    files = [str(selection.file) if selection.file else "the bundled catalogue", *map(str, selection.add)]
    return ", ".join(files)


def read_skip_file(path: str | Path) -> set[str]:
    """Platform ids listed in a skip file (the first word of each line; '#' starts a comment)."""
    return set(skip_entries(path))


def skip_entries(path: str | Path) -> dict[str, str]:
    """Each platform id a skip file lists, with its whole line (the id, then why)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read skip file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    lines = (line.strip() for line in text.splitlines())
    return {line.split()[0]: line for line in lines if line and not line.startswith("#")}
