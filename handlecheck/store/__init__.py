"""What a run keeps: the SQLite history of scans and answers (`history`) and the earlier
state a scan is compared with, a history scan or a baseline file (`baseline`)."""

from __future__ import annotations

from .baseline import earlier_scan, from_history, read_baseline, write_baseline
from .history import History, ScanRecord

__all__ = ["History", "ScanRecord", "earlier_scan", "from_history", "read_baseline", "write_baseline"]
