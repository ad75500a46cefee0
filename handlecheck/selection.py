"""Which platforms a run asks: the catalogue files, the additions, the skip file, NSFW
entries and the --only/--tags/--exclude pick, in one place for the library and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Selection
from .errors import InputError
from .models import Platform
from .registry import load_catalogue, merge, select


@dataclass(frozen=True, slots=True)
class Chosen:
    platforms: tuple[Platform, ...]
    left_out: int
    """Entries of the platform files that could not be used (see `platforms validate`)."""


def choose_platforms(selection: Selection | None = None) -> Chosen:
    """The platforms `selection` names (default: the whole bundled catalogue)."""
    selection = selection or Selection()
    catalogue = merge(
        load_catalogue(selection.file, nsfw=selection.nsfw),
        *(load_catalogue(path, nsfw=selection.nsfw) for path in selection.add),
    )
    skip = read_skip_file(selection.skip_file) if selection.skip_file else set()
    usable = [p for p in catalogue.platforms if p.id not in skip]
    exclude = [e for e in selection.exclude if e not in skip]
    chosen = select(usable, only=selection.only, tags=selection.tags, exclude=exclude)
    return Chosen(chosen, len(catalogue.skipped))


def read_skip_file(path: str | Path) -> set[str]:
    """Platform ids listed in a skip file (the first word of each line; '#' starts a comment)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read skip file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return {line.split()[0] for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}
