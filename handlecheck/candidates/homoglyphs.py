"""ASCII lookalikes: characters (or pairs) that a reader takes for others in a handle.

Handles are mostly ASCII, so the Unicode confusables (skeleton.py) cannot make them; these
can. Each pair has a weight, 1 for "the same in most fonts" (0/o, l/1/I, rn/m), 2 for "close"
(5/s, q/g, vv/w, m/n), 3 for the digits that only stand in for a letter (4/a, 3/e, 7/t). A lookalike may use up to
`MAX_STEPS` substitutions (g00gle is one step: a doubled letter is swapped as a pair) weighing
`MAX_WEIGHT` together, and a brand gets its `MAX_LOOKALIKES` best.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

# (what is written, what it is read as, weight); every pair works both ways.
PAIRS: tuple[tuple[str, str, int], ...] = (
    ("o", "0", 1), ("l", "1", 1), ("i", "1", 1), ("l", "i", 1), ("m", "rn", 1), ("w", "vv", 1), ("d", "cl", 1),
    ("m", "nn", 2), ("n", "ri", 2), ("s", "5", 2), ("g", "q", 2), ("g", "9", 2), ("q", "9", 2), ("u", "v", 2),
    ("c", "e", 2), ("b", "lb", 2), ("d", "dl", 2), ("h", "lh", 2), ("k", "lc", 2), ("3", "8", 2), ("6", "9", 2),
    ("m", "n", 2), ("n", "r", 2), ("b", "d", 2),
    ("b", "6", 3), ("e", "3", 3), ("a", "4", 3), ("b", "8", 3), ("z", "2", 3), ("t", "7", 3),
)  # fmt: skip
MAX_STEPS = 2
MAX_WEIGHT = 4
MAX_LOOKALIKES = 300  # a long brand's two-step pairs grow with the square of its length


def _swaps() -> dict[str, tuple[tuple[str, int], ...]]:
    table: dict[str, list[tuple[str, int]]] = {}
    for one, other, weight in PAIRS:
        table.setdefault(one, []).append((other, weight))
        table.setdefault(other, []).append((one, weight))
    return {key: tuple(sorted(options, key=lambda o: (o[1], o[0]))) for key, options in table.items()}


SWAPS = _swaps()


class Swap(NamedTuple):
    """A lookalike of a handle: the result, how many substitutions, their total weight, and
    what was swapped ("o->0, l->1")."""

    handle: str
    steps: int
    weight: int
    detail: str


def _one_step(text: str, budget: int) -> Iterator[tuple[str, int, str]]:
    """Every single substitution in `text` that weighs at most `budget`."""
    for i in range(len(text)):
        for width in (1, 2):
            piece = text[i : i + width]
            if len(piece) < width:
                continue
            for other, weight in SWAPS.get(piece, ()):
                if weight > budget:
                    break  # the options are sorted by weight
                yield text[:i] + other + text[i + width :], weight, f"{piece}->{other}"
            if width == 2 and piece[0] == piece[1]:
                for other, weight in SWAPS.get(piece[0], ()):
                    if weight > budget:
                        break
                    yield text[:i] + other * 2 + text[i + 2 :], weight, f"{piece}->{other * 2}"


def lookalikes(handle: str) -> list[Swap]:
    """The MAX_LOOKALIKES best lookalikes of `handle` within MAX_STEPS substitutions and
    MAX_WEIGHT, each once (its lightest spelling wins), by steps, weight, then the handle."""
    best: dict[str, Swap] = {}
    frontier = [Swap(handle, 0, 0, "")]
    for step in range(1, MAX_STEPS + 1):
        reached: list[Swap] = []
        for origin in frontier:
            for text, weight, detail in _one_step(origin.handle, MAX_WEIGHT - origin.weight):
                if text == handle:
                    continue
                swap = Swap(
                    text, step, origin.weight + weight, f"{origin.detail}, {detail}" if origin.detail else detail
                )
                known = best.get(text)
                if known is None or (swap.steps, swap.weight) < (known.steps, known.weight):
                    best[text] = swap
                    reached.append(swap)
        frontier = reached
    return sorted(best.values(), key=lambda s: (s.steps, s.weight, s.handle))[:MAX_LOOKALIKES]
