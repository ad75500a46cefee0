"""What a run tells on stderr: with -v each retry and each host slowed down; in a log (stderr no
terminal) a progress line every few seconds. Real child processes against loopback servers."""

from __future__ import annotations

import asyncio
import re
import sys

from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, flaky_once, profiles, rate_limited_once


async def _handlecheck(*argv: str) -> tuple[int, str]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlecheck", *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode is not None
    return child.returncode, err.decode()


async def test_verbose_logs_each_retry_and_each_slowed_host(sim: Simulator, platform_file: PlatformFile):
    async def argv() -> list[str]:  # fresh servers: each is flaky or rate-limited once a name
        flaky = await sim.site(flaky_once({"alice"}))
        limited = await sim.site(rate_limited_once({"alice"}, retry_after="0"))
        path = platform_file(profile_entry("flaky", flaky.base), profile_entry("limited", limited.base))
        return ["check", "alice", "--platforms", str(path), "--no-progress", "--retries", "2", "--timeout", "5"]

    code, quiet = await _handlecheck(*await argv())
    assert code == 0 and "retry" not in quiet and "slowed" not in quiet, quiet
    code, err = await _handlecheck("-v", *await argv())
    assert code == 0, err
    assert re.search(r"INFO: retry 1 of 2 for http://127\.0\.0\.1:\d+/alice: status 503", err), err
    assert re.search(r"INFO: http://127\.0\.0\.1:\d+ answered 429: slowed to a request every [\d.]+s", err), err


async def test_progress_lines_when_stderr_is_not_a_terminal(sim: Simulator, platform_file: PlatformFile):
    site = await sim.site(profiles({"alice"}, delay=0.5))
    path = platform_file(profile_entry("slowpoke", site.base))
    handles = [f"user{n}" for n in range(16)]  # one at a time, half a second each: 8 s
    argv = ["check", *handles, "--platforms", str(path), "--host-concurrency", "1", "--timeout", "5"]
    code, err = await _handlecheck(*argv)
    assert code == 0, err
    lines = [line for line in err.splitlines() if re.search(r"\d+/16 \[", line)]
    assert lines, f"a progress line in a log: {err!r}"
    assert "\r" not in err, "whole lines, no redrawn bar"
    code, silent = await _handlecheck(*argv, "--no-progress")
    assert code == 0 and not re.search(r"\d+/16", silent), silent
