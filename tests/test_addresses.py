"""Which hosts a request may go to (rules/addresses.py): `platforms validate` and the run agree,
link-local and cloud metadata addresses need a flag, and a refused request is never sent."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

import handlecheck
from handlecheck import ConfigError, HttpOptions, Reason, Verdict
from handlecheck.cli import main
from handlecheck.models import Check, Matcher, MatcherType, Outcome, Platform, RequestSpec
from handlecheck.net.resolver import CachingResolver, RefusedAddress
from handlecheck.registry import parse_platforms
from tests.simulator import Simulator

ENTRY = """\
version: 1
platforms:
  - id: odd
    name: Odd
    checks:
      - request: {{url: "{url}"}}
        outcomes: [{{verdict: taken, matchers: [{{type: status, status: [200]}}]}}]
"""

REFUSED_URLS = [
    ("http://2130706433/{{handle}}", "not a dotted quad"),
    ("http://0177.0.0.1/{{handle}}", "not a dotted quad"),
    ("http://0x7f.0.0.1/{{handle}}", "not a dotted quad"),
    ("http://127.1/{{handle}}", "not a dotted quad"),
    ("http://169.254.169.254/latest/{{handle}}", "link-local or cloud metadata"),
    ("http://169.254.1.1/{{handle}}", "link-local or cloud metadata"),
    ("http://[fd00:ec2::254]/{{handle}}", "link-local or cloud metadata"),
    ("http://[fe80::1]/{{handle}}", "link-local or cloud metadata"),
    ("http://[::ffff:169.254.169.254]/{{handle}}", "link-local or cloud metadata"),
    ("https://{{handle}}/", "only in its first label"),
    ("https://{{handle}}.com/", "only in its first label"),
    ("https://www.{{handle}}.example.com/", "only in its first label"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_URLS, ids=[u for u, _ in REFUSED_URLS])
def test_validate_refuses_hosts_the_run_would_refuse(url: str, why: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_platforms(ENTRY.format(url=url))
    message = str(caught.value)
    assert "checks[0].request.url: bad URL template:" in message and why in message, message


def test_validate_refuses_a_fetched_value_in_the_host() -> None:
    text = ENTRY.format(url="https://{{token}}.example.com/{{handle}}").replace(
        "      - request:",
        "      - prefetch: {request: {url: 'https://example.com/'}, extract: [{type: header, name: token, "
        "header: X-T}]}\n        request:",
    )
    with pytest.raises(ConfigError, match=r"\{\{token\}\} may not stand in a host name"):
        parse_platforms(text)
    for kept in ("https://{{handle}}.example.com/", "http://127.0.0.1:8080/{{handle}}", "http://[::1]/u/{{handle}}"):
        (platform,) = parse_platforms(ENTRY.format(url=kept))
        assert platform.checks[0].request.url == kept, "a subdomain, loopback and a dotted quad are fine"


async def test_platforms_validate_names_the_refused_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(ENTRY.format(url="http://0x7f.0.0.1/{{handle}}"), encoding="utf-8")
    assert await asyncio.to_thread(main, ["platforms", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "platforms[0] (id: odd).checks[0].request.url" in err and "0x7f.0.0.1" in err


@pytest.mark.parametrize(("hosts", "why"), [("[0x7f.0.0.2]", "dotted quad"), ("[169.254.169.254]", "link-local")])
def test_redirect_hosts_are_validated(hosts: str, why: str) -> None:
    text = ENTRY.format(url="https://example.com/{{handle}}").replace(
        "    checks:", f"    redirect-hosts: {hosts}\n    checks:"
    )
    with pytest.raises(ConfigError, match=rf"redirect-hosts\[0\]: host .*{why}"):
        parse_platforms(text)
    with pytest.raises(ConfigError, match=r"redirect-hosts\[0\]: .* does not match"):
        parse_platforms(text.replace(hosts, "['https://x.com/']"))


def direct(url: str) -> Platform:
    """A platform made in code: the library path, which no platform file validation guards."""
    taken = Outcome(Verdict.TAKEN, (Matcher(MatcherType.STATUS, statuses=((200, 200),)),))
    return Platform(id="direct", name="Direct", checks=(Check(RequestSpec(url), (taken,)),))


@pytest.fixture
async def second_host() -> AsyncIterator[tuple[int, list[str]]]:
    """A server on 127.0.0.2, recording each path asked."""
    seen: list[str] = []

    async def page(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    server = TestServer(app, host="127.0.0.2")
    await server.start_server()
    try:
        yield server.port, seen
    finally:
        await server.close()


async def test_the_run_refuses_what_validate_refuses_and_sends_nothing(second_host: tuple[int, list[str]]) -> None:
    port, seen = second_host
    urls = [
        f"http://2130706434:{port}/{{{{handle}}}}",
        f"http://0177.0.0.2:{port}/{{{{handle}}}}",
        f"http://0x7f.0.0.2:{port}/{{{{handle}}}}",
        f"http://127.2:{port}/{{{{handle}}}}",
        f"http://{{{{handle}}}}:{port}/",
    ]
    for url in urls:
        (result,) = [r async for r in handlecheck.check(["127.0.0.2"], [direct(url)], options=HttpOptions(retries=0))]
        assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNSAFE_REQUEST), (url, result)
        assert "not sent" in result.evidence
    (control,) = [r async for r in handlecheck.check(["acme"], [direct(f"http://127.0.0.2:{port}/{{{{handle}}}}")])]
    assert control.verdict is Verdict.TAKEN
    assert seen == ["/acme"], "only the dotted quad reached the server"


@pytest.fixture
async def proxy(sim: Simulator) -> AsyncIterator[list[str]]:
    """An HTTP proxy on loopback that answers every request itself: what a request for a
    link-local address would reach, without any packet leaving the machine."""
    asked: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        asked.append(f"{request.host}{request.path}")
        return web.Response(text="metadata")

    site = await sim.site(answer)
    yield asked
    assert site.requests == len(asked)


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/{{handle}}", "http://[fd00:ec2::254]/latest/{{handle}}"]
)
async def test_link_local_is_sent_only_with_the_flag(sim: Simulator, proxy: list[str], url: str) -> None:
    via = sim.sites[-1].base
    refused = HttpOptions(proxy=via, retries=0)
    (result,) = [r async for r in handlecheck.check(["acme"], [direct(url)], options=refused)]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNSAFE_REQUEST)
    assert "link-local or cloud metadata address" in result.evidence and "--allow-link-local" in result.evidence
    assert proxy == []
    allowed = HttpOptions(proxy=via, retries=0, allow_link_local=True)
    (result,) = [r async for r in handlecheck.check(["acme"], [direct(url)], options=allowed)]
    assert result.verdict is Verdict.TAKEN, result
    assert len(proxy) == 1 and proxy[0].endswith("/latest/acme")


class Static(AbstractResolver):
    """Every name resolves to one address."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found: ResolveResult = {
            "hostname": host,
            "host": self.address,
            "port": port,
            "family": family,
            "proto": 0,
            "flags": socket.AI_NUMERICHOST,
        }
        return [found]

    async def close(self) -> None:
        return None


async def test_a_name_that_resolves_to_a_metadata_address_is_refused() -> None:
    refusing = CachingResolver(Static("169.254.169.254"))
    with pytest.raises(RefusedAddress, match=r"meta\.test resolves only to link-local"):
        await refusing.resolve("meta.test", 80)
    allowing = CachingResolver(Static("169.254.169.254"), allow_link_local=True)
    assert [found["host"] for found in await allowing.resolve("meta.test", 80)] == ["169.254.169.254"]
    assert [found["host"] for found in await CachingResolver(Static("127.0.0.2")).resolve("x.test", 80)] == [
        "127.0.0.2"
    ]
    for resolver in (refusing, allowing):
        await resolver.close()


def test_the_flag_is_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "none.yaml"
    path.write_text(ENTRY.format(url="http://127.0.0.1:9/{{handle}}"), encoding="utf-8")
    code = main(["check", "acme", "--platforms", str(path), "--allow-link-local", "--retries", "0", "-f", "json"])
    assert code in (0, 3), capsys.readouterr().err
