"""A simulator of many platforms for the benchmark, run in its own process.

Serves N platforms on N loopback ports with mixed styles (status codes, soft-404 pages,
JSON APIs), each answering after a fixed latency (longer for the last --slow ones). It speaks just enough HTTP/1.1 (GET,
keep-alive) through a bare asyncio protocol, so that the simulator is not what the
benchmark measures. Prints one JSON line {"ports": [...], "styles": [...]} once listening,
then serves until its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys

TAKEN = {"acme", "acmehq"}
STYLES = ("status", "soft404", "json")
PADDING = "." * 4000


def respond(status: int, body: str, content_type: str) -> bytes:
    raw = body.encode()
    reason = {200: "OK", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(raw)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + raw


def answer(style: str, name: str) -> bytes:
    taken = name in TAKEN
    if style == "json":
        if taken:
            return respond(200, json.dumps({"login": name, "id": 1}), "application/json")
        return respond(404, '{"message": "Not Found"}', "application/json")
    if style == "soft404":
        text = f'<meta property="og:title" content="{name}">' if taken else "<p>This page isn't available</p>"
        return respond(200, f"<html>{text}{PADDING}</html>", "text/html")
    if taken:
        return respond(200, f"<html><h1>@{name}</h1>{PADDING}</html>", "text/html")
    return respond(404, "<html>Not found</html>", "text/html")


class Platform(asyncio.Protocol):
    def __init__(self, style: str, latency: float) -> None:
        self.style = style
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            path = head.split(b" ", 2)[1].decode()
            name = path.rstrip("/").rsplit("/", 1)[-1]
            loop.call_later(self.latency, self.send, answer(self.style, name))

    def send(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(count: int, latency: float, slow: int, slow_latency: float) -> None:
    loop = asyncio.get_running_loop()
    servers, ports, styles = [], [], []
    for index in range(count):
        style = STYLES[index % len(STYLES)]
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        delay = slow_latency if index >= count - slow else latency
        servers.append(await loop.create_server(lambda s=style, d=delay: Platform(s, d), sock=sock, backlog=512))
        ports.append(sock.getsockname()[1])
        styles.append(style)
    print(json.dumps({"ports": ports, "styles": styles}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--platforms", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--slow", type=int, default=0, help="how many platforms (the last ones) are slow")
    parser.add_argument("--slow-latency", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(serve(args.platforms, args.latency, args.slow, args.slow_latency))


if __name__ == "__main__":
    main()
