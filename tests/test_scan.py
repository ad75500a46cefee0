"""The scan, end to end on simulated platforms: the to-do list, the best common handle, the config."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

import handlecheck
from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.config import Config, Owners, find_config, load_config, starter
from handlecheck.domain import Action, Depth, Owned
from handlecheck.errors import ConfigError
from handlecheck.todo import variants
from tests.conftest import PlatformFile
from tests.simulator import Simulator

PLATFORM = """
- id: $id
  name: $name
  priority: $priority
  tags: [social]
  handle: {pattern: "^[a-z0-9_]{3,20}$$"}
  urls: {profile: "$base/@{{handle}}", signup: "$base/signup", report: "$base/report-impersonation"}
  profile:
    request: {url: "$base/api/{{handle}}"}
    fields: {display_name: {type: json, path: name}, bio: {type: json, path: bio}}
  checks:
    - request: {url: "$base/api/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: name, exists: true}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""
IMPERSONATOR = {"name": "ACME", "bio": "ACME customer support. DM us your order number"}


def accounts(
    held: dict[str, dict[str, str]], *, down: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        if down:
            return web.Response(status=503, text="maintenance")
        name = request.path.rsplit("/", 1)[-1]
        if name in held:
            return web.json_response(held[name])
        return web.json_response({"error": "no such user"}, status=404)

    return handle


@pytest.fixture
async def world(sim: Simulator, platform_file: PlatformFile) -> Path:
    someone = {"name": "Acme Anvils Ltd", "bio": "We sell anvils"}
    sites = {
        "alpha": ("Alpha", "critical", accounts({})),  # everything free
        "beta": ("Beta", "high", accounts({"acme": someone, "acmehq": someone})),  # the name is someone else's
        "gamma": ("Gamma", "normal", accounts({"acme": {"name": "ACME", "bio": "official"}})),  # ours
        "delta": ("Delta", "high", accounts({"acme_support": IMPERSONATOR, "getacme": someone})),
        "epsilon": ("Epsilon", "low", accounts({}, down=True)),
    }
    entries = []
    for pid, (name, priority, handler) in sites.items():
        site = await sim.site(handler)
        entries.append(
            PLATFORM.replace("$id", pid)
            .replace("$name", name)
            .replace("$priority", priority)
            .replace("$base", site.base)
        )
    return platform_file(*entries)


CONFIG = Config(
    brand="Acme",
    owned=(Owned("gamma", "acme"), Owned("alpha", "acmeold")),
    email_domain="acme.example",
    owners=Owners(default="Social team", platforms={"delta": "Trust & Safety"}),
    depth=Depth.DEEP,
)


async def test_scan_turns_verdicts_into_the_right_actions(world: Path):
    report = await handlecheck.scan(config=CONFIG, platforms=world, options=HttpOptions(timeout=2, retries=0))
    actions = {(i.action, i.platform, i.handle) for i in report.todo}
    registered = {(i.platform, i.handle) for i in report.todo if i.action is Action.REGISTER}
    assert registered == {("delta", "acme")}, "register exactly where the name is free and not already ours"
    assert (Action.CLAIM, "beta", "acme") in actions
    assert (Action.REPORT, "delta", "acme_support") in actions
    assert (Action.FIX, "alpha", "acmeold") in actions, "an owned account that no longer exists"
    assert (Action.RETRY, "epsilon", "acme") in actions
    assert not any(i.platform == "gamma" and i.action in (Action.REGISTER, Action.CLAIM) for i in report.todo)
    for item in report.todo:
        if item.action is Action.REGISTER:
            result = report.result(item.platform, item.handle)
            assert result is not None and result.verdict is handlecheck.Verdict.AVAILABLE, "never register a taken name"
    register = next(i for i in report.todo if i.action is Action.REGISTER)
    assert register.link and register.link.endswith("/signup")
    assert register.email_alias == "social+delta@acme.example" and register.owner == "Trust & Safety"
    assert any("two-factor" in step for step in register.steps) and any("password manager" in s for s in register.steps)
    report_item = next(i for i in report.todo if i.action is Action.REPORT)
    assert report_item.link and report_item.link.endswith("/report-impersonation")
    assert any("/@acme_support" in e for e in report_item.evidence)
    assert [i.action for i in report.todo[:2]] == [Action.FIX, Action.REPORT], "the most urgent first"
    claim = next(i for i in report.todo if i.action is Action.CLAIM)
    assert claim.suggestion == report.best_handle.handle if report.best_handle else False


async def test_best_common_handle_has_the_highest_weighted_coverage(world: Path):
    report = await handlecheck.scan(config=CONFIG, platforms=world, options=HttpOptions(timeout=2, retries=0))
    weights = {p.id: p.priority.weight for p in report.platforms}
    owned = {(o.platform, o.handle) for o in CONFIG.owned}

    def coverage(handle: str) -> int:
        total = 0
        for platform in weights:
            result = report.result(platform, handle)
            free = result is not None and result.verdict is handlecheck.Verdict.AVAILABLE
            ours = result is not None and result.verdict is handlecheck.Verdict.TAKEN and (platform, handle) in owned
            total += weights[platform] if free or ours else 0
        return total

    assert report.best_handle is not None
    assert report.best_handle.weight == max(coverage(h) for h in report.handles)
    assert report.best_handle.weight == coverage(report.best_handle.handle)
    assert report.best_handle.handle != "acme" and report.best_handle.handle in variants("Acme")


async def test_cli_scan_with_a_config_file(world: Path, tmp_path: Path, capsys, monkeypatch):
    assert await asyncio.to_thread(main, ["init", "--brand", "Acme", "-o", str(tmp_path / "handlecheck.yaml")]) == 0
    capsys.readouterr()
    config = tmp_path / "handlecheck.yaml"
    text = config.read_text().replace("owned: {}", "owned: {gamma: acme}").replace("depth: standard", "depth: deep")
    config.write_text(text + f"platforms:\n  file: {world}\n")
    monkeypatch.chdir(tmp_path)
    argv = ["scan", "--format", "json", "--no-progress", "--timeout", "2", "--retries", "0"]
    assert await asyncio.to_thread(main, argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["brand"] == "Acme" and document["depth"] == "deep"
    assert {"todo", "findings", "results", "summary", "best_handle", "timings", "platforms"} <= set(document)
    assert any(i["action"] == "report" and i["handle"] == "acme_support" for i in document["todo"])
    assert await asyncio.to_thread(main, ["init", "-o", str(config)]) == 2
    assert "exists already" in capsys.readouterr().err


def test_config_discovery_and_errors(tmp_path: Path, monkeypatch):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "handlecheck.yaml").write_text(starter("Acme"))
    monkeypatch.delenv("HANDLECHECK_CONFIG", raising=False)
    assert find_config(start=nested) == tmp_path / "handlecheck.yaml"
    monkeypatch.setenv("HANDLECHECK_CONFIG", str(tmp_path / "other.yaml"))
    assert find_config(start=nested) == tmp_path / "other.yaml"
    assert find_config("explicit.yaml") == Path("explicit.yaml")
    assert load_config(tmp_path / "handlecheck.yaml").brand == "Acme"
    bad = tmp_path / "bad.yaml"
    bad.write_text("brand: Acme\nthresholds:\n  report_risk: 500\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert str(caught.value).startswith(f"{bad}:3: thresholds.report_risk: 500 is greater than")
