"""A machine with no network: one line, exit 3, within seconds, for `check`, `scan`,
`lookalikes --check` and `platforms selfcheck`.

No test here sends a DNS query off the machine: the library tests inject resolvers through
the client options, and the CLI tests run the real program in a network namespace of its own
that holds nothing but a loopback interface that is down (a truly offline machine).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

import handlecheck
from handlecheck import HttpOptions, Reason, Verdict
from handlecheck.config import Config
from handlecheck.models import Result
from handlecheck.net.reachability import Failure, Reachability
from handlecheck.summary import summarise

OFFLINE_DEADLINE = 15.0


class NoSuchName(AbstractResolver):
    """Every name fails as getaddrinfo fails on a machine whose DNS says "no such name";
    `delay` makes each lookup slow first, as a resolver that times out does."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lookups: Counter[str] = Counter()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups[host] += 1
        await asyncio.sleep(self.delay)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("delay", [0.0, 3.0], ids=["no-such-name", "slow-then-fails"])
async def test_check_with_the_bundled_catalogue_gives_up_at_once_when_nothing_resolves(delay: float):
    resolver = NoSuchName(delay)
    started = time.monotonic()
    results = [r async for r in handlecheck.check(["acme"], options=HttpOptions(resolver=resolver))]
    elapsed = time.monotonic() - started
    platforms = handlecheck.load_platforms(None)
    assert len(results) == len(platforms), "every platform still gets exactly one result"
    assert elapsed < OFFLINE_DEADLINE - 3, f"took {elapsed:.1f}s"
    assert not [r for r in results if r.verdict in (Verdict.AVAILABLE, Verdict.TAKEN, Verdict.RESERVED)]
    summary = summarise(results)
    assert summary.unreachable
    assert summary.offline is not None and "DNS lookup failed" in summary.offline
    assert sum(1 for r in results if r.reason is Reason.OFFLINE) > len(platforms) // 2, "most were never asked"
    assert max(resolver.lookups.values()) == 1, "a name that does not resolve is not looked up again"
    assert len(resolver.lookups) < len(platforms) // 3, "the run stopped asking once it knew it was offline"


async def test_scan_with_the_bundled_catalogue_gives_up_at_once_when_nothing_resolves():
    started = time.monotonic()
    report = await handlecheck.scan(config=Config(brand="Acme"), options=HttpOptions(resolver=NoSuchName()))
    assert time.monotonic() - started < OFFLINE_DEADLINE - 3
    assert all(r.verdict in (Verdict.UNKNOWN, Verdict.INVALID) for r in report.results)
    assert summarise(report.results).unreachable
    assert report.lookalike_checks == 0 and not report.findings, "offline, no lookalike is planned"
    assert report.results, "the brand's own checks are still reported, each `unknown`"


async def test_one_answer_proves_a_network_and_dead_hosts_stay_dead_platforms(sim, platform_file, fast):
    """Six dead platforms and one that answers: no offline verdict, each dead one is `network`."""
    from tests import simulator as behave
    from tests.conftest import profile_entry

    alive = await sim.site(behave.profiles({"acme"}))
    dead_ports = []
    for _ in range(6):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead_ports.append(probe.getsockname()[1])
    entries = [profile_entry("alive", alive.base)]
    entries += [profile_entry(f"dead{i}", f"http://127.0.0.1:{port}") for i, port in enumerate(dead_ports)]
    path = platform_file(*entries)
    results = {r.platform: r async for r in handlecheck.check(["acme"], platforms=path, options=fast)}
    assert results["alive"].verdict is Verdict.TAKEN
    assert {results[f"dead{i}"].reason for i in range(6)} <= {Reason.NETWORK, Reason.OFFLINE}


class OneNameGone(NoSuchName):
    """`gone` does not resolve; every other name resolves to loopback."""

    def __init__(self, gone: str) -> None:
        super().__init__()
        self.gone = gone

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != self.gone:
            return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
                     "proto": 0, "flags": 0}]  # fmt: skip
        return await super().resolve(host, port, family)


async def test_a_name_that_did_not_resolve_fails_its_later_requests_at_once_not_in_the_hosts_pace(platform_file, fast):
    """A platform asked once every 3 s: its name failed to resolve for the first handle, so the
    next three fail at once with the same cause instead of each waiting 3 s for its turn."""
    from tests.conftest import profile_entry

    path = platform_file(
        profile_entry("gone", "http://gone.invalid", extra="rate-limit: {concurrency: 1, interval: 3.0}")
    )
    resolver = OneNameGone("gone.invalid")
    started = time.monotonic()
    handles = ["acme", "acmehq", "getacme", "acmeapp"]
    results = [r async for r in handlecheck.check(handles, platforms=path, options=replace(fast, resolver=resolver))]
    elapsed = time.monotonic() - started
    assert [r.reason for r in results] == [Reason.NETWORK] * 4
    assert all("DNS lookup failed" in r.evidence for r in results), [r.evidence for r in results]
    assert resolver.lookups["gone.invalid"] == 1
    assert elapsed < 2.5, f"took {elapsed:.1f}s: the later requests waited for the host's pace"


async def test_on_a_host_per_handle_one_name_that_does_not_resolve_closes_no_other(sim, platform_file, fast):
    """`{{handle}}.wild.test`: one politeness key for every handle, but a name per handle; the
    one that does not resolve is that handle's failure alone."""
    from tests import simulator as behave
    from tests.conftest import profile_entry

    site = await sim.site(behave.profiles({"acmehq"}))
    port = site.base.rsplit(":", 1)[1]
    path = platform_file(profile_entry("wild", f"http://{{{{handle}}}}.wild.test:{port}"))
    options = replace(fast, resolver=OneNameGone("acme.wild.test"))
    results = {
        r.handle: r async for r in handlecheck.check(["acme", "acmehq", "nobody"], platforms=path, options=options)
    }
    assert results["acme"].reason is Reason.NETWORK
    assert results["acmehq"].verdict is Verdict.TAKEN
    assert results["nobody"].verdict is Verdict.AVAILABLE


def test_reachability_decides_offline_only_without_any_answer():
    silent = Reachability(hosts_needed=3)
    for index in range(3):
        silent.could_not_reach(f"https://h{index}.example:443", Failure.DNS, "Name or service not known")
    assert silent.offline is not None
    assert silent.offline.startswith("offline: the first 3 hosts tried all failed before any answered: DNS lookup")
    assert "h0.example" in silent.offline

    heard = Reachability(hosts_needed=3)
    heard.heard_from()
    for index in range(10):
        heard.could_not_reach(f"https://h{index}.example:443", Failure.CONNECT, "refused")
    assert heard.offline is None

    same_host = Reachability(hosts_needed=3)
    for _ in range(5):
        same_host.could_not_reach("https://one.example:443", Failure.CONNECT, "refused")
    assert same_host.offline is None, "one host failing five times is one dead host"


def test_a_coordinator_s_suspicion_waits_for_the_hosts_it_is_asking_past_their_lookup():
    """Every worker reached nothing: a coordinator still asking a host whose name resolved (or
    an IP literal) waits for it, and its answer calls the suspicion off; a host still in its
    lookup is not waited for."""
    waiting = Reachability()
    waiting.sending("https://live.example:443")
    waiting.sending("https://still-looking-up.example:443")
    waiting.name_resolved("LIVE.example")
    waiting.suspect("offline: no worker reached any host")
    assert waiting.offline is None and waiting.awaited == {"https://live.example:443"}
    waiting.heard_from()
    waiting.settled("https://live.example:443")
    assert waiting.offline is None, "an answer calls it off"

    silent = Reachability()
    silent.sending("http://127.0.0.1:9")
    silent.sending("https://unresolved.example:443")
    silent.suspect("offline: no worker reached any host")
    assert silent.offline is None
    silent.settled("http://127.0.0.1:9")  # refused, no answer
    assert silent.offline == "offline: no worker reached any host"


def _result(platform: str, reason: Reason | None, verdict: Verdict = Verdict.UNKNOWN) -> Result:
    from datetime import UTC, datetime

    return Result("acme", platform, verdict, reason, None, None, 0, "", datetime.now(UTC))


def test_a_missing_credential_is_no_evidence_of_a_network():
    results = [_result(f"p{i}", Reason.NETWORK) for i in range(5)] + [_result("x", Reason.MISSING_CREDENTIAL)]
    assert summarise(results).unreachable
    assert not summarise([*results, _result("ok", None, Verdict.TAKEN)]).unreachable


# --- the real program on a machine with no network ----------------------------------------


def _offline_namespace() -> list[str]:
    """The command prefix that runs a program in a network namespace of its own: no
    interface but loopback, and that one down, so nothing can leave (not even DNS)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([unshare, "--net", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.decode().strip()[:120]}")
    return [unshare, "--net"]


@pytest.mark.parametrize(
    "command",
    [
        ["check", "acme"],
        ["scan", "acme"],
        ["scan", "acme", "--no-db"],
        ["lookalikes", "acme", "--check"],
        ["platforms", "selfcheck"],
        ["scan", "--input", "brands.csv", "--out", "reports", "--workers", "2"],
    ],
    ids=["check", "scan", "scan-no-db", "lookalikes", "selfcheck", "bulk-scan"],
)
def test_the_program_on_an_offline_machine_says_so_in_one_line_and_exits_3(command: list[str], tmp_path: Path):
    """A bulk scan too: one line, and each brand's report still written (`unreached`)."""
    prefix = _offline_namespace()
    (tmp_path / "brands.csv").write_text("brand\nacme\nglobex\n", encoding="utf-8")
    environment = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    started = time.monotonic()
    run = subprocess.run(
        [*prefix, sys.executable, "-m", "handlecheck", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=environment,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert run.returncode == 3, run.stderr
    assert elapsed < OFFLINE_DEADLINE, f"took {elapsed:.1f}s"
    errors = run.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith("handlecheck: error"), "one line, no progress: " + run.stderr
    assert "offline: " in errors[0] and "check the network" in errors[0]
    assert run.stdout == "", "no table of `unknown` either"
    assert "Traceback" not in run.stderr
    if "--out" in command:
        assert len(list((tmp_path / "reports").iterdir())) == 2


async def test_dead_hosts_that_fail_first_do_not_make_a_working_network_offline(sim, platform_file):
    """Refused connections come back before the live hosts' answers: the offline decision waits
    for the hosts being asked when it would trip, and one answer among them calls it off."""
    from tests.test_pool import assert_live_answered, dead_first_world

    path = await dead_first_world(sim, platform_file)
    handles = ["acme", "nobody", "third"]
    results = [r async for r in handlecheck.check(handles, platforms=path, options=HttpOptions(retries=0))]
    assert_live_answered(results)
    assert len([r for r in results if r.platform.startswith("live")]) == 12
