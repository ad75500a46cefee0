"""Many brands at once (an agency's client list): CSV, YAML, or one brand a line on stdin.

CSV columns: brand (required), aliases, owned, email_domain, owner. Lists inside a cell are
separated by ';' (or '|'); owned accounts are PLATFORM:HANDLE.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .candidates import brand_problem
from .config import Config, NamedId, Owners, check_config, parse_config
from .domain import Owned
from .errors import ConfigError, InputError
from .reading import TooLarge, read_capped
from .text import brand_key
from .yamlio import line_of, load_yaml

MAX_BRANDS = 100_000
MAX_YAML_BYTES = 8 * 2**20  # YAML is parsed whole, twice (checked, then read): a CSV streams
MAX_STDIN_CHARS = 16 * 2**20
CSV_COLUMNS = ("brand", "aliases", "owned", "email_domain", "owner")
_SPLIT = re.compile(r"[;|]")


def _items(cell: str | None) -> list[str]:
    return [part.strip() for part in _SPLIT.split(cell or "") if part.strip()]


@dataclass(frozen=True, slots=True)
class Shard:
    """Part `index` of `count` (from 1) of a brand list, for the jobs of a CI matrix: a brand
    belongs to one part by a hash of its key (case and accents aside), so N jobs cover the list
    exactly once, whatever its order, and a brand stays in its part as the list grows."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        found = re.fullmatch(r"\s*(\d{1,5})\s*/\s*(\d{1,5})\s*", text)
        if found is None or not 1 <= int(found[1]) <= int(found[2]):
            raise InputError(f"--shard {text}: not K/N with 1 <= K <= N (e.g. --shard 2/4)")
        return cls(int(found[1]), int(found[2]))

    def holds(self, brand: str) -> bool:
        digest = hashlib.sha256(brand_key(brand).encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


class BrandList:
    """A brand list, checked whole when it is read and then parsed again, one brand at a time,
    on each pass over it: a list of 100,000 brands never sits in memory as Configs. With a
    `shard`, only the brands of that part (every row is still checked)."""

    __slots__ = ("_count", "_stdin", "path", "shard", "source")

    def __init__(self, path: str, shard: Shard | None = None) -> None:
        self.path = path
        self.shard = shard
        self.source = "<stdin>" if path == "-" else path
        self._stdin = _stdin() if path == "-" else None
        self._count = sum(1 for _ in self)  # a first pass checks every row

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Config]:
        configs = _from_lines(self._stdin) if self._stdin is not None else self._from_file()
        for count, config in enumerate(configs, start=1):
            if count > MAX_BRANDS:
                raise InputError(f"{self.source}: more than {MAX_BRANDS} brands")
            if self.shard is None or self.shard.holds(config.brand):
                yield config

    def _from_file(self) -> Iterator[Config]:
        try:
            if self.path.endswith((".yaml", ".yml")):
                try:
                    text = read_capped(self.path, MAX_YAML_BYTES).decode("utf-8-sig")
                except TooLarge as exc:
                    raise InputError(
                        f"{self.path}: {exc.describe('a YAML brand list', 'give a long list as CSV')}"
                    ) from None
                yield from _from_yaml(text, self.source)
                return
            with open(self.path, encoding="utf-8-sig", newline="") as stream:  # CSV is read a row at a time
                yield from _from_csv(stream, self.source)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {self.path}: {getattr(exc, 'strerror', None) or exc}") from None


def _stdin() -> str:
    """A brand a line from stdin, at most MAX_STDIN_CHARS of them (a hundred thousand brands)."""
    text = sys.stdin.read(MAX_STDIN_CHARS + 1)
    if len(text) > MAX_STDIN_CHARS:
        raise InputError(f"<stdin>: more than {MAX_STDIN_CHARS // 2**20} MiB of brand names; give a long list as CSV")
    return text


def read_brands(path: str, shard: Shard | None = None) -> BrandList:
    """Read and check a brand list (a file, or '-' for stdin); errors name the file and the row."""
    return BrandList(path, shard)


def _from_lines(text: str) -> Iterator[Config]:
    """One brand a line; blank lines and lines starting with '#' (after any indent) are skipped."""
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.strip()[:100]
        if not name or name.startswith("#"):
            continue
        problem = brand_problem(name)
        if problem is not None:
            raise InputError(f"<stdin>:{number}: {problem}")
        yield Config(brand=name)


def _from_csv(stream: Iterable[str], source: str) -> Iterator[Config]:
    """Strict CSV: a quote left open is an error at its row, not a cell that swallows every row
    after it; a column whose name is a near miss of a known one ('alias') is an error too, since
    what it holds would be lost. Other columns (a CRM's notes) are left alone."""
    reader = csv.DictReader(stream, strict=True)
    read = 0  # the lines read: a row that fails starts on the next
    try:
        names = [f.strip().casefold() for f in reader.fieldnames or ()]
        if "brand" not in names:
            raise InputError(f"{source}:1: no 'brand' column (columns: {', '.join(CSV_COLUMNS)})")
        for name in names:
            near = difflib.get_close_matches(name, CSV_COLUMNS, n=1, cutoff=0.75)
            if name not in CSV_COLUMNS and near:
                raise InputError(f"{source}:1: unknown column {name[:40]!r}: did you mean {near[0]!r}?")
        read = reader.line_num
        for row in reader:
            number, read = read + 1, reader.line_num
            cells = {(k or "").strip().casefold(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
            if any("\n" in cell or "\r" in cell for cell in cells.values()):
                raise InputError(f"{source}:{number}: a cell runs over several lines (a quote left open?)")
            if not cells.get("brand"):
                if any(cells.values()):
                    raise InputError(f"{source}:{number}: the brand cell is empty")
                continue
            yield _csv_config(cells, source, number)
    except csv.Error as exc:
        raise InputError(f"{source}:{read + 1}: not valid CSV ({exc})") from None


def _csv_config(row: dict[str, str], source: str, number: int) -> Config:
    where = f"{source}:{number}"
    brand = row["brand"][:100]
    problem = brand_problem(brand)
    if problem is not None:
        raise InputError(f"{where}: {problem}")
    try:
        owned = tuple(Owned.parse(text) for text in _items(row.get("owned")))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    email = row.get("email_domain") or None
    if email and not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", email):
        raise InputError(f"{where}: email_domain {email!r} is not a domain")
    return Config(
        brand=brand,
        aliases=tuple(_items(row.get("aliases"))),
        owned=owned,
        email_domain=email,
        owners=Owners(default=row.get("owner") or None),
        named=tuple(NamedId(o.platform, "owned", source, line=number, path="owned") for o in owned),
    )


def _from_yaml(text: str, source: str) -> Iterator[Config]:
    node, data = load_yaml(text, source)
    listed = isinstance(data, dict)
    items: Any = data.get("brands") if listed else data
    if not isinstance(items, list):
        raise ConfigError("expected a list of brands (or brands: [...])", source=source)
    for index, item in enumerate(items):
        entry = {"brand": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("brand"), str):
            raise ConfigError("each brand needs a 'brand' name", source=source, path=f"brands[{index}]")
        at = ("brands", index) if listed else (index,)
        check_config(entry, node, source, at)
        problem = brand_problem(entry["brand"])
        if problem is not None:
            raise ConfigError(problem, source=source, line=line_of(node, at), path=f"brands[{index}]")
        yield parse_config(entry, source=source, node=node, at=at)
