"""What a run keeps: the history of scans and answers (`history`; a SQLite file or a PostgreSQL
database, opened by `open_history`) and the earlier state a scan is compared with, a history
scan or a baseline file (`baseline`)."""

from __future__ import annotations

from .baseline import ScanPair, earlier_scan, from_history, read_baseline, scans_to_compare, write_baseline
from .history import BrandRecord, History, ScanRecord, open_history

__all__ = [
    "BrandRecord", "History", "ScanPair", "ScanRecord", "earlier_scan", "from_history", "open_history",
    "read_baseline", "scans_to_compare", "write_baseline",
]  # fmt: skip
