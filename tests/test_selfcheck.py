"""The self-check: healthy, stale, everything-200 and dead platforms, and the skip file."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from pathlib import Path

import pytest

from handlecheck import HttpOptions, Verdict
from handlecheck.cli import main
from handlecheck.models import Case, HandleRule, Known, Platform, Reason, Result
from handlecheck.pipeline.selfcheck import Health, control_name, judge, selfcheck
from handlecheck.registry import load_platforms
from handlecheck.registry.select import read_skip_file
from tests import simulator as behave
from tests.conftest import PlatformFile
from tests.simulator import Simulator

RULE = """
- id: $id
  name: $id
  handle: {pattern: "^[a-z0-9_]{3,20}$$"}
  known: {taken: [canary]}
  checks:
    - request: {url: "$base/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers: [{type: status, status: [200]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""


def _dead_base() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
async def four_sites(sim: Simulator, platform_file: PlatformFile) -> Path:
    healthy = await sim.site(behave.profiles({"canary"}))
    stale = await sim.site(behave.profiles(set()))  # the canary's page moved: everything is 404 now
    everything = await sim.site(behave.always(200, "<html>welcome</html>"))
    return platform_file(
        RULE.replace("$id", "healthy").replace("$base", healthy.base),
        RULE.replace("$id", "stale").replace("$base", stale.base),
        RULE.replace("$id", "all200").replace("$base", everything.base),
        RULE.replace("$id", "dead").replace("$base", _dead_base()),
        RULE.replace("$id", "nocanary").replace("  known: {taken: [canary]}\n", "").replace("$base", healthy.base),
    )


async def test_selfcheck_tells_working_broken_unreachable_untested(four_sites: Path):
    reports = {
        r.platform: r async for r in selfcheck(load_platforms(four_sites), HttpOptions(timeout=2, retries=0), seed=7)
    }
    assert reports["healthy"].health is Health.WORKING
    assert reports["stale"].health is Health.BROKEN and "canary 'canary' reads as available" in reports["stale"].detail
    assert reports["all200"].health is Health.BROKEN and "calls every name taken" in reports["all200"].detail
    assert reports["dead"].health is Health.UNREACHABLE
    assert reports["nocanary"].health is Health.UNTESTED
    control = reports["healthy"].control
    assert control is not None and control.verdict is Verdict.AVAILABLE and control.handle != "canary"


async def test_selfcheck_cli_writes_a_skip_file_that_check_honours(four_sites: Path, tmp_path: Path, capsys):
    skip = tmp_path / "broken.txt"
    argv = ["platforms", "selfcheck", "--platforms", str(four_sites), "--format", "json", "--skip-file", str(skip),
            "--timeout", "2", "--retries", "0", "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 1, "exit 1 when a rule is broken"
    document = json.loads(capsys.readouterr().out)
    assert document["summary"] == {"broken": 2, "unreachable": 1, "untested": 1, "working": 1}
    assert read_skip_file(skip) == {"stale", "all200"}
    check = ["check", "canary", "--platforms", str(four_sites), "--skip-file", str(skip), "--format", "jsonl",
             "--exclude", "dead", "--timeout", "2", "--retries", "0", "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(main, check) == 0
    checked = {json.loads(line)["platform"] for line in capsys.readouterr().out.splitlines()}
    assert checked == {"healthy", "nocanary"}


async def test_the_skip_file_is_updated_for_the_platforms_judged_and_keeps_the_others(
    four_sites: Path, tmp_path: Path, capsys
):
    """A run that could not judge a platform (unreachable, stopped before it, not selected)
    leaves its old line: a stop or an outage never makes a broken rule usable again."""
    skip = tmp_path / "broken.txt"
    skip.write_text("# earlier\nhealthy\twas broken\ndead\twas broken\nelsewhere\tnot in this file\n")
    argv = ["platforms", "selfcheck", "--platforms", str(four_sites), "--skip-file", str(skip),
            "--timeout", "2", "--retries", "0", "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 1
    assert read_skip_file(skip) == {"stale", "all200", "dead", "elsewhere"}, "healthy works again: it is dropped"
    assert "dead\twas broken" in skip.read_text()
    said = capsys.readouterr().err
    assert f"4 broken platform ids written to {skip} (2 kept from before: not judged this run)" in said


def _result(handle: str, verdict: Verdict, reason: Reason | None = None) -> Result:
    from datetime import UTC, datetime

    return Result(handle, "p", verdict, reason, None, None, 0, "", datetime.now(UTC))


PLATFORM = Platform(id="p", name="P", checks=(), known=Known(taken=("canary",)))
JUDGE_CASES = [
    (_result("canary", Verdict.TAKEN), _result("zq81", Verdict.AVAILABLE), Health.WORKING),
    (_result("canary", Verdict.TAKEN), _result("zq81", Verdict.RESERVED), Health.WORKING),
    (_result("canary", Verdict.AVAILABLE), _result("zq81", Verdict.AVAILABLE), Health.BROKEN),
    (_result("canary", Verdict.TAKEN), _result("zq81", Verdict.TAKEN), Health.BROKEN),
    (_result("canary", Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE), None, Health.BROKEN),
    (_result("canary", Verdict.TAKEN), _result("zq81", Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE), Health.BROKEN),
    (_result("canary", Verdict.UNKNOWN, Reason.CHALLENGE), None, Health.UNREACHABLE),
    (_result("canary", Verdict.TAKEN), _result("zq81", Verdict.UNKNOWN, Reason.RATE_LIMITED), Health.UNREACHABLE),
    (None, None, Health.UNTESTED),
]


@pytest.mark.parametrize(("canary", "control", "health"), JUDGE_CASES)
def test_judge(canary: Result | None, control: Result | None, health: Health) -> None:
    assert judge(PLATFORM, canary, control).health is health


def test_control_name_fits_the_rule() -> None:
    rng = random.Random(1)
    strict = Platform(id="s", name="S", checks=(), handle=HandleRule(r"^[A-Z]{4,6}$", Case.SENSITIVE))
    for _ in range(20):
        name = control_name(strict, rng)
        assert name is not None and name.isupper() and 4 <= len(name) <= 6
    impossible = Platform(id="i", name="I", checks=(), handle=HandleRule(r"^$"), known=Known(available=("x",)))
    assert control_name(impossible, rng) is None


async def test_a_login_wall_for_everyone_fails_the_canary(sim: Simulator, platform_file: PlatformFile):
    """A rule may say "a redirect to the sign-in page means available"; the canary proves it:
    when the platform walls every name, the known-taken canary reads as available."""
    walled = await sim.site(behave.login_redirect())
    entry = """
    - id: walled
      name: walled
      handle: {pattern: "^[a-z0-9_]{3,20}$$"}
      known: {taken: [canary]}
      checks:
        - request: {url: "$base/{{handle}}", redirects: false}
          outcomes:
            - verdict: available
              matchers: [{type: header, name: Location, words: ["/accounts/login/"]}]
            - verdict: taken
              matchers: [{type: status, status: [200]}]
    """
    path = platform_file(entry, base=walled.base)
    reports = [r async for r in selfcheck(load_platforms(path), HttpOptions(timeout=2, retries=0), seed=3)]
    assert [r.health for r in reports] == [Health.BROKEN]
    assert "canary 'canary' reads as available" in reports[0].detail
