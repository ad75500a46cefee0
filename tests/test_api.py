"""The library and the command line give the same report for the same inputs."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import handlecheck
from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.config import Config
from handlecheck.report.bulk import report_file_name
from tests.test_scan import world  # noqa: F401  (the simulated platforms of the scan tests)

OPTIONS = HttpOptions(timeout=5, retries=1, backoff=0.01)
FLAGS = ["--timeout", "5", "--retries", "1", "--no-progress", "--no-db", "--format", "json"]
CLOCK = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\+00:00| UTC)?")
VOLATILE = {"started_at", "finished_at", "timings", "elapsed_ms", "checked_at", "seen_at", "elapsed_seconds"}


def comparable(document: Any) -> Any:
    """A report with what differs from run to run taken out: clock times, and the order in
    which answers arrived (results are sorted)."""
    if isinstance(document, dict):
        kept = {k: comparable(v) for k, v in document.items() if k not in VOLATILE}
        if isinstance(kept.get("results"), list):
            kept["results"] = sorted(kept["results"], key=lambda r: (r["handle"], r["platform"]))
        return kept
    if isinstance(document, list):
        return [comparable(item) for item in document]
    if isinstance(document, str):  # "seen 2026-12-02T05:21", "Seen 2026-12-02 05:21 UTC": a clock time too
        return CLOCK.sub("<time>", document)
    return document


async def test_scan_from_the_library_and_from_the_cli_agree(world: Path, tmp_path: Path) -> None:  # noqa: F811
    library = await handlecheck.scan("Acme", platforms=world, options=OPTIONS)
    out = tmp_path / "acme.json"
    argv = ["scan", "Acme", "--platforms", str(world), *FLAGS, "-o", str(out)]
    assert await asyncio.to_thread(main, argv) == 0
    cli = json.loads(out.read_text(encoding="utf-8"))
    assert comparable(cli) == comparable(library.to_dict())
    assert library.findings, "the comparison covers findings, not only empty reports"


async def test_scan_many_from_the_library_and_from_the_cli_agree(world: Path, tmp_path: Path) -> None:  # noqa: F811
    brands = tmp_path / "brands.csv"
    brands.write_text("brand,aliases\nAcme,acmehq\nGlobex,\n", encoding="utf-8")
    out = tmp_path / "reports"
    argv = ["scan", "--input", str(brands), "--out", str(out), "--platforms", str(world), *FLAGS]
    assert await asyncio.to_thread(main, argv) == 0
    configs = [Config(brand="Acme", aliases=("acmehq",)), Config(brand="Globex")]
    library = {o.report.brand: o.report async for o in handlecheck.scan_many(configs, platforms=world, options=OPTIONS)}
    assert set(library) == {"Acme", "Globex"}
    for brand, report in library.items():
        cli = json.loads((out / report_file_name(brand, "json")).read_text(encoding="utf-8"))
        assert comparable(cli) == comparable(report.to_dict()), brand


async def test_the_sync_twins_return_what_the_async_functions_yield(world: Path) -> None:  # noqa: F811
    """Called from a thread of their own (as a script would), while this loop serves the sites."""
    results = await asyncio.to_thread(handlecheck.check_sync, ["acme"], world, options=OPTIONS)
    assert sorted(r.platform for r in results) == ["alpha", "beta", "delta", "epsilon", "gamma"]
    report = await asyncio.to_thread(handlecheck.scan_sync, "Acme", platforms=world, options=OPTIONS)
    assert report.brand == "Acme" and report.todo
    (outcome,) = await asyncio.to_thread(handlecheck.scan_many_sync, ["Acme"], platforms=world, options=OPTIONS)
    assert comparable(outcome.report.to_dict()) == comparable(report.to_dict())
