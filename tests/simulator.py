"""Simulated platforms: real aiohttp servers on 127.0.0.1 that behave like websites do.

Each `Site` is its own server (its own host:port, so per-host limits apply to it alone) and
records every request: how many, on which path, and the peak number in flight at once.
The behaviours below are handler factories; `Simulator.site()` serves one.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK = "127.0.0.1"


@dataclass
class Site:
    """A running simulated platform and what it saw."""

    server: TestServer
    hits: Counter[str] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    peak_in_flight: int = 0
    arrivals: list[float] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.server.port}"

    @property
    def requests(self) -> int:
        return sum(self.hits.values())


class Simulator:
    """Starts sites on loopback and stops them all at the end of a test."""

    def __init__(self) -> None:
        self.sites: list[Site] = []

    async def site(self, handler: Handler) -> Site:
        site_ref: list[Site] = []

        @web.middleware
        async def track(request: web.Request, handler: Handler) -> web.StreamResponse:
            site = site_ref[0]
            site.hits[request.path] += 1
            site.methods[request.method] += 1
            site.arrivals.append(asyncio.get_running_loop().time())
            site.in_flight += 1
            site.peak_in_flight = max(site.peak_in_flight, site.in_flight)
            try:
                return await handler(request)
            finally:
                site.in_flight -= 1

        app = web.Application(middlewares=[track])
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, host=LOOPBACK)
        await server.start_server()
        site = Site(server)
        site_ref.append(site)
        self.sites.append(site)
        return site

    async def close(self) -> None:
        for site in self.sites:
            await site.server.close()


def _name(request: web.Request) -> str:
    return request.path.rstrip("/").rsplit("/", 1)[-1]


# --- behaviours ------------------------------------------------------------------------


def profiles(taken: Collection[str], *, delay: float = 0.0) -> Handler:
    """GET /{name}: 200 with the name in the page when taken, 404 when not."""

    async def handle(request: web.Request) -> web.Response:
        if delay:
            await asyncio.sleep(delay)
        name = _name(request)
        if name in taken:
            return web.Response(
                text=f"<html><title>{name} profile</title><h1>@{name}</h1></html>", content_type="text/html"
            )
        return web.Response(status=404, text="<html><title>Not found</title></html>", content_type="text/html")

    return handle


def soft_404(taken: Collection[str]) -> Handler:
    """Answers 200 for everything; a missing profile says so only in the page."""

    async def handle(request: web.Request) -> web.Response:
        name = _name(request)
        if name in taken:
            return web.Response(
                text=f'<html><meta property="og:title" content="{name}"></html>', content_type="text/html"
            )
        return web.Response(text="<html><p>Sorry, this page isn't available.</p></html>", content_type="text/html")

    return handle


def login_redirect() -> Handler:
    """Every profile redirects to a sign-in page that answers 200."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/accounts/login"):
            return web.Response(text="<html><form>Log in</form></html>", content_type="text/html")
        raise web.HTTPFound(f"/accounts/login/?next={request.path}")

    return handle


def json_api(taken: Collection[str]) -> Handler:
    """GET /api/users/{name}: JSON user or a JSON 404."""

    async def handle(request: web.Request) -> web.Response:
        name = _name(request)
        if name in taken:
            return web.json_response({"login": name, "id": 1})
        return web.json_response({"message": "Not Found"}, status=404)

    return handle


def csrf_signup(taken: Collection[str], reserved: Collection[str] = ()) -> Handler:
    """A sign-up form (GET /signup) hands out a CSRF token and cookie; POST /signup/check
    answers whether a name is free, but only with both. Nothing is ever created."""
    token = "tok-7f3a9c"

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/signup" and request.method == "GET":
            page = f'<html><form><input type="hidden" name="csrf" value="{token}"></form></html>'
            response = web.Response(text=page, content_type="text/html")
            response.set_cookie("session", "s1")
            return response
        if request.path == "/signup/check" and request.method == "POST":
            form = await request.post()
            if request.headers.get("X-CSRF-Token") != token or request.cookies.get("session") != "s1":
                return web.json_response({"error": "bad token"}, status=403)
            name = str(form.get("username", ""))
            if name in reserved:
                return web.json_response({"available": False, "reason": "reserved"})
            if name in taken:
                return web.json_response({"available": False, "reason": "taken"})
            return web.json_response({"available": True})
        return web.Response(status=404)

    return handle


def first_then_truth(first: Callable[[], web.Response], taken: Collection[str]) -> Handler:
    """The first request for each name gets `first()`; later ones are answered truthfully."""
    seen: set[str] = set()
    inner = profiles(taken)

    async def handle(request: web.Request) -> web.StreamResponse:
        name = _name(request)
        if name not in seen:
            seen.add(name)
            return first()
        return await inner(request)

    return handle


def rate_limited_once(taken: Collection[str], retry_after: str = "1") -> Handler:
    """429 with Retry-After for the first request of each name, then the truth."""
    return first_then_truth(lambda: web.Response(status=429, headers={"Retry-After": retry_after}), taken)


def always(status: int, text: str = "", headers: dict[str, str] | None = None) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, text=text, headers=headers, content_type="text/html")

    return handle


def flaky_once(taken: Collection[str]) -> Handler:
    """503 for the first request of each name, then the truth."""
    return first_then_truth(lambda: web.Response(status=503, text="Service Unavailable"), taken)


def slow(seconds: float) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(seconds)
        return web.Response(text="late")

    return handle


def huge_body(megabytes: int) -> Handler:
    """200 with a body of `megabytes` MiB, streamed."""

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = megabytes * 2**20
        await response.prepare(request)
        chunk = b"x" * 2**20
        try:
            for _ in range(megabytes):
                await response.write(chunk)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    return handle


def challenge_page() -> Handler:
    page = "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    return always(200, page)


def connection_reset() -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    return handle


def malformed_json() -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(text='{"login": "acme", ', content_type="application/json")

    return handle


def redirect_loop() -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/b" if request.path != "/b" else "/a")

    return handle


def json_body(document: object, status: int = 200) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, text=json.dumps(document), content_type="application/json")

    return handle
