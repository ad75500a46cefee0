"""A run over many brands: each brand's report file name, and the one-table summary of the run.

The summary is made of a `BulkRow` per brand, not of the reports, and is written a line at a
time from rows the caller keeps (on disk, in a `store.spool.SortedSpool`): 100,000 brands make
a long table, not a big process.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..domain import ScanReport
from ..files import file_stem
from ..text import printable

HEADERS = ("brand", "report", "register", "claim", "fix", "lookalikes", "best handle", "incomplete", "file")
NUMERIC = frozenset({1, 2, 3, 4, 5})


def report_file_name(brand: str, extension: str) -> str:
    """The name of a brand's report file: the brand's `file_stem` (Acme, ACME and acme! get three
    files, and the same brand the same file on every run), then the extension."""
    return f"{file_stem(brand)}.{extension}"


@dataclass(frozen=True, slots=True)
class BulkRow:
    """What the summary keeps of one brand's report: its line, made printable."""

    brand: str
    todo: tuple[int, int, int, int]  # report, register, claim, fix
    lookalikes: int
    best: str
    incomplete: bool
    file: str

    @classmethod
    def of(cls, report: ScanReport, file: str) -> BulkRow:
        counts = report.summary()["todo"]
        report_n, register, claim, fix = (counts.get(a, 0) for a in ("report", "register", "claim", "fix"))
        best = printable(report.best_handle.handle, 40) if report.best_handle else "-"
        return cls(
            printable(report.brand, 60), (report_n, register, claim, fix), len(report.findings), best,
            report.incomplete, printable(file),
        )  # fmt: skip

    def cells(self) -> tuple[str, ...]:
        return (self.brand, *map(str, self.todo), str(self.lookalikes), self.best,
                "yes" if self.incomplete else "", self.file)  # fmt: skip


def _width(text: str) -> int:
    """Columns a terminal gives the text: two for wide (CJK) characters, none for combining marks."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text
    )


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = []
    for index, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        gap = " " * (width - _width(cell))
        padded.append(gap + cell if index in NUMERIC else cell + gap)
    return "  ".join(padded).rstrip() + "\n"


def bulk_summary_lines(rows: Iterable[Sequence[str]], where: str) -> Iterator[str]:
    """The summary table of `BulkRow.cells()`, in the order given, then where the reports are.
    `rows` is passed over twice, for the column widths and then for the lines: a list, or a
    spool that reads its rows again on each pass."""
    widths = [_width(header) for header in HEADERS]
    for cells in rows:
        widths = [max(width, _width(cell)) for width, cell in zip(widths, cells, strict=True)]
    yield _line(HEADERS, widths)
    yield _line(["-" * width for width in widths], widths)
    count = 0
    for cells in rows:
        count += 1
        yield _line(cells, widths)
    noun = "brand" if count == 1 else "brands"
    yield f"\n{count} {noun}; reports in {printable(where, 200)}\n"
