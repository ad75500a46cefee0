"""Load platform files: YAML with line numbers, schema and semantic checks, frozen Platforms.

Every fault becomes a `ConfigError` naming the file, the line, the platform id and the YAML
path of the field, so a user can go straight to it.
"""

from __future__ import annotations

from .load import (
    BUNDLED,
    MAX_FILE_BYTES,
    Conversion,
    bundled_path,
    import_document,
    import_file,
    is_native,
    json_document,
    load_catalogue,
    load_platforms,
    parse_platforms,
    read_file,
    validate_file,
    validate_platforms,
)
from .schema import schema
from .select import merge, select

__all__ = [
    "BUNDLED",
    "MAX_FILE_BYTES",
    "Conversion",
    "bundled_path",
    "import_document",
    "import_file",
    "is_native",
    "json_document",
    "load_catalogue",
    "load_platforms",
    "merge",
    "parse_platforms",
    "read_file",
    "schema",
    "select",
    "validate_file",
    "validate_platforms",
]
