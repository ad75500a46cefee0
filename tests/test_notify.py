"""Notification channels: `--notify` values, the message of each channel, and sending them to
real servers on loopback (an aiohttp web server that records each POST, an aiosmtpd server)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from handlecheck.alerts import Alert, AlertKind
from handlecheck.errors import InputError
from handlecheck.notify import Channel, RunInfo, Security, parse_target, send, slack_payload, teams_payload

RUN = RunInfo("handlecheck: 2 new items for Acme", datetime(2026, 5, 1, 9, 30, tzinfo=UTC), 1, "/tmp/acme.html")
ALERTS = (
    Alert("Acme", AlertKind.IMPERSONATOR, "x", "acme_support", "Impersonator @acme_support on X", "lookalike",
          "https://x.example/acme_support", "https://x.example/report", "ab" * 32),
    Alert("Acme", AlertKind.NAME_TAKEN, "github", "acme", "The name acme is taken on GitHub now", "taken"),
)  # fmt: skip
HOSTILE = Alert(
    "Acme", AlertKind.NEW_LOOKALIKE, "x", "evil", "<!channel> & [click](https://evil.example) \x1b[31m*bold*\n>quote",
    url="javascript:alert(1)", report_link="https://x.example/report?a=1&b=<2>|3",
)  # fmt: skip


# ---------------------------------------------------------------- servers


@dataclass
class Hooks:
    """Records each POST; the path says how to answer."""

    base: str = ""
    posts: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # ends the silent handler

    def bodies(self, path: str) -> list[Any]:
        return [body for where, _, body in self.posts if where == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        self.posts.append((path, dict(request.headers), json.loads(await request.read())))
        if path.startswith("/fail"):
            return web.Response(status=500, text="boom")
        if path == "/bad":
            return web.Response(status=400, text="invalid_payload")
        if path == "/flaky" and self.hits[path] == 1:
            return web.Response(status=429, text="slow down")
        if path == "/silent":
            await self.release.wait()
        if path == "/huge":
            response = web.StreamResponse()
            await response.prepare(request)
            try:
                for _ in range(10_000):  # 640 MB, if anyone read it all
                    await response.write(b"x" * 65536)
            except ConnectionError:
                pass  # the client hung up, as it should
            return response
        return web.Response(text="ok")


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    recorder = Hooks()
    app = web.Application()
    app.router.add_post("/{tail:.*}", recorder.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recorder.base = f"http://127.0.0.1:{server.port}"
    try:
        yield recorder
    finally:
        recorder.release.set()
        await server.close()


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def alerts(count: int, text: str = "Lookalike account") -> list[Alert]:
    return [
        Alert("Acme", AlertKind.NEW_LOOKALIKE, "x", f"acme{n}", f"{text} {n}", url=f"https://x.example/acme{n}")
        for n in range(count)
    ]


# ---------------------------------------------------------------- parse_target

ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/SECRET",
    "TOKEN": "SECRET",
    "TEAMS": "https://prod.westus.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke?sig=SECRET",
    "PW": "SECRET",
    "EMPTY": " ",
    "HANDLECHECK_SMTP_PASSWORD": "SECRET",
}


@pytest.mark.parametrize(
    ("text", "channel", "label"),
    [
        ("env:SLACK_WEBHOOK_URL", Channel.SLACK, "slack https://hooks.slack.com"),
        ("https://hooks.slack.com/services/T0/B0/${TOKEN}", Channel.SLACK, "slack https://hooks.slack.com"),
        ("env:TEAMS", Channel.TEAMS, "teams https://prod.westus.logic.azure.com:443"),
        ("https://a.webhook.office.com/webhookb2/${TOKEN}", Channel.TEAMS, "teams https://a.webhook.office.com"),
        ("https://hooks.example.org/alerts", Channel.WEBHOOK, "webhook https://hooks.example.org"),
        ("https://bot:${PW}@hooks.example.org/alerts", Channel.WEBHOOK, "webhook https://hooks.example.org"),
        ("slack+http://127.0.0.1:8080/hook", Channel.SLACK, "slack http://127.0.0.1:8080"),
        ("teams+https://teams.example.org/x", Channel.TEAMS, "teams https://teams.example.org"),
        ("webhook+http://[::1]:9000/x", Channel.WEBHOOK, "webhook http://[::1]:9000"),
    ],
)
def test_parse_target_finds_the_channel(text: str, channel: Channel, label: str) -> None:
    target = parse_target(text, ENV)
    assert (target.channel, target.label) == (channel, label)
    assert not target.url.startswith(channel.value + "+")
    assert target.key == hashlib.sha256(target.url.encode()).hexdigest()
    assert "SECRET" not in target.label + repr(target)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("env:NOPE", "environment variable NOPE is not set"),
        ("env:EMPTY", "environment variable EMPTY is not set"),
        ("https://hooks.example.org/${NOPE}", "environment variable NOPE is not set"),
        ("env:not-a-name", "not an environment variable name"),
        ("https://hooks.slack.com/services/T0/B0/SECRET", "--notify env:SLACK_WEBHOOK_URL"),
        ("slack+https://hooks.slack.com/services/T0/B0/SECRET", "export SLACK_WEBHOOK_URL="),
        ("https://${TOKEN}.webhook.office.com/webhookb2/SECRET", "--notify env:TEAMS_WEBHOOK_URL"),
        ("https://x.powerautomate.com/hook?sig=SECRET", "Teams webhook URL is a secret"),
        ("https://bot:SECRET@hooks.example.org/alerts", "password written in the URL"),
        ("smtp://me:SECRET@mail.example.org/?to=a@x.org", "HANDLECHECK_SMTP_PASSWORD"),
        ("ftp://files.example.org/SECRET", "accepted: https://"),
        ("SECRET", "accepted: https://"),
        ("https://hooks.example.org:99999/SECRET", "not a usable URL"),
        ("smtp://mail.example.org/", "name the recipients"),
        ("smtp://mail.example.org/?to=a@x.org&cc=b@x.org", "unknown option 'cc'"),
        ("smtp://mail.example.org/?to=not-an-address", "not an e-mail address"),
        ("smtp://mail.example.org/?to=a@x.org&starttls=maybe", "starttls is 1 or 0"),
        ("smtp://me@mail.example.org/?to=a@x.org", "unencrypted"),
        ("smtp://me@mail.example.org/?to=a@x.org&starttls=1&password_env=NOPE", "NOPE is not set"),
        ("http://hooks.example.org/SECRET", "unencrypted: use https://"),
        ("https://169.254.169.254/latest/SECRET", "link-local or cloud metadata address"),
        ("webhook+http://[fd00:ec2::254]/SECRET", "link-local or cloud metadata address"),
        ("smtp://169.254.169.254/?to=a@x.org", "link-local or cloud metadata address"),
        ("https://2852039166/SECRET", "not a dotted quad"),
    ],
)
def test_parse_target_refuses(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_target(text, ENV)
    message = str(caught.value)
    assert says in message and message.startswith("--notify ")
    assert "SECRET" not in message and "\n" not in message


def test_parse_target_reads_smtp_fields_and_defaults() -> None:
    plain = parse_target("smtp://mail.example.org/?to=a@x.org,b@x.org&to=c@x.org", {})
    assert plain.channel is Channel.EMAIL and plain.smtp is not None
    assert (plain.smtp.host, plain.smtp.port, plain.smtp.security) == ("mail.example.org", 25, Security.PLAIN)
    assert plain.smtp.recipients == ("a@x.org", "b@x.org", "c@x.org")
    assert (plain.smtp.sender, plain.smtp.user, plain.smtp.password) == ("handlecheck@mail.example.org", None, None)
    assert plain.label == "e-mail mail.example.org:25 to a@x.org, b@x.org, c@x.org"

    starttls = parse_target("smtp://me@mail.example.org/?to=a@x.org&from=alerts@x.org&starttls=1", ENV).smtp
    assert starttls is not None and (starttls.port, starttls.security) == (587, Security.STARTTLS)
    assert (starttls.user, starttls.password, starttls.sender) == ("me", "SECRET", "alerts@x.org")
    assert "SECRET" not in repr(starttls)

    implicit = parse_target("smtps://me@mail.example.org:2465/?to=a@x.org&password_env=PW", ENV).smtp
    assert implicit is not None and (implicit.port, implicit.security, implicit.password) == (
        2465,
        Security.TLS,
        "SECRET",
    )
    assert parse_target("smtps://mail.example.org/?to=a@x.org", {}).label == "e-mail mail.example.org:465 to a@x.org"


# ---------------------------------------------------------------- messages


def test_slack_message_stays_within_limits_and_escapes_what_servers_said() -> None:
    payload = slack_payload([HOSTILE, *alerts(80, "x" * 5000)], RUN)
    blocks = payload["blocks"]
    assert len(blocks) <= 50 and blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    sections = [block for block in blocks if block["type"] == "section"]
    assert all(len(block["text"]["text"]) <= 3000 for block in sections)
    assert blocks[-1]["type"] == "context" and f"and {81 - len(sections)} more" in blocks[-1]["elements"][0]["text"]
    hostile = sections[0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; [click]" in hostile and "<!channel>" not in hostile
    assert "\x1b" not in hostile and " &gt;quote" in hostile and "<javascript" not in hostile  # not a link
    assert "<https://x.example/report?a=1&amp;b=%3C2%3E%7C3|" in hostile


def test_teams_card_takes_no_markdown_and_stays_small() -> None:
    payload = teams_payload([HOSTILE, *alerts(80, "y" * 5000)], RUN)
    attachment = payload["attachments"][0]
    assert payload["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert len(json.dumps(payload).encode()) < 28_000 and card["body"][-1]["inlines"][0]["text"].startswith("and ")
    runs = card["body"][2]["inlines"]
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    assert runs[1]["text"].startswith(" <!channel> & [click](https://evil.example)") and "\x1b" not in runs[1]["text"]
    assert "selectAction" not in runs[3]  # javascript: is no link
    assert runs[-1]["selectAction"]["url"] == "https://x.example/report?a=1&b=%3C2%3E%7C3"


# ---------------------------------------------------------------- sending


async def test_each_channel_gets_one_message(hooks: Hooks, inbox: tuple[Inbox, int]) -> None:
    mailbox, port = inbox
    environ = {"SLACK": f"slack+{hooks.base}/slack/SECRET", "TEAMS": f"teams+{hooks.base}/teams/SECRET"}
    targets = [
        parse_target(text, environ)
        for text in (f"{hooks.base}/hook", "env:SLACK", "env:TEAMS", f"smtp://127.0.0.1:{port}/?to=a@x.org,b@x.org")
    ]
    deliveries = await send(targets, ALERTS, RUN, timeout=5)
    assert [delivery.ok for delivery in deliveries] == [True] * 4, deliveries
    assert deliveries[1].detail == f"slack {hooks.base}: HTTP 200 ok" and deliveries[1].label == targets[1].label
    assert hooks.hits == Counter({"/hook": 1, "/slack/SECRET": 1, "/teams/SECRET": 1})
    assert all(headers["Content-Type"].startswith("application/json") for _, headers, _ in hooks.posts)

    [webhook] = hooks.bodies("/hook")
    assert (webhook["source"], webhook["count"], webhook["brands"]) == ("handlecheck", 2, 1)
    assert webhook["alerts"] == [alert.to_dict() for alert in ALERTS] and webhook["title"] == RUN.title

    [slack] = hooks.bodies("/slack/SECRET")
    assert slack["text"] == RUN.title and [block["type"] for block in slack["blocks"]] == [
        "header", "context", "section", "section"
    ]  # fmt: skip
    assert "<https://x.example/acme_support|x acme_support>" in slack["blocks"][2]["text"]["text"]

    [teams] = hooks.bodies("/teams/SECRET")
    body = teams["attachments"][0]["content"]["body"]
    assert body[0]["inlines"][0]["text"] == RUN.title and len(body) == 4
    assert body[2]["inlines"][3]["selectAction"] == {"type": "Action.OpenUrl", "url": "https://x.example/acme_support"}

    [(sender, recipients, mail)] = mailbox.messages
    assert (sender, recipients) == ("handlecheck@127.0.0.1", ["a@x.org", "b@x.org"])
    assert mail["Subject"] == RUN.title and mail["To"] == "a@x.org, b@x.org"
    text = mail.get_content()
    for alert in ALERTS:
        assert alert.text in text
    assert "https://x.example/acme_support" in text and "Evidence SHA-256: " + "ab" * 32 in text


class Resolves(AbstractResolver):
    """Every name resolves to `address`: what a name pointed at a metadata service looks like."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [{"hostname": host, "host": self.address, "port": port, "family": socket.AF_INET, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]  # fmt: skip

    async def close(self) -> None:
        return None


async def test_a_name_that_resolves_to_a_metadata_address_gets_nothing() -> None:
    resolver = Resolves("169.254.169.254")
    targets = [parse_target("https://hooks.example.org/x", {}), parse_target("smtp://mail.example.org/?to=a@x.org", {})]
    hook, mail = await send(targets, ALERTS, RUN, timeout=5, resolver=resolver)
    assert sorted(resolver.asked) == ["hooks.example.org", "mail.example.org"]
    for delivery in (hook, mail):
        assert not delivery.ok and "resolves only to link-local or cloud metadata addresses" in delivery.detail


async def test_names_are_resolved_through_the_given_resolver(hooks: Hooks, inbox: tuple[Inbox, int]) -> None:
    port = hooks.base.rsplit(":", 1)[1]
    resolver = Resolves("127.0.0.1")
    targets = [
        parse_target(f"webhook+http://localhost:{port}/hook", {}),
        parse_target(f"smtp://localhost:{inbox[1]}/?to=a@x.org", {}),
    ]
    hook, mail = await send(targets, ALERTS, RUN, timeout=5, resolver=resolver)
    assert hook.ok and mail.ok, (hook, mail)
    assert resolver.asked == ["localhost", "localhost"] and len(inbox[0].messages) == 1


async def test_no_alerts_sends_nothing(hooks: Hooks, inbox: tuple[Inbox, int]) -> None:
    targets = [parse_target(f"{hooks.base}/hook", {}), parse_target(f"smtp://127.0.0.1:{inbox[1]}/?to=a@x.org", {})]
    assert await send(targets, [], RUN) == []
    assert hooks.posts == [] and inbox[0].messages == []


async def test_a_failing_server_is_retried_then_reported(hooks: Hooks) -> None:
    target = parse_target("env:HOOK", {"HOOK": f"slack+{hooks.base}/fail/SECRET"})
    [delivery] = await send([target], ALERTS, RUN, timeout=5)
    assert not delivery.ok and hooks.hits["/fail/SECRET"] == 3
    assert delivery.detail == f"{target.label}: HTTP 500 boom (3 attempts)" and "SECRET" not in delivery.detail


async def test_a_429_is_asked_again(hooks: Hooks) -> None:
    [delivery] = await send([parse_target(f"{hooks.base}/flaky", {})], ALERTS, RUN, timeout=5)
    assert delivery.ok and hooks.hits["/flaky"] == 2


async def test_a_4xx_is_not_retried(hooks: Hooks) -> None:
    [delivery] = await send([parse_target(f"{hooks.base}/bad", {})], ALERTS, RUN, timeout=5)
    assert not delivery.ok and hooks.hits["/bad"] == 1 and delivery.detail.endswith(": HTTP 400 invalid_payload")


async def test_a_silent_server_ends_within_the_timeout(hooks: Hooks) -> None:
    started = time.monotonic()
    [delivery] = await send([parse_target(f"{hooks.base}/silent", {})], ALERTS, RUN, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert not delivery.ok and delivery.detail.endswith(": no answer within 0.5s")


async def test_a_huge_answer_is_not_read_whole(hooks: Hooks) -> None:
    started = time.monotonic()
    [delivery] = await send([parse_target(f"{hooks.base}/huge", {})], ALERTS, RUN, timeout=5)
    assert delivery.ok and time.monotonic() - started < 2 and len(delivery.detail) < 300


async def test_unreachable_targets_are_reported_not_raised() -> None:
    port = free_port()  # nothing listens there
    targets = [
        parse_target(f"http://127.0.0.1:{port}/SECRET", {}),
        parse_target(f"smtp://127.0.0.1:{port}/?to=a@x.org", {}),
    ]
    hook, mail = await send(targets, ALERTS, RUN, timeout=5)
    assert hook.detail == f"webhook http://127.0.0.1:{port}: cannot connect: connection refused (3 attempts)"
    assert mail.detail == f"e-mail 127.0.0.1:{port} to a@x.org: connection refused"
    assert not hook.ok and not mail.ok


async def test_a_mail_server_that_never_answers_ends_within_the_timeout() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never greets

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        started = time.monotonic()
        [delivery] = await send([parse_target(f"smtp://127.0.0.1:{port}/?to=a@x.org", {})], ALERTS, RUN, timeout=0.5)
        assert time.monotonic() - started < 1.5
    assert not delivery.ok and delivery.detail.endswith("no answer within 0.5s")


async def test_starttls_and_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # what the client trusts
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"SECRET", handled=False)  # False: the server answers 535

    mailbox = Inbox()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=free_port(), tls_context=server_context, require_starttls=True,
        authenticator=authenticate, auth_exclude_mechanism=["LOGIN"],  # PLAIN only: one login a try
    )  # fmt: skip
    controller.start()
    try:
        url = f"smtp://me@127.0.0.1:{controller.port}/?to=a@x.org&starttls=1"
        [delivery] = await send([parse_target(url, {"HANDLECHECK_SMTP_PASSWORD": "SECRET"})], ALERTS, RUN, timeout=5)
        [refused] = await send([parse_target(url, {"HANDLECHECK_SMTP_PASSWORD": "wrong"})], ALERTS, RUN, timeout=5)
    finally:
        controller.stop()
    assert delivery.ok and delivery.detail.endswith(": sent to 1 recipient"), delivery
    assert logins == [(b"me", b"SECRET"), (b"me", b"wrong")] and len(mailbox.messages) == 1
    assert not refused.ok and refused.detail.endswith(": login refused (535)") and "wrong" not in refused.detail
