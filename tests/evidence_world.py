"""A simulated platform with a planted impersonator, and the servers alerts go to: a webhook
recorder (generic, Slack and Teams paths) and an SMTP server (aiosmtpd), all on 127.0.0.1.

The platform wants a bearer token (a secret from the environment), echoes it back in the
impersonator's bio and sets a session cookie: none of it may reach the evidence."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import PlatformFile
from tests.simulator import Simulator

TOKEN = "TOKEN-SECRET-4f9a1c"
COOKIE = "COOKIE-VALUE-77d2e0"
TOKEN_ENV = "HANDLECHECK_TEST_DELTA_TOKEN"
ACCOUNTS = {
    "acme": {"name": "Acme", "bio": "The official Acme account"},
    "acme_support": {"name": "ACME", "bio": f"ACME customer support. DM us your order number ({TOKEN})"},
    "acmee": {"name": "Acmee Anvils Ltd", "bio": "We sell anvils"},
    "globex_support": {"name": "GLOBEX", "bio": "Globex customer support. DM us your order number"},
}
ENTRY = """
- id: delta
  name: Delta
  priority: critical
  tags: [social]
  secrets: {bearer: $env}
  handle: {pattern: "^[a-z0-9_]{3,20}$$"}
  urls: {profile: "$base/@{{handle}}", signup: "$base/signup", report: "$base/report-impersonation"}
  profile:
    request: {url: "$base/api/{{handle}}", headers: {Authorization: "Bearer {{bearer}}"}}
    fields: {display_name: {type: json, path: name}, bio: {type: json, path: bio}}
  checks:
    - request: {url: "$base/api/{{handle}}", headers: {Authorization: "Bearer {{bearer}}"}}
      outcomes:
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: name, exists: true}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""
PAGE = """<!DOCTYPE html><html><head><title>{name}</title></head>
<body style="margin:0;font:20px sans-serif"><h1>{name}</h1><p>{bio}</p>
<div style="height:2400px;background:linear-gradient(#2a6,#26a)"></div></body></html>"""


async def delta(request: web.Request) -> web.StreamResponse:
    name = request.path.rsplit("/", 1)[-1]
    if name.startswith("@"):  # the page a person (or a browser) sees
        held = ACCOUNTS.get(name[1:])
        if held is None:
            return web.Response(status=404, text="no such account")
        return web.Response(text=PAGE.format(**held), content_type="text/html")
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return web.json_response({"error": "unauthorised"}, status=401)
    held = ACCOUNTS.get(name)
    response = web.json_response(held or {"error": "no such user"}, status=200 if held else 404)
    response.set_cookie("session", COOKIE)
    return response


async def delta_platforms(sim: Simulator, platform_file: PlatformFile, *more: str) -> tuple[Path, str]:
    """The platform file (with `more` entries after Delta's) and the site's base URL."""
    site = await sim.site(delta)
    return platform_file(ENTRY.replace("$base", site.base).replace("$env", TOKEN_ENV), *more), site.base


@dataclass
class Inbox:
    """What the alert servers received: each POST by path, each e-mail."""

    posts: dict[str, list[Any]] = field(default_factory=dict)
    mails: list[Message] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # paths that answer 500
    base: str = ""
    smtp_port: int = 0

    def count(self) -> int:
        return sum(len(bodies) for bodies in self.posts.values()) + len(self.mails)

    def targets(self) -> list[str]:
        """--notify values for each channel (the Slack one through the environment, as a user would)."""
        return [
            f"webhook+{self.base}/hook",
            "env:HANDLECHECK_TEST_SLACK_URL",
            f"teams+{self.base}/teams",
            f"smtp://127.0.0.1:{self.smtp_port}/?to=security@acme.test&from=handlecheck@acme.test",
        ]


class _Mailbox:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.inbox.mails.append(message_from_bytes(content))
        return "250 OK"


async def alert_servers(sim: Simulator) -> tuple[Inbox, Controller]:
    inbox = Inbox()

    async def record(request: web.Request) -> web.Response:
        if request.path in inbox.failing:
            return web.Response(status=500, text="try later")
        inbox.posts.setdefault(request.path, []).append(json.loads(await request.read()))
        return web.Response(text="ok")

    site = await sim.site(record)
    with socket.socket() as probe:  # a free port: aiosmtpd checks its server by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(_Mailbox(inbox), hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    inbox.base, inbox.smtp_port = site.base, port
    return inbox, controller
