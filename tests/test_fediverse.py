"""Fediverse servers the user names: asked by WebFinger, then Mastodon's lookup API, on a local
server that answers as a Mastodon server does; through the library and the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import handlecheck
from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.config import Config
from handlecheck.errors import InputError
from handlecheck.models import Verdict
from handlecheck.registry.fediverse import fediverse_platforms, server_base

HELD = {"acme", "acmehq"}
NO_WEBFINGER = {"acmehq"}  # this account's server does not answer WebFinger for it: the lookup API decides


async def webfinger(request: web.Request) -> web.Response:
    name, _, host = request.query["resource"].removeprefix("acct:").partition("@")
    if name in NO_WEBFINGER:
        return web.Response(status=500, text="oops")
    if name in HELD:
        return web.json_response({"subject": f"acct:{name}@{host}", "links": []})
    return web.Response(status=404)


async def lookup(request: web.Request) -> web.Response:
    name = request.query["acct"]
    if name in HELD:
        return web.json_response({"id": "1", "username": name})
    return web.json_response({"error": "Record not found"}, status=404)


async def social(request: web.Request) -> web.Response:
    return web.Response(status=404)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    app = web.Application()
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/api/v1/accounts/lookup", lookup)
    app.router.add_get("/social/{name}", social)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    catalogue = tmp_path / "small.yaml"
    catalogue.write_text(
        "version: 1\nplatforms:\n  - id: social\n    name: Social\n    priority: high\n"
        f'    urls: {{profile: "{base}/social/{{{{handle}}}}"}}\n'
        f'    checks: [{{request: {{url: "{base}/social/{{{{handle}}}}"}}, '
        "outcomes: [{verdict: available, matchers: [{type: status, status: [404]}]}]}]\n",
        encoding="utf-8",
    )
    yield base, catalogue
    await runner.cleanup()


def test_a_server_is_a_host_or_a_base_url() -> None:
    assert server_base("mastodon.world") == ("https://mastodon.world", "mastodon.world")
    assert server_base("http://127.0.0.1:8080/") == ("http://127.0.0.1:8080", "127.0.0.1:8080")
    for wrong in ("ftp://x.test", "https://x.test/path", "not a host", "https://"):
        with pytest.raises(InputError, match="fediverse server"):
            server_base(wrong)
    (platform,) = fediverse_platforms(["mastodon.world", "https://mastodon.world"])
    assert platform.id == "fedi-mastodon-world" and "fediverse" in platform.tags
    assert platform.checks[0].request.url.endswith("resource=acct:{{handle}}@mastodon.world")


async def test_the_library_asks_each_named_server(server: tuple[str, Path]) -> None:
    base, catalogue = server
    config = Config(brand="Acme", aliases=("acmehq",), fediverse=(base,))
    report = await handlecheck.scan(config=config, platforms=catalogue, options=HttpOptions(timeout=5, retries=0))
    (fedi,) = [p for p in report.platforms if "fediverse" in p.tags]
    verdicts = {r.handle: r for r in report.results if r.platform == fedi.id}
    assert verdicts["acme"].verdict is Verdict.TAKEN and "webfinger" in verdicts["acme"].evidence
    assert verdicts["acmehq"].verdict is Verdict.TAKEN, "WebFinger failed: the lookup API decided"
    assert verdicts["acmeapp"].verdict is Verdict.AVAILABLE


async def test_the_command_line_adds_fediverse_servers_to_the_configs(server: tuple[str, Path], tmp_path: Path) -> None:
    base, catalogue = server
    out = tmp_path / "report.json"
    argv = ["scan", "Acme", "--platforms", str(catalogue), "--fediverse", base, "--no-db", "--no-progress",
            "--depth", "quick", "--format", "json", "-o", str(out), "--retries", "0"]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    fedi = [r for r in document["results"] if r["platform"].startswith("fedi-127-0-0-1-")]
    assert {r["handle"]: r["verdict"] for r in fedi}["acme"] == "taken"


def test_a_bad_server_is_one_line_naming_it(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, catalogue = server
    config = tmp_path / "handlecheck.yaml"
    config.write_text("brand: Acme\nfediverse:\n  - mastodon.world\n  - 'https://x.test/path'\n", encoding="utf-8")
    argv = ["scan", "--config", str(config), "--platforms", str(catalogue), "--no-db", "--no-progress"]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"handlecheck: error: {config}:4: fediverse.1: ") and "x.test/path" in line
    assert main(["scan", "Acme", "--platforms", str(catalogue), "--fediverse", "ftp://x.test", "--no-db"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line
        == "handlecheck: error: fediverse server 'ftp://x.test' is not a host name or a base URL (e.g. mastodon.world)"
    )
