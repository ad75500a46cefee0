"""Where to report, recover and get verified: the entry fields, the bundled catalogue's coverage,
and `platforms validate`'s warnings."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from handlecheck.errors import ConfigError
from handlecheck.models import Cost, Offered
from handlecheck.registry import parse_platforms
from handlecheck.registry.helplinks import HELP_PRIORITIES, help_gaps

# The bundled catalogue's count of critical, high and normal platforms that record all three;
# it may grow, never shrink (issue 16).
COMPLETE_FLOOR = 85

ENTRY = """version: 1
platforms:
  - id: chirp
    name: Chirp
    priority: {priority}
    urls: {{profile: "https://chirp.test/{{{{handle}}}}", {urls}}}
{extra}
    checks:
      - request: {{url: "https://chirp.test/{{{{handle}}}}"}}
        outcomes: [{{verdict: taken, matchers: [{{type: status, status: [200]}}]}}]
"""


def entry(urls: str, extra: str = "", priority: str = "high") -> str:
    return ENTRY.format(urls=urls, extra=extra, priority=priority)


def test_links_in_app_steps_none_and_mail_are_read_as_they_are_written() -> None:
    (platform,) = parse_platforms(
        entry(
            'report: in-app, recovery: "https://chirp.test/hacked"',
            '    taps: {report: "profile > ... > Report > Pretending to be someone"}\n'
            '    verification: {url: "https://chirp.test/verified", how: "Verified Organizations", cost: paid}',
        ),
        source="t",
    )
    assert platform.urls.report is None and platform.urls.recovery == "https://chirp.test/hacked"
    assert platform.help.report.offered is Offered.IN_APP and "Pretending" in platform.help.report.how
    assert platform.help.recovery.offered is Offered.LINK
    assert (platform.help.verification.url, platform.help.verification.cost) == (
        "https://chirp.test/verified",
        Cost.PAID,
    )
    assert platform.help.missing() == ()
    (mailed,) = parse_platforms(
        entry('report: "mailto:abuse@chirp.test", recovery: none', "    verification: none"), source="t"
    )
    assert mailed.help.report.url == "mailto:abuse@chirp.test" and mailed.help.recovery.offered is Offered.NONE
    assert mailed.help.verification.offered is Offered.NONE and mailed.help.missing() == ()


@pytest.mark.parametrize(
    ("urls", "extra", "wrong"),
    [
        ('report: "ftp://chirp.test/x"', "", "report"),
        ("recovery: maybe", "", "recovery"),
        ("", "    verification: {cost: free}", "how"),
        ("", '    verification: {how: "x", cost: cheap}', "cheap"),
    ],
)
def test_a_malformed_help_field_is_an_error_naming_it(urls: str, extra: str, wrong: str) -> None:
    with pytest.raises(ConfigError, match=wrong):
        parse_platforms(entry(urls or 'signup: "https://chirp.test/join"', extra), source="t")


def test_gaps_are_only_counted_for_priority_platforms() -> None:
    low = parse_platforms(entry('signup: "https://chirp.test/join"', priority="low"), source="t")
    high = parse_platforms(entry('report: "https://chirp.test/report"'), source="t")
    assert help_gaps(low) == []
    assert [(p.id, lacking) for p, lacking in help_gaps(high)] == [("chirp", ("recovery", "verification"))]


def _bundled_text() -> str:
    return (resources.files("handlecheck") / "data" / "platforms.yaml").read_text("utf-8")


def test_the_bundled_catalogue_keeps_its_help_links() -> None:
    platforms = parse_platforms(_bundled_text(), source="bundled")
    priority = [p for p in platforms if p.priority in HELP_PRIORITIES]
    complete = len(priority) - len(help_gaps(priority))
    assert complete >= COMPLETE_FLOOR, f"{complete} priority platforms record all three, fewer than {COMPLETE_FLOOR}"
    for platform in platforms:
        for channel in (platform.help.report, platform.help.recovery, platform.help.verification):
            if channel.offered is Offered.LINK:
                assert channel.url and channel.url.startswith(("https://", "mailto:")), (platform.id, channel.url)
            if channel.offered is Offered.IN_APP and channel is not platform.help.verification:
                assert channel.how, f"{platform.id}: in-app without the steps to take"
        recorded = {platform.help.recovery.offered, platform.help.verification.offered} != {Offered.UNKNOWN}
        if recorded:  # (the report links from before these fields cite PLATFORM-NOTES)
            assert "Help links:" in (platform.source or ""), f"{platform.id}: help links without a source"


def test_validate_warns_for_each_gap_and_still_passes(tmp_path: Path) -> None:
    path = tmp_path / "platforms.yaml"
    path.write_text(entry('report: "https://chirp.test/report"'), encoding="utf-8")
    code = "import sys; from handlecheck.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run(
        [sys.executable, "-c", code, "platforms", "validate", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        f"handlecheck: warning: {path}: chirp (high): no recovery, verification recorded"
    ]
    assert "help: 0 of 1 critical, high and normal platforms" in run.stdout
