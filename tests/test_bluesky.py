"""The bundled Bluesky entry asks the sign-up entryway first (checkHandleAvailability), and tells
a held name from a reserved one through the profile; run on a local server that answers as
Bluesky's entryway and app view do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib import resources

import pytest
from aiohttp import web

import handlecheck
from handlecheck.config import Config
from handlecheck.domain import DOMAIN_HANDLE_ID, Action
from handlecheck.models import Platform, Verdict
from handlecheck.net.checker import Checker
from handlecheck.net.http import HttpOptions
from handlecheck.registry import parse_platforms

AVAILABLE = {"free", "fallbackfree"}
UNAVAILABLE = {"held", "reservedname"}
PROFILES = {"held", "fallbackheld"}
BROKEN_ENTRYWAY = {"fallbackfree", "fallbackheld"}
LEXICON = "com.atproto.temp.checkHandleAvailability"


async def entryway(request: web.Request) -> web.Response:
    name = request.query["handle"].removesuffix(".bsky.social")
    if name in BROKEN_ENTRYWAY:
        return web.json_response({"error": "MethodNotImplemented"}, status=501)
    kind = "resultAvailable" if name in AVAILABLE else "resultUnavailable"
    result: dict[str, object] = {"$type": f"{LEXICON}#{kind}"}
    if name in UNAVAILABLE:
        result["suggestions"] = [{"handle": f"{name}2.bsky.social", "method": "number"}]
    return web.json_response({"handle": request.query["handle"], "result": result})


async def app_view(request: web.Request) -> web.Response:
    name = request.query["actor"].removesuffix(".bsky.social")
    if name in PROFILES:
        return web.json_response({"did": f"did:plc:{name}", "handle": request.query["actor"]})
    return web.json_response({"error": "InvalidRequest", "message": "Profile not found"}, status=400)


DOMAIN_HANDLES = {"globex.example"}  # domains already set up as Bluesky handles


async def resolve_handle(request: web.Request) -> web.Response:
    if request.query["handle"] in DOMAIN_HANDLES:
        return web.json_response({"did": "did:plc:globex"})
    return web.json_response({"error": "InvalidRequest", "message": "Unable to resolve handle"}, status=400)


@pytest.fixture
async def bluesky() -> AsyncIterator[Platform]:
    app = web.Application()
    app.router.add_get("/entry/xrpc/" + LEXICON, entryway)
    app.router.add_get("/entry/xrpc/com.atproto.identity.resolveHandle", resolve_handle)
    app.router.add_get("/view/xrpc/app.bsky.actor.getProfile", app_view)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    text = (resources.files("handlecheck") / "data" / "platforms.yaml").read_text("utf-8")
    entry = re.search(r"\n  - id: bluesky\n.*?(?=\n  - id: )", text, re.S)
    assert entry is not None
    local = (
        entry.group(0)
        .replace("https://bsky.social", f"{base}/entry")
        .replace("https://public.api.bsky.app", f"{base}/view")
    )
    (platform,) = parse_platforms("version: 1\nplatforms:" + local + "\n", source="bluesky")
    yield platform
    await runner.cleanup()


@pytest.mark.parametrize(
    ("handle", "verdict"),
    [
        ("free", Verdict.AVAILABLE),  # the entryway says available
        ("held", Verdict.TAKEN),  # unavailable, and an account shows
        ("reservedname", Verdict.RESERVED),  # unavailable, and no account: Bluesky holds it back
        ("fallbackfree", Verdict.AVAILABLE),  # no entryway answer: the profile lookup decides
        ("fallbackheld", Verdict.TAKEN),
    ],
)
async def test_bluesky_asks_for_true_availability_first(bluesky: Platform, handle: str, verdict: Verdict) -> None:
    async with Checker(HttpOptions(timeout=5, retries=0)) as checker:
        (result,) = [r async for r in checker.run_pairs([(handle, bluesky)])]
    assert result.verdict is verdict, result.evidence
    assert bluesky.checks[0].request.url.startswith(bluesky.checks[2].request.url.split("?")[0])


async def test_a_brand_domain_that_is_not_its_bluesky_handle_yet_is_a_verify_step(bluesky: Platform) -> None:
    config = Config(brand="Acme", domains=("acme.example", "globex.example"))
    report = await handlecheck.scan(config=config, platforms=[bluesky], options=HttpOptions(timeout=5, retries=0))
    checked = {r.handle: r.verdict for r in report.results if r.platform == DOMAIN_HANDLE_ID}
    assert checked == {"acme.example": Verdict.AVAILABLE, "globex.example": Verdict.TAKEN}, [
        r.evidence for r in report.results if r.platform == DOMAIN_HANDLE_ID
    ]
    steps = [i for i in report.todo if i.action is Action.VERIFY and i.handle.endswith(".example")]
    assert [(i.platform, i.handle) for i in steps] == [("bluesky", "acme.example")]
    assert "_atproto.acme.example" in steps[0].steps[0]
    assert [p.id for p in report.platforms] == ["bluesky"], "the check is no platform of the grid"
    without = await handlecheck.scan(config=Config(brand="Acme"), platforms=[bluesky], options=HttpOptions(retries=0))
    assert not [r for r in without.results if r.platform == DOMAIN_HANDLE_ID], "no domains: nothing asked"
