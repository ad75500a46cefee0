"""Importers: the community username databases, converted to handlecheck's own format.

Each importer is a pure function from the parsed foreign document to native platform entries
(the dicts a platforms.yaml holds) and the entries it skipped, with a reason. The registry then
validates every entry exactly as it validates a native file, so a converted entry that would
be unsafe or malformed is skipped too, never half-used.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..models import SourceFormat
from . import maigret, sherlock, whatsmyname
from .common import Imported

__all__ = ["Imported", "convert", "detect_format"]


def detect_format(document: Any, source: str) -> SourceFormat:
    """Tell the format from the content (never from the file name)."""
    if isinstance(document, dict):
        if "version" in document and "platforms" in document:
            return SourceFormat.HANDLECHECK
        sites = document.get("sites")
        if isinstance(sites, list):
            return SourceFormat.WHATSMYNAME
        if isinstance(sites, dict):
            return SourceFormat.MAIGRET
        if any(isinstance(v, dict) and "errorType" in v for v in document.values()):
            return SourceFormat.SHERLOCK
    raise ConfigError(
        "not a platform file: expected handlecheck's format, or Sherlock's data.json, "
        "WhatsMyName's wmn-data.json or Maigret's data.json",
        source=source,
    )


def convert(file_format: SourceFormat, document: Any, *, nsfw: bool = False) -> Imported:
    converters = {
        SourceFormat.SHERLOCK: sherlock.convert,
        SourceFormat.WHATSMYNAME: whatsmyname.convert,
        SourceFormat.MAIGRET: maigret.convert,
    }
    return converters[file_format](document, nsfw=nsfw)
