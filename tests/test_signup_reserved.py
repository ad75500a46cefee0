"""Sign-up endpoints that tell a held-back name from a taken one: the bundled X, Reddit and
WordPress.org entries, run on a local server answering as the public record says they do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from importlib import resources

import pytest
from aiohttp import web

from handlecheck.models import Platform, Verdict
from handlecheck.net.checker import Checker
from handlecheck.net.http import HttpOptions
from handlecheck.registry import parse_platforms

X = {
    "free": {"valid": True, "reason": "available", "msg": "Available!", "desc": "Available!"},
    "held": {"valid": False, "reason": "taken", "msg": "Username has already been taken",
             "desc": "That username has been taken. Please choose another."},
    "banned": {"valid": False, "reason": "taken", "msg": "Username is unavailable",
               "desc": "This username is unavailable."},
}  # fmt: skip
REDDIT = {
    "held": {"json": {"errors": [["USERNAME_TAKEN", "that username is already taken", "user"]]}},
    "gone": {"json": {"errors": [["USERNAME_TAKEN_DEL", "that username is taken by a deleted account", "user"]]}},
}
WORDPRESS = {
    "free": {"available": True},
    "held": {"available": False, "error": "That username is already in use.<br>Is it yours?"},
    "pending": {"available": False, "error": "That username is already in use.<br>The registration is still pending"},
}


async def x(request: web.Request) -> web.Response:
    return web.json_response(X[request.query["username"]])


async def reddit(request: web.Request) -> web.Response:
    form = await request.post()
    return web.json_response(REDDIT.get(str(form["user"]), {}))


async def reddit_fallback(request: web.Request) -> web.Response:
    return web.Response(text="false" if request.query["user"] in REDDIT else "true", content_type="application/json")


async def wordpress(request: web.Request) -> web.Response:
    return web.json_response(WORDPRESS[request.match_info["name"]])


def bundled(pid: str, hosts: dict[str, str]) -> Platform:
    text = (resources.files("handlecheck") / "data" / "platforms.yaml").read_text("utf-8")
    entry = re.search(rf"\n  - id: {pid}\n.*?(?=\n  - id: )", text, re.S)
    assert entry is not None
    block = entry.group(0)
    for real, local in hosts.items():
        block = block.replace(real, local)
    (platform,) = parse_platforms("version: 1\nplatforms:" + block + "\n", source=pid)
    return platform


@pytest.fixture
async def local() -> AsyncIterator[Callable[[str], Platform]]:
    app = web.Application()
    app.router.add_get("/x/i/users/username_available.json", x)
    app.router.add_post("/reddit/api/check_username.json", reddit)
    app.router.add_get("/reddit/api/username_available.json", reddit_fallback)
    app.router.add_get("/wp/wp-json/wporg/v1/username-available/{name}", wordpress)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    hosts = {
        "https://api.x.com/i/": f"{base}/x/i/",
        "https://www.reddit.com/api/": f"{base}/reddit/api/",
        "https://login.wordpress.org/": f"{base}/wp/",
    }
    yield lambda pid: bundled(pid, hosts)
    await runner.cleanup()


@pytest.mark.parametrize(
    ("pid", "handle", "verdict"),
    [
        ("x", "free", Verdict.AVAILABLE),
        ("x", "held", Verdict.TAKEN),
        ("x", "banned", Verdict.RESERVED),  # a refusal that says "unavailable": a suspended account
        ("reddit", "held", Verdict.TAKEN),
        ("reddit", "gone", Verdict.RESERVED),  # taken by a deleted account
        ("wordpressorg", "free", Verdict.AVAILABLE),
        ("wordpressorg", "held", Verdict.TAKEN),
        ("wordpressorg", "pending", Verdict.RESERVED),  # held by a sign-up not yet confirmed
    ],
)
async def test_a_held_back_name_is_reserved_not_taken(
    local: Callable[[str], Platform], pid: str, handle: str, verdict: Verdict
) -> None:
    platform = local(pid)
    async with Checker(HttpOptions(timeout=5, retries=0)) as checker:
        (result,) = [r async for r in checker.run_pairs([(handle, platform)])]
    assert result.verdict is verdict, result.evidence
