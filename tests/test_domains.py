"""The brand's domain names over RDAP, against a real RDAP server on 127.0.0.1: the bootstrap,
the verdicts (404 available, an object taken, a hold reserved, anything odd unknown), the scan
and lookalike commands, and the bootstrap refresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from handlecheck.candidates import generate
from handlecheck.cli import main
from handlecheck.errors import ConfigError, InputError
from handlecheck.models import Platform, Reason, Verdict
from handlecheck.net.checker import Checker
from handlecheck.net.http import HttpOptions
from handlecheck.registry.domains import (
    ENVIRONMENT,
    domain_platforms,
    downloaded_path,
    is_domain,
    load_bootstrap,
    missing_tlds,
    parse_bootstrap,
    read_bootstrap,
)
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, profiles

REGISTRAR = "Example Registrar, Inc."
CREATED = "2003-04-05T06:07:08Z"


def domain_object(name: str, status: list[str]) -> dict[str, Any]:
    """A domain object the way registries write one (RFC 9083): status, events, a registrar."""
    return {
        "objectClassName": "domain",
        "ldhName": name.upper(),
        "status": status,
        "events": [
            {"eventAction": "registration", "eventDate": CREATED},
            {"eventAction": "expiration", "eventDate": "2031-04-05T06:07:08Z"},
        ],
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "9999",
                "roles": ["registrar"],
                "publicIds": [{"type": "IANA Registrar ID", "identifier": "9999"}],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", REGISTRAR]]],
            }
        ],
        "notices": [{"title": "Terms of Use", "description": ["Service subject to terms of use."]}],
    }


class Registry:
    """What the simulated RDAP server knows: registered and held names, and odd answers."""

    def __init__(self) -> None:
        self.registered = {"acme.com", "taken1.com", "taken1.net"}
        self.held = {"held1.com"}
        self.accept: list[str] = []

    def handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            self.accept.append(request.headers.get("Accept", ""))
            name = request.path.rsplit("/", 1)[-1].lower()
            label = name.split(".")[0]
            if label == "busy":
                return web.json_response({"errorCode": 429}, status=429)
            if label == "broken":
                return web.json_response({"errorCode": 500}, status=500)
            if label == "junk":
                return web.Response(text="<html>maintenance</html>", content_type="text/html")
            if label == "odd":  # JSON, but no domain object
                return web.json_response({"rdapConformance": ["rdap_level_0"]})
            if name in self.held:
                return web.json_response(domain_object(name, ["client hold", "client transfer prohibited"]))
            if name in self.registered:
                return web.json_response(domain_object(name, ["client transfer prohibited"]))
            return web.json_response({"errorCode": 404, "title": "Not Found"}, status=404)

        return handle


@pytest.fixture
async def registry(sim: Simulator, tmp_path: Path) -> tuple[Registry, Path, Any]:
    """A running RDAP server for .com and .net, and a bootstrap file that points at it."""
    known = Registry()
    site = await sim.site(known.handler())
    bootstrap = {
        "description": "test bootstrap",
        "publication": "2030-01-01T00:00:00Z",
        "services": [[["com"], [f"{site.base}/com/v1/"]], [["net"], [f"{site.base}/net/v1/"]]],
        "version": "1.0",
    }
    path = tmp_path / "bootstrap.json"
    path.write_text(json.dumps(bootstrap), encoding="utf-8")
    return known, path, site


QUICK = HttpOptions(timeout=2.0, retries=0, backoff=0.01, rate_limit_budget=0.5, max_retry_after=0.5)


async def check(platforms: tuple[Platform, ...], handles: list[str]) -> dict[tuple[str, str], Any]:
    async with Checker(QUICK) as checker:
        return {(r.platform, r.handle): r async for r in checker.run(handles, platforms)}


async def test_verdicts_from_a_registry(registry):
    known, path, _ = registry
    platforms = domain_platforms(read_bootstrap(path), ["com", "net"])
    assert [p.id for p in platforms] == ["domain-com", "domain-net"]
    assert [p.priority.value for p in platforms] == ["high", "normal"] and all(is_domain(p) for p in platforms)
    results = await check(platforms, ["acme", "taken1", "held1", "free1", "-acme", "ac_me"])
    # A host that answers 429 slows every later check on it down (the engine's politeness): a run of its own.
    results |= await check(platforms, ["broken", "junk", "odd"])
    results |= await check(platforms, ["busy"])
    verdict = {key: r.verdict for key, r in results.items()}
    assert verdict["domain-com", "acme"] is Verdict.TAKEN
    assert verdict["domain-net", "acme"] is Verdict.AVAILABLE
    assert verdict["domain-net", "taken1"] is Verdict.TAKEN
    assert verdict["domain-com", "held1"] is Verdict.RESERVED
    assert verdict["domain-com", "free1"] is Verdict.AVAILABLE
    assert results["domain-com", "busy"].reason is Reason.RATE_LIMITED
    assert results["domain-com", "broken"].reason is Reason.SERVER_ERROR
    for odd in ("busy", "broken", "junk", "odd"):  # never read as available or taken
        assert verdict["domain-com", odd] is Verdict.UNKNOWN, odd
    assert verdict["domain-com", "-acme"] is Verdict.INVALID and verdict["domain-com", "ac_me"] is Verdict.INVALID
    assert results["domain-com", "acme"].url == f"{read_bootstrap(path).base('com')}domain/acme.com"
    assert known.accept and all(a.startswith("application/rdap+json") for a in known.accept)


async def test_the_profile_reads_registrar_and_registration_date(registry):
    _, path, _ = registry
    (com,) = domain_platforms(read_bootstrap(path), ["com"])
    async with Checker(QUICK) as checker:
        found = await checker.profile("taken1", com)
        absent = await checker.profile("free1", com)
    assert found is not None and found.display_name == REGISTRAR and found.created == CREATED
    assert absent is None


def test_a_tld_the_bootstrap_lacks_is_named(registry):
    _, path, _ = registry
    bootstrap = read_bootstrap(path)
    assert missing_tlds(bootstrap, ["com", ".ZZ", "net", "qq"]) == ("zz", "qq")
    with pytest.raises(InputError) as caught:
        domain_platforms(bootstrap, ["com", "zz"])
    assert "no RDAP server for .zz" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ConfigError):
        parse_bootstrap('{"services": []}', source="x.json")


def test_the_shipped_snapshot_is_iana_data():
    shipped = load_bootstrap(environ={})
    assert shipped.publication == "2026-03-23T19:00:02Z" and len(shipped.servers) > 1000
    assert shipped.base("com") == "https://rdap.verisign.com/com/v1/"
    assert shipped.base("org") == "https://rdap.publicinterestregistry.org/rdap/"
    assert shipped.base("app") == "https://pubapi.registry.google/rdap/"
    assert missing_tlds(shipped, ["com", "net", "org", "io", "co", "app"]) == ("io", "co")


def test_the_newer_bootstrap_wins_and_an_override_wins_over_both(registry, monkeypatch):
    _, path, _ = registry
    downloaded_path().parent.mkdir(parents=True, exist_ok=True)
    document = json.loads(path.read_text())
    downloaded_path().write_text(json.dumps(document))
    assert load_bootstrap(environ={}).publication == "2030-01-01T00:00:00Z"  # newer than the shipped one
    downloaded_path().write_text(json.dumps({**document, "publication": "2001-01-01T00:00:00Z"}))
    assert load_bootstrap(environ={}).publication == "2026-03-23T19:00:02Z"
    assert load_bootstrap(path, environ={}).publication == "2030-01-01T00:00:00Z"
    assert load_bootstrap(environ={ENVIRONMENT: str(path)}).publication == "2030-01-01T00:00:00Z"


@pytest.fixture
async def small(sim: Simulator, platform_file: PlatformFile) -> Path:
    site = await sim.site(profiles({"acme"}))
    return platform_file(profile_entry("gamma", site.base))


def run(argv: list[str]) -> Awaitable[int]:
    return asyncio.to_thread(main, argv)


SCAN = ["scan", "acme", "--no-db", "--no-progress", "--format", "json", "--timeout", "2", "--retries", "0"]


async def test_scan_checks_the_domains_like_any_platform(registry, small, capsys):
    _, path, site = registry
    code = await run([*SCAN, "--platforms", str(small), "--tlds", "com,net", "--rdap-bootstrap", str(path)])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    mine = {(r["platform"], r["handle"]): r["verdict"] for r in document["results"]}
    assert mine["domain-com", "acme"] == "taken" and mine["domain-net", "acme"] == "available"
    assert mine["gamma", "acme"] == "taken"
    todo = {(i["action"], i["platform"]) for i in document["todo"]}
    assert ("register", "domain-net") in todo and ("claim", "domain-com") in todo
    assert {p["id"] for p in document["platforms"]} == {"gamma", "domain-com", "domain-net"}
    held = next(r for r in document["results"] if (r["platform"], r["handle"]) == ("domain-com", "acme"))
    assert held["evidence"].endswith(f"; registrar {REGISTRAR}, registered {CREATED}"), held["evidence"]
    assert site.requests > 0


async def test_a_platform_file_without_tlds_never_asks_a_registry(registry, small, capsys, monkeypatch):
    _, path, site = registry
    monkeypatch.setenv(ENVIRONMENT, str(path))
    for extra in ([], ["--tlds", "com", "--no-domains"]):
        assert await run([*SCAN, "--platforms", str(small), *extra]) == 0
        document = json.loads(capsys.readouterr().out)
        assert {r["platform"] for r in document["results"]} == {"gamma"}
    assert site.requests == 0
    assert await run([*SCAN, "--platforms", str(small), "--tlds", "com,zz"]) == 2
    err = capsys.readouterr().err
    assert "no RDAP server for .zz" in err and err.count("\n") == 1


async def test_lookalike_domains_are_checked_with_domains(registry, small, capsys):
    known, path, _ = registry
    (com,) = domain_platforms(read_bootstrap(path), ["com"])
    planted = generate("acme", platform=com, limit=30)[0].handle
    known.registered.add(f"{planted}.com")
    argv = ["lookalikes", "acme", "--check", "--domains", "--tlds", "com", "--rdap-bootstrap", str(path), "--platforms",
            str(small), "--depth", "quick", "--format", "json", "--no-progress", "--retries", "0"]  # fmt: skip
    assert await run(argv) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    found = [f for f in findings if f["platform"] == "domain-com"]
    assert [f["handle"] for f in found] == [planted]
    assert found[0]["profile"]["display_name"] == REGISTRAR and found[0]["profile"]["created"] == CREATED
    # the registrar is no display name the domain chose: the name alone is judged (a homoglyph)
    assert found[0]["classification"] == "impersonator" and found[0]["tier"] == "same-skeleton"
    assert await run(["lookalikes", "acme", "--domains"]) == 2
    assert "need --check" in capsys.readouterr().err


def bootstrap_site(body: str, status: int = 200) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(text=body, status=status, content_type="application/json")

    return handle


async def test_refresh_downloads_the_bootstrap_where_runs_find_it(sim: Simulator, registry, tmp_path, capsys):
    _, path, _ = registry
    good = await sim.site(bootstrap_site(path.read_text()))
    assert await run(["platforms", "rdap-bootstrap", "--url", f"{good.base}/rdap/dns.json"]) == 0
    assert "published 2030-01-01T00:00:00Z (2 TLDs)" in capsys.readouterr().err
    assert downloaded_path().is_file() and load_bootstrap(environ={}).publication == "2030-01-01T00:00:00Z"
    out = tmp_path / "copy.json"
    assert await run(["platforms", "rdap-bootstrap", "--url", f"{good.base}/dns.json", "-o", str(out)]) == 0
    assert read_bootstrap(out).base("net") == read_bootstrap(path).base("net")
    junk = await sim.site(bootstrap_site("<html>not it</html>"))
    failing = await sim.site(bootstrap_site("{}", status=503))
    elsewhere = tmp_path / "never.json"
    assert await run(["platforms", "rdap-bootstrap", "--url", f"{junk.base}/dns.json", "-o", str(elsewhere)]) == 2
    assert await run(["platforms", "rdap-bootstrap", "--url", f"{failing.base}/dns.json", "-o", str(elsewhere),
                      "--retries", "0"]) == 3  # fmt: skip
    assert not elsewhere.exists()


def test_the_library_adds_the_brands_domains_where_the_command_line_does(tmp_path, monkeypatch):
    """As `scan` on the command line: the bundled catalogue as a whole gets the config's domains
    (those the bootstrap serves); a platform file does not. (Platforms only: nothing is asked.)"""
    from handlecheck.api import _scan_platforms  # the platform choice of handlecheck.scan
    from handlecheck.config import Config, Selection

    bootstrap = tmp_path / "bootstrap.json"
    bootstrap.write_text(json.dumps({"publication": "2030-01-01T00:00:00Z", "services": [
        [["com"], ["http://127.0.0.1:9/rdap/"]]]}), encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("HANDLECHECK_RDAP_BOOTSTRAP", str(bootstrap))
    whole = _scan_platforms(Config(brand="Acme", tlds=("com", "io")), None)
    assert [p.id for p in whole if p.id.startswith("domain-")] == ["domain-com"], ".io has no server: left out"
    small = tmp_path / "small.yaml"
    small.write_text(
        "version: 1\nplatforms:\n  - id: social\n    name: Social\n    checks: [{request: {url: 'https://s.test/{{handle}}'},"
        " outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]}]\n",
        encoding="utf-8",
    )
    picked = _scan_platforms(Config(brand="Acme", selection=Selection(file=str(small))), None)
    assert not [p for p in picked if p.id.startswith("domain-")]
