"""Keys next to each other on the three layouts typo-squatters use (dnstwist's three): a slip
of the finger swaps or adds a neighbour."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

KEYBOARDS: dict[str, tuple[str, ...]] = {
    "qwerty": ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),
    "qwertz": ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"),
    "azerty": ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),
}
LAYOUTS: tuple[str, ...] = tuple(KEYBOARDS)

# Rows are staggered: a key touches two keys of the row above and two of the row below.
_TOUCHING = ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0))


@cache
def _layout_neighbours(layout: str) -> dict[str, frozenset[str]]:
    rows = KEYBOARDS[layout]
    found: dict[str, set[str]] = {}
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            near = found.setdefault(char, set())
            for dr, dc in _TOUCHING:
                rr, cc = r + dr, c + dc
                if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]):
                    near.add(rows[rr][cc])
    return {char: frozenset(near) for char, near in found.items()}


@cache
def neighbours(layouts: Sequence[str] = LAYOUTS) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each key's neighbours on any of `layouts`, each with the layouts it is a neighbour on
    ("qwerty,qwertz"), in a stable order."""
    merged: dict[str, dict[str, list[str]]] = {}
    for layout in layouts:
        for char, near in _layout_neighbours(layout).items():
            for other in near:
                merged.setdefault(char, {}).setdefault(other, []).append(layout)
    return {
        char: tuple((other, ",".join(on)) for other, on in sorted(near.items()))
        for char, near in sorted(merged.items())
    }
