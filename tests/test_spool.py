"""The on-disk spool a bulk run keeps its summary lines in: rows come back by key, then in arrival order."""

from __future__ import annotations

import tracemalloc

from handlecheck.store.spool import SortedSpool


def test_rows_come_back_sorted_on_every_pass() -> None:
    with SortedSpool() as spool:
        for key, cells in (("globex", ["Globex", "1"]), ("acme", ["Acme", "2"]), ("acme", ["ACME", "3"])):
            spool.add(key, cells)
        assert len(spool) == 3
        expected = [["Acme", "2"], ["ACME", "3"], ["Globex", "1"]]
        assert list(spool) == expected and list(spool) == expected, "by key, ties in arrival order"


def test_any_text_survives_the_round_trip() -> None:
    cells = ["tab\there", "nul\x00", "東京", "\x1b[31m", "a\nb", ""]
    with SortedSpool() as spool:
        spool.add("k", cells)
        assert list(spool) == [cells]


def test_a_hundred_thousand_rows_are_not_held_in_python() -> None:
    with SortedSpool() as spool:
        tracemalloc.start()
        try:
            for number in range(100_000):
                spool.add(f"brand{number:06d}", [f"Brand {number}", "0", "1", "0", "0", "0", f"brand{number}", ""])
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held < 1_000_000, f"{held} bytes held in Python for 100,000 rows"
        assert sum(1 for _ in spool) == 100_000
