"""Simulated platforms: real aiohttp servers on 127.0.0.1 that behave like websites do.

Each `Site` is its own server (its own host:port, so per-host limits apply to it alone) and
records every request: how many, on which path, and the peak number in flight at once.
The behaviours below are handler factories; `Simulator.site()` serves one.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import ssl
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
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
        return f"{self.server.scheme}://{LOOPBACK}:{self.server.port}"

    @property
    def requests(self) -> int:
        return sum(self.hits.values())


@dataclass
class RawSite:
    """A TCP server on loopback that speaks (or fails to speak) HTTP by hand."""

    server: asyncio.Server
    port: int
    connections: int = 0

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


class Simulator:
    """Starts sites on loopback and stops them all at the end of a test."""

    def __init__(self) -> None:
        self.sites: list[Site] = []
        self.raw_sites: list[RawSite] = []
        self.closed: list[socket.socket] = []

    def closed_port(self) -> int:
        """A loopback port that refuses every connection at once: bound, never listening, and
        held until the simulator closes, so no server started meanwhile can take it."""
        held = socket.socket()
        held.bind((LOOPBACK, 0))
        self.closed.append(held)
        return int(held.getsockname()[1])

    async def raw_site(self, handler: RawHandler) -> RawSite:
        """Serve `handler(reader, writer)` per connection: for faults below the HTTP layer."""
        site_ref: list[RawSite] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            site_ref[0].connections += 1
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, LOOPBACK, 0)
        site = RawSite(server, server.sockets[0].getsockname()[1])
        site_ref.append(site)
        self.raw_sites.append(site)
        return site

    async def site(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> Site:
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
        await server.start_server(ssl=tls)
        site = Site(server)
        site_ref.append(site)
        self.sites.append(site)
        return site

    async def close(self) -> None:
        for site in self.sites:
            await site.server.close()
        for raw in self.raw_sites:
            raw.server.close()
            await raw.server.wait_closed()
        for held in self.closed:
            held.close()


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


def gated(taken: Collection[str], gate: asyncio.Event) -> Handler:
    """Profile pages (as `profiles`) that answer only once the test opens `gate`: a platform
    that hangs for as long as a test needs, then tells the truth."""
    truth = profiles(taken)

    async def handle(request: web.Request) -> web.StreamResponse:
        await gate.wait()
        return await truth(request)

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


def redirect_to(location: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location})

    return handle


def raw_bytes(body: bytes, content_type: str = "text/html; charset=utf-8") -> Handler:
    """200 with exactly these bytes (for bodies that are not valid in their declared charset)."""

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handle


def slowloris(interval: float = 0.2) -> Handler:
    """Headers at once, then one byte of body every `interval` seconds, forever."""

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            while True:
                await response.write(b"x")
                await asyncio.sleep(interval)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    return handle


def gzip_bomb_body(gibibytes: int = 1) -> bytes:
    """A gzip stream of ~1 MB that inflates to `gibibytes` GiB of zeros (concatenated members)."""
    member = gzip.compress(b"\0" * 2**23, compresslevel=9)
    return member * (gibibytes * 2**30 // 2**23)


def compressed(payload: bytes, encoding: str) -> Handler:
    """200 with a pre-compressed body sent as is, under `Content-Encoding: encoding`."""

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=payload, headers={"Content-Type": "text/html", "Content-Encoding": encoding})

    return handle


def deflate_bomb_body() -> bytes:
    """A raw deflate stream of zeros, for `Content-Encoding: deflate`."""
    compressor = zlib.compressobj(9)
    zeros = b"\0" * 2**20
    return b"".join(compressor.compress(zeros) for _ in range(256)) + compressor.flush()


# --- raw (below HTTP) behaviours ---------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def half_closed() -> RawHandler:
    """Reads the request, then shuts its sending side without a word and waits."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write_eof()
        await reader.read()

    return handle


def cut_short() -> RawHandler:
    """Promises 10,000 bytes of body, sends 12, and hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000\r\n\r\n<html>@acme ")
        await writer.drain()

    return handle


def garbage() -> RawHandler:
    """Answers with something that is not HTTP at all."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"\x16\x03\x01 hello, this is not HTTP\r\n\r\n")
        await writer.drain()

    return handle


def endless_header() -> RawHandler:
    """A status line, then one header line that never ends (a megabyte and counting)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        for _ in range(64):
            writer.write(b"a" * 2**14)
            await writer.drain()

    return handle
