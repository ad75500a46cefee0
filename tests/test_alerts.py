"""Alerts, end to end: a scan that finds a new impersonator sends one message per channel
(a webhook, Slack, Teams, e-mail), and a second run sends nothing; secrets stay off the command
line; a channel that fails is one line on stderr, loses nothing, and is tried again next run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import handlecheck
from handlecheck.alerts import AlertKind
from handlecheck.cli import main
from handlecheck.policy import FailOn
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.evidence_world import TOKEN, TOKEN_ENV, Inbox, alert_servers, delta_platforms
from tests.simulator import Simulator

FLAGS = ["--depth", "quick", "--no-progress", "--timeout", "5", "--retries", "0", "--owned", "delta:acme"]


@pytest.fixture
async def world(
    sim: Simulator, platform_file: PlatformFile, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Path, str, Inbox]]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    platforms, base = await delta_platforms(sim, platform_file)
    inbox, controller = await alert_servers(sim)
    monkeypatch.setenv("HANDLECHECK_TEST_SLACK_URL", f"slack+{inbox.base}/slack")
    try:
        yield platforms, base, inbox
    finally:
        await asyncio.to_thread(controller.stop)


async def scan(tmp_path: Path, platforms: Path, inbox: Inbox, *extra: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    notify = [flag for target in inbox.targets() for flag in ("--notify", target)]
    argv = ["scan", "acme", "--platforms", str(platforms), "--db", str(tmp_path / "h.sqlite"), *FLAGS, *notify,
            "-f", "json", "-o", str(report), *extra]  # fmt: skip
    code = await asyncio.to_thread(main, argv)
    return code, json.loads(report.read_text())


async def test_one_alert_per_channel_then_none(world: tuple[Path, str, Inbox], tmp_path: Path, capsys) -> None:
    platforms, base, inbox = world
    code, document = await scan(tmp_path, platforms, inbox, "--fail-on", "new-lookalike")
    assert code == 1, "a new impersonator fails the run"
    digest = next(f for f in document["findings"] if f["handle"] == "acme_support")["evidence"]["payload_sha256"]
    (hook,) = inbox.posts["/hook"]
    assert hook["source"] == "handlecheck" and hook["count"] == 1
    (alert,) = hook["alerts"]
    assert (alert["kind"], alert["platform"], alert["handle"]) == ("new-lookalike", "delta", "acme_support")
    assert alert["url"] == f"{base}/@acme_support" and alert["evidence_sha256"] == digest
    (slack,) = inbox.posts["/slack"]
    assert slack["text"] == "handlecheck: 1 new item for acme" and slack["blocks"][0]["type"] == "header"
    assert any("acme_support" in json.dumps(block) for block in slack["blocks"][1:])
    (teams,) = inbox.posts["/teams"]
    card = teams["attachments"][0]
    assert teams["type"] == "message" and card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "acme_support" in json.dumps(card["content"])
    (mail,) = inbox.mails
    assert mail["To"] == "security@acme.test" and "acme" in mail["Subject"]
    assert "acme_support" in mail.get_payload(decode=True).decode()
    assert "handlecheck: fail: acme: new lookalike acme_support on delta" in capsys.readouterr().err

    code, _ = await scan(tmp_path, platforms, inbox, "--fail-on", "new-lookalike")  # the same run, retried
    assert code == 1 and inbox.count() == 4, "a retried run does not send again"
    code, _ = await scan(tmp_path, platforms, inbox, "--fail-on", "new-lookalike", "--max-age", "0")
    assert code == 0 and inbox.count() == 4, "a later run has nothing new"
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        targets = {row[0] for row in db.execute("SELECT target FROM alerts_sent")}
    assert len(targets) == 4 and all(len(t) == 64 for t in targets), "hashes of the URLs, never the URLs"


async def test_a_bulk_run_sends_one_message_with_every_brand_s_items(
    world: tuple[Path, str, Inbox], tmp_path: Path
) -> None:
    platforms, _, inbox = world
    brands = tmp_path / "brands.csv"
    brands.write_text("brand,owned\nacme,delta:acme\nglobex,\n", encoding="utf-8")
    notify = [flag for target in inbox.targets() for flag in ("--notify", target)]
    argv = ["scan", "--input", str(brands), "--out", str(tmp_path / "out"), "--platforms", str(platforms),
            "--db", str(tmp_path / "h.sqlite"), *FLAGS[:-2], *notify, "-o", os.devnull]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    (hook,) = inbox.posts["/hook"]
    assert sorted((a["brand"], a["handle"]) for a in hook["alerts"]) == [("acme", "acme_support"),
                                                                         ("globex", "globex_support")]  # fmt: skip
    assert hook["title"] == "handlecheck: 2 new items for 2 brands" and len(inbox.mails) == 1
    assert await asyncio.to_thread(main, argv) == 0 and inbox.count() == 4, "nothing twice"


async def test_notify_on_lookalike_tells_each_impersonator_once(world: tuple[Path, str, Inbox], tmp_path: Path) -> None:
    platforms, _, inbox = world
    for _ in range(2):
        code, _ = await scan(tmp_path, platforms, inbox, "--notify-on", "lookalike", "--max-age", "0")
        assert code == 0, "--notify-on does not fail the run; --fail-on does"
    (hook,) = inbox.posts["/hook"]
    assert [a["kind"] for a in hook["alerts"]] == ["impersonator"]


async def test_without_a_policy_notify_sends_new_impersonators(world: tuple[Path, str, Inbox], tmp_path: Path) -> None:
    platforms, _, inbox = world
    code, _ = await scan(tmp_path, platforms, inbox)
    assert code == 0 and [a["handle"] for a in inbox.posts["/hook"][0]["alerts"]] == ["acme_support"]


async def test_a_failing_channel_is_one_line_and_is_tried_again(
    world: tuple[Path, str, Inbox], tmp_path: Path, capsys
) -> None:
    platforms, _, inbox = world
    inbox.failing.add("/teams")
    code, document = await scan(tmp_path, platforms, inbox, "--fail-on", "new-lookalike")
    err = capsys.readouterr().err
    assert code == 1 and document["findings"], "the scan and its report are whole"
    (failed,) = [line for line in err.splitlines() if "notify failed" in line]
    assert failed.startswith("handlecheck: warning: notify failed: teams http://127.0.0.1:") and "500" in failed
    assert "/teams" not in failed and "Traceback" not in err
    assert "/teams" not in inbox.posts and len(inbox.posts["/hook"]) == 1
    inbox.failing.clear()
    await scan(tmp_path, platforms, inbox, "--fail-on", "new-lookalike")
    assert len(inbox.posts["/teams"]) == 1 and len(inbox.posts["/hook"]) == 1, "only the one that failed"


async def test_a_stopped_run_sends_nothing_and_the_run_that_finishes_it_sends_once(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    gate = asyncio.Event()
    stuck = await sim.site(behave.gated({"acme"}, gate))  # a platform that hangs until the gate opens
    platforms, _ = await delta_platforms(sim, platform_file, profile_entry("stuck", stuck.base))
    inbox, controller = await alert_servers(sim)
    try:
        argv = [sys.executable, "-m", "handlecheck", "scan", "acme", "--platforms", str(platforms), "--db",
                str(tmp_path / "h.sqlite"), *FLAGS, "--notify", f"webhook+{inbox.base}/hook", "--fail-on",
                "new-lookalike", "-o", os.devnull]  # fmt: skip
        process = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
        for _ in range(400):  # until Delta has answered: the scan then waits on the stuck platform
            if stuck.requests and (tmp_path / "h.sqlite").exists():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 143, err.decode()
        assert inbox.count() == 0, "a stopped run sends nothing"
        gate.set()
        rerun = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(rerun.communicate(), timeout=60)
        assert rerun.returncode == 1, err.decode()
        (hook,) = inbox.posts["/hook"]
        assert [a["handle"] for a in hook["alerts"]] == ["acme_support"], "sent by the run that finished it"
    finally:
        await asyncio.to_thread(controller.stop)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXX", "a Slack webhook URL is a secret"),
        ("env:HANDLECHECK_TEST_UNSET", "HANDLECHECK_TEST_UNSET"),
        ("ftp://example.test/x", "not a notification address"),
    ],
)
async def test_a_bad_target_is_refused_before_the_scan(
    world: tuple[Path, str, Inbox], tmp_path: Path, capsys, target: str, message: str
) -> None:
    platforms, _, _ = world
    argv = ["scan", "acme", "--platforms", str(platforms), "--no-db", *FLAGS, "--notify", target]
    assert await asyncio.to_thread(main, argv) == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith("handlecheck: error: --notify ") and message in line and out == ""
    assert "XXXX" not in line, "the secret part is never shown"


async def test_the_library_alerts_are_the_cli_s(world: tuple[Path, str, Inbox], tmp_path: Path) -> None:
    platforms, _, inbox = world
    config = handlecheck.Config(brand="acme", owned=(handlecheck.Owned("delta", "acme"),))
    with handlecheck.History(tmp_path / "lib.sqlite") as history:
        outcomes = [
            o async for o in handlecheck.scan_many([config], platforms=platforms, history=history,
                                                   alert_on=frozenset({FailOn.NEW_LOOKALIKE}))
        ]  # fmt: skip
        (outcome,) = outcomes
        assert [(a.kind, a.handle) for a in outcome.alerts] == [(AlertKind.NEW_LOOKALIKE, "acme_support")]
        targets = [handlecheck.parse_target(f"webhook+{inbox.base}/hook", {})]
        when = outcome.report.started_at
        sent = await handlecheck.notify(targets, outcome.alerts, history, started_at=when, brands=1)
        again = await handlecheck.notify(targets, outcome.alerts, history, started_at=when, brands=1)
    assert [d.ok for d in sent] == [True] and again == [] and len(inbox.posts["/hook"]) == 1
