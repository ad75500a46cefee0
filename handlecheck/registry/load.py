"""Reading platform files: the format detected once (handlecheck's own, or a community
database converted by importers/), the schema, and the bundled catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..importers import convert, detect_format
from ..importers.common import Unusable
from ..models import (
    Catalogue,
    Platform,
    Skipped,
    SourceFormat,
)
from ..reading import TooLarge, read_capped
from ..yamlio import YamlLines, read_yaml
from .build import Builder
from .schema import top_validator

# Several times the largest community database converted (Maigret's, about 4 MB of YAML),
# and small enough that a file this size is read in seconds and well under 300 MB.
MAX_FILE_BYTES = 8 * 2**20


BUNDLED = "bundled platforms.yaml"


def bundled_path() -> Path:
    return Path(str(resources.files("handlecheck") / "data" / "platforms.yaml"))


def load_platforms(path: str | Path | None = None, *, nsfw: bool = False) -> tuple[Platform, ...]:
    """Load a platform file (the bundled one when `path` is None).

    The file may be in handlecheck's own format, or a Sherlock, WhatsMyName or Maigret
    database; entries of those that cannot be used are left out (see `load_catalogue`).
    """
    return load_catalogue(path, nsfw=nsfw).platforms


def load_catalogue(path: str | Path | None = None, *, nsfw: bool = False) -> Catalogue:
    """Load a platform file of any supported format, with the entries it had to skip."""
    text, source = read_file(path)
    document = json_document(text)
    if document is None or is_native(document):
        return Catalogue(parse_platforms(text, source=source))
    converted = import_document(document, source=source, nsfw=nsfw)
    return converted.catalogue


@dataclass(frozen=True, slots=True)
class Conversion:
    """A foreign database converted: the native entries that built, and the catalogue."""

    entries: tuple[dict[str, Any], ...]
    catalogue: Catalogue


def import_document(document: Any, *, source: str, nsfw: bool = False) -> Conversion:
    """Convert a Sherlock, WhatsMyName or Maigret document; raises ConfigError for any other."""
    file_format = detect_format(document, source)
    if file_format is SourceFormat.HANDLECHECK:
        raise ConfigError("already in handlecheck's format", source=source)
    try:
        imported = convert(file_format, document, nsfw=nsfw)
    except Unusable as exc:
        raise ConfigError(f"not a usable {file_format} file: {exc}", source=source) from None
    builder = Builder(source, None, {"platforms": list(imported.entries)})
    platforms, errors = builder.build_all(imported.entries)
    reasons: dict[int, list[str]] = {}
    for index, error in errors:
        reasons.setdefault(index, []).append(f"{error.path}: {error.reason}")
    failed = set(reasons)
    rejected = tuple(
        Skipped(str(imported.entries[index].get("name", "?")), "; ".join(why)) for index, why in reasons.items()
    )
    kept = tuple(e for i, e in enumerate(imported.entries) if i not in failed)
    return Conversion(kept, Catalogue(platforms, file_format, imported.skipped + rejected))


def import_file(path: str | Path, *, nsfw: bool = False) -> Conversion:
    text, source = read_file(path)
    document = json_document(text)
    if document is None:
        document = read_yaml(text, source)
    return import_document(document, source=source, nsfw=nsfw)


def validate_file(path: str | Path) -> FileCheck:
    """What `platforms validate` reports, whatever the file's format: for a handlecheck file,
    every platform that builds and every error; for a community database, what imports and
    what is left out (with why)."""
    text, source = read_file(path)
    document = json_document(text)
    if document is not None and not is_native(document):
        return FileCheck(import_document(document, source=source).catalogue, ())
    platforms, errors = validate_platforms(text, source=source)
    return FileCheck(Catalogue(platforms), tuple(errors))


@dataclass(frozen=True, slots=True)
class FileCheck:
    catalogue: Catalogue
    errors: tuple[ConfigError, ...]


def read_file(path: str | Path | None) -> tuple[str, str]:
    """The text of a platform file, refused before it is parsed when it is larger than
    `MAX_FILE_BYTES` (see `reading`)."""
    file = Path(path) if path is not None else bundled_path()
    source = str(path) if path is not None else BUNDLED
    try:
        return read_capped(file, MAX_FILE_BYTES).decode("utf-8"), source
    except TooLarge as exc:
        raise ConfigError(exc.describe("a platform file", "split it (--add-platforms takes several files)"),
                          source=source) from None  # fmt: skip
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", source=source) from None


def json_document(text: str) -> Any:
    """The parsed document when the text is JSON (the community databases are); else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def is_native(document: Any) -> bool:
    return isinstance(document, dict) and "version" in document and "platforms" in document


def parse_platforms(text: str, *, source: str = "<string>") -> tuple[Platform, ...]:
    """Parse the text of a platform file in handlecheck's format; raise its first error."""
    platforms, errors = validate_platforms(text, source=source)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            more = f" (and {len(errors) - 1} more: handlecheck platforms validate {source})"
            raise ConfigError(first.reason + more, source=first.source, line=first.line, path=first.path)
        raise first
    return platforms


def validate_platforms(text: str, *, source: str = "<string>") -> tuple[tuple[Platform, ...], list[ConfigError]]:
    """Every platform that builds, and every error of the file (in file order)."""
    data = read_yaml(text, source)
    return Builder(source, YamlLines(text), data).build_file(top_validator())
