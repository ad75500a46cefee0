"""Many brands at once (an agency's client list): CSV, YAML, or one brand a line on stdin.

CSV columns: brand (required), aliases, owned, email_domain, owner. Lists inside a cell are
separated by ';' (or '|'); owned accounts are PLATFORM:HANDLE.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from typing import Any

from .config import Config, Owners, check_config, parse_config
from .domain import Owned
from .errors import ConfigError, InputError
from .yamlio import load_yaml

MAX_BRANDS = 100_000
_SPLIT = re.compile(r"[;|]")


def _items(cell: str | None) -> list[str]:
    return [part.strip() for part in _SPLIT.split(cell or "") if part.strip()]


def read_brands(path: str) -> list[Config]:
    """Read a brand list; errors name the file and the row."""
    if path == "-":
        text, source = sys.stdin.read(), "<stdin>"
        return [Config(brand=line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    source = path
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.endswith((".yaml", ".yml")):
        return _from_yaml(text, source)
    return _from_csv(text, source)


def _from_csv(text: str, source: str) -> list[Config]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "brand" not in [f.strip().casefold() for f in reader.fieldnames]:
            raise InputError(f"{source}:1: no 'brand' column (columns: brand, aliases, owned, email_domain, owner)")
        brands: list[Config] = []
        for number, row in enumerate(reader, start=2):
            row = {(k or "").strip().casefold(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
            if not row.get("brand"):
                if any(row.values()):
                    raise InputError(f"{source}:{number}: the brand cell is empty")
                continue
            try:
                owned = tuple(Owned.parse(text) for text in _items(row.get("owned")))
            except InputError as exc:
                raise InputError(f"{source}:{number}: {exc}") from None
            email = row.get("email_domain") or None
            if email and not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", email):
                raise InputError(f"{source}:{number}: email_domain {email!r} is not a domain")
            brands.append(
                Config(
                    brand=row["brand"][:100],
                    aliases=tuple(_items(row.get("aliases"))),
                    owned=owned,
                    email_domain=email,
                    owners=Owners(default=row.get("owner") or None),
                )
            )
            if len(brands) > MAX_BRANDS:
                raise InputError(f"{source}: more than {MAX_BRANDS} brands")
        return brands
    except csv.Error as exc:
        raise InputError(f"{source}: not valid CSV ({exc})") from None


def _from_yaml(text: str, source: str) -> list[Config]:
    node, data = load_yaml(text, source)
    listed = isinstance(data, dict)
    items: Any = data.get("brands") if listed else data
    if not isinstance(items, list):
        raise ConfigError("expected a list of brands (or brands: [...])", source=source)
    brands = []
    for index, item in enumerate(items):
        entry = {"brand": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("brand"), str):
            raise ConfigError("each brand needs a 'brand' name", source=source, path=f"brands[{index}]")
        check_config(entry, node, source, ("brands", index) if listed else (index,))
        brands.append(parse_config(entry, source=source))
    return brands
