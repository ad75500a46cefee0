"""Redirects to another host: not followed unless the platform declares the host, and the
platform file's headers never reach another host (net/redirects.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from handlecheck import HttpOptions, Reason, Verdict
from handlecheck.net.redirects import may_follow
from tests.conftest import PlatformFile
from tests.simulator import Simulator
from tests.test_engine import run

OTHER_LOOPBACK = "127.0.0.2"  # loopback too (the whole 127.0.0.0/8 is), but another host


@dataclass
class Elsewhere:
    """A server on another host that records what reaches it."""

    base: str
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    site = Elsewhere("")

    async def page(request: web.Request) -> web.Response:
        site.seen.append({"path": request.path, **request.headers})
        return web.Response(text="<html>@acme</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    server = TestServer(app, host=OTHER_LOOPBACK)
    await server.start_server()
    site.base = f"http://{OTHER_LOOPBACK}:{server.port}"
    try:
        yield site
    finally:
        await server.close()


HOP = """
- id: hop
  name: Hop
  $extra
  checks:
    - request:
        url: "$base/u/{{handle}}"
        headers: {X-Api-Key: k1, Authorization: "Basic dTpw", Cookie: "session=s1"}
      outcomes:
        - verdict: taken
          matchers: [{type: word, words: ["@{{handle}}"]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""


async def redirecting_to(sim: Simulator, target: str) -> str:
    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{target}/w/{request.path.rsplit('/', 1)[-1]}")

    return (await sim.site(moved)).base


async def test_a_redirect_to_another_host_is_not_followed(
    sim: Simulator, platform_file: PlatformFile, elsewhere: Elsewhere
) -> None:
    base = await redirecting_to(sim, elsewhere.base)
    result = (await run(platform_file(HOP, base=base, extra=""), ["acme"], HttpOptions(retries=0)))["acme", "hop"]
    assert (result.verdict, result.reason, result.http_status) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, 302)
    assert f"{elsewhere.base}/w/acme" in result.evidence and "another host" in result.evidence
    assert elsewhere.seen == [], "the other host was never asked"


async def test_localhost_is_another_host_than_127_0_0_1(sim: Simulator, platform_file: PlatformFile) -> None:
    seen: list[str] = []

    async def landing(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text="<html>@acme</html>", content_type="text/html")

    local = await sim.site(landing)
    base = await redirecting_to(sim, f"http://localhost:{local.server.port}")
    result = (await run(platform_file(HOP, base=base, extra=""), ["acme"], HttpOptions(retries=0)))["acme", "hop"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE)
    assert f"http://localhost:{local.server.port}/w/acme" in result.evidence
    assert seen == []


async def test_a_declared_host_is_followed_without_the_files_headers(
    sim: Simulator, platform_file: PlatformFile, elsewhere: Elsewhere
) -> None:
    base = await redirecting_to(sim, elsewhere.base)
    path = platform_file(HOP, base=base, extra=f"redirect-hosts: [{OTHER_LOOPBACK}]")
    result = (await run(path, ["acme"], HttpOptions(retries=0)))["acme", "hop"]
    assert (result.verdict, result.http_status) == (Verdict.TAKEN, 200)
    assert [seen["path"] for seen in elsewhere.seen] == ["/w/acme"]
    headers = {name.casefold() for name in elsewhere.seen[0]}
    assert not headers & {"x-api-key", "authorization", "cookie"}, "no header the file set leaves its host"


async def test_an_outcome_that_names_the_redirect_decides_without_following_it(
    sim: Simulator, platform_file: PlatformFile, elsewhere: Elsewhere
) -> None:
    base = await redirecting_to(sim, elsewhere.base)
    entry = HOP.replace(
        "        - verdict: available\n",
        "        - verdict: available\n"
        f"          matchers: [{{type: header, name: Location, words: ['{OTHER_LOOPBACK}']}}]\n"
        "        - verdict: reserved\n",
    )
    result = (await run(platform_file(entry, base=base, extra=""), ["acme"], HttpOptions(retries=0)))["acme", "hop"]
    assert result.verdict is Verdict.AVAILABLE, result
    assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("origin", "target", "declared", "follows"),
    [
        ("http://example.com/u/a", "https://example.com/u/a", (), True),
        ("https://example.com/u/a", "https://www.example.com/u/a", (), True),
        ("https://www.example.com/u/a", "https://EXAMPLE.com./u/a", (), True),
        ("https://example.com:8443/u/a", "https://example.com/u/a", (), True),
        ("https://example.com/u/a", "https://login.example.com/", (), False),
        ("https://example.com/u/a", "https://example.com.evil.test/", (), False),
        ("https://twitter.com/a", "https://x.com/a", ("x.com",), True),
        ("https://twitter.com/a", "https://www.x.com/a", ("x.com",), True),
        ("https://twitter.com/a", "https://api.x.com/a", ("x.com",), False),
    ],
)
def test_what_counts_as_the_platforms_host(origin: str, target: str, declared: tuple[str, ...], follows: bool) -> None:
    assert may_follow(origin, target, declared) is follows
