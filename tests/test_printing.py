"""Every place that prints text from a file or a server to a terminal goes through `text.printable`:
escape sequences (CSI colours, OSC 8 hyperlinks) are dropped whole, with BEL and bidi overrides."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlecheck.candidates import Brand
from handlecheck.cli import main
from handlecheck.domain import (
    BestHandle,
    Candidate,
    Classification,
    Depth,
    Finding,
    HuntReport,
    ScanReport,
    Technique,
    Tier,
)
from handlecheck.models import Result, Verdict
from handlecheck.pipeline.selfcheck import Health, PlatformHealth
from handlecheck.report.catalogue import render_selfcheck
from handlecheck.report.lookalikes import render_findings
from handlecheck.report.results import summary_line
from handlecheck.report.scan import render_table
from handlecheck.store.history import History
from handlecheck.summary import summarise
from handlecheck.text import printable
from tests.conftest import PlatformFile

WHEN = datetime(2024, 5, 1, tzinfo=UTC)
ESC, OSC8, BEL, RLO = "\x1b[31m", "\x1b]8;;http://evil\x07", "\x07", "\u202e"
HOSTILE = f"{OSC8}acme_help\x1b]8;;\x07{ESC}{BEL}{RLO}"  # shows as acme_help


def harmless(text: str) -> bool:
    """Nothing a terminal acts on or that reorders the line, and no letters left from an escape."""
    hazards = [c for c in text if (unicodedata.category(c) == "Cc" and c != "\n") or c in "\u202a\u202b\u202d\u202e"]
    return not hazards and "[31m" not in text and "]8;;" not in text and "http://evil" not in text


def test_printable_drops_whole_escape_sequences() -> None:
    assert printable(f"{ESC}Acme\x1b[0m") == "Acme"
    assert printable(f"{OSC8}link\x1b]8;;\x1b\\ and \x9b2Jmore{BEL}{RLO}") == "link and more"
    assert printable("\x1b]0;title\x07\x1bcreset\x1b(Bok") == "resetok"


@pytest.mark.parametrize("name", [f"{ESC}Acme\x1b[0m", f"{OSC8}Acme\x1b]8;;\x07", f"Ac{BEL}me{RLO}"])
def test_the_handle_takes_no_letters_from_escape_codes(name: str) -> None:
    assert Brand.parse(name).handle == "acme"


def test_scan_table_prints_the_best_handle_harmlessly() -> None:
    report = ScanReport(
        "Acme", "acme", Depth.QUICK, (), (HOSTILE,), (), (), (), BestHandle(HOSTILE, 3, 4), 0, WHEN, WHEN
    )
    table = render_table(report)
    assert "Best common handle: acme_help: free" in table and harmless(table), table


def test_lookalike_findings_table_prints_platforms_and_handles_harmlessly() -> None:
    candidate = Candidate(HOSTILE, (Technique.AFFIX,), Tier.COMBO, "help", "acme")
    finding = Finding(HOSTILE, HOSTILE, None, candidate, Classification.IMPERSONATOR, 90, ("affix",), None, WHEN)
    text = render_findings(HuntReport("Acme", (), (finding,), 0), Depth.QUICK, summarise([]), "table")
    assert "acme_help" in text and harmless(text), text


def test_selfcheck_table_prints_platform_ids_harmlessly() -> None:
    text = render_selfcheck([PlatformHealth(HOSTILE, Health.BROKEN, HOSTILE)], "table")
    assert text.splitlines()[2].split() == ["acme_help", "broken", "acme_help"] and harmless(text), text


def test_lookalikes_command_refuses_an_escape_coded_brand_in_one_harmless_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lookalikes", f"{ESC}Acme\x1b[0m", "--max", "200"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "control character" in captured.err
    assert "\x1b" not in captured.err and "\\x1b[31m" in captured.err  # shown spelled out, not acted on
    assert captured.err.count("\n") == 1


def _history_with_a_hostile_handle(path: Path) -> None:
    with History(path) as history:
        for verdict in (Verdict.AVAILABLE, Verdict.TAKEN):
            scan = history.start_scan("Acme", resume_within=timedelta(0))
            history.record(scan, Result(HOSTILE, f"alpha{ESC}", verdict, None, None, 200, 5, "", WHEN))
            history.finish_scan(scan)


def test_history_and_diff_tables_print_stored_text_harmlessly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite"
    _history_with_a_hostile_handle(db)
    assert main(["diff", "Acme", "--db", str(db)]) == 0
    diff = capsys.readouterr().out
    assert "name-taken" in diff and "acme_help" in diff and harmless(diff), diff
    assert main(["history", "Acme", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert listed.count("done") == 2 and harmless(listed), listed


def test_an_error_line_quoting_what_was_given_is_harmless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.sqlite"
    assert main(["diff", f"{OSC8}Acme\x1b]8;;\x07{BEL}", "--db", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"handlecheck: error: no scans of Acme in the history {empty} (handlecheck history lists the brands it has)\n"
    )


def test_platforms_list_prints_a_platform_file_harmlessly(
    platform_file: PlatformFile, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "Evil \\e]8;;http://evil.example\\aname\\e]8;;\\a \\e[31mred \\a \\u202eeman"
    path = platform_file(
        f"""
        - id: evil
          name: "{name}"
          tags: [social]
          checks:
            - request: {{url: "http://127.0.0.1:9/u/{{{{handle}}}}"}}
              outcomes:
                - verdict: taken
                  matchers: [{{type: status, status: [200]}}]
        """
    )
    assert main(["platforms", "list", "--platforms", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Evil name red  eman" in out and harmless(out), out


def test_the_summary_line_multiplies_handles_by_platforms_only_when_every_pair_is_there() -> None:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    pairs = [Result(h, p, Verdict.TAKEN, None, None, None, 0, "", when) for h in ("a", "b") for p in ("x", "y", "z")]
    assert summary_line(summarise(pairs)).startswith("6 checks (2 handles x 3 platforms): 6 taken")
    cut_short = pairs[:4]  # a stop after four: b on y and z never asked
    assert summary_line(summarise(cut_short)).startswith("4 checks (2 handles, on 3 platforms): 4 taken")
