"""The jobs, each one pass of the flow over the network edge: `hunt` (lookalike accounts),
`scan` (one brand, from its name to its to-do list), `bulk` (many brands over one session,
with history and policy) and `selfcheck` (the rules proved online). They return or yield
reports and write nothing but the history."""

from __future__ import annotations

from .bulk import BrandOutcome, BulkScan
from .hunt import candidate_pairs, hunt
from .scan import Progress, scan
from .selfcheck import selfcheck

__all__ = ["BrandOutcome", "BulkScan", "Progress", "candidate_pairs", "hunt", "scan", "selfcheck"]
