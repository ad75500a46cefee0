"""Sending a run's alerts: one message per target, all targets at once.

Nothing raises: each target ends as a Delivery, whose detail names the target by its label
and never by its URL. Each target has `timeout` seconds in all, retries included; a server
that never answers, or answers slowly, is left when they are spent, and at most BODY_BYTES
of any answer are read. Host names go through the engine's `CachingResolver`, so a name that
resolves only to a link-local or cloud metadata address is refused, webhook and mail server
alike, as `parse_target` refuses such an address written out.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from yarl import URL

from ..alerts import Alert
from ..net.bodies import read_capped
from ..net.resolver import CachingResolver, RefusedAddress
from ..text import plural, printable
from .messages import RunInfo, email_message, slack_payload, teams_payload, webhook_payload
from .targets import Channel, Security, Smtp, Target

ATTEMPTS = 3  # a webhook is asked at most twice again, after a connection error, a 5xx or a 429
BACKOFF = 0.25  # seconds: the first retry waits up to this, the second up to twice that
BODY_BYTES = 1024  # of an answer: enough for Slack's "ok" or an error's first words
log = logging.getLogger(__name__)  # -v: each retry

_PAYLOADS: dict[Channel, Callable[[Sequence[Alert], RunInfo], dict[str, Any]]] = {
    Channel.WEBHOOK: webhook_payload,
    Channel.SLACK: slack_payload,
    Channel.TEAMS: teams_payload,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    label: str  # the target's label, safe to print
    ok: bool
    detail: str  # one line, starting with the label


class _Failed(Exception):
    """A failure worth no retry; its message is the detail's reason."""


class _Retryable(_Failed):
    """A connection error, a 5xx or a 429: worth asking again."""


async def send(
    targets: Sequence[Target],
    alerts: Sequence[Alert],
    run: RunInfo,
    *,
    timeout: float = 15.0,
    resolver: AbstractResolver | None = None,
) -> list[Delivery]:
    """One message per target, sent concurrently; nothing at all when there are no alerts.
    The Deliveries come in the order of `targets`. `resolver` is asked for host names (default:
    the system's), through the guard that refuses metadata addresses."""
    if not alerts or not targets:
        return []
    guarded = CachingResolver(resolver)
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=guarded, use_dns_cache=False),
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"User-Agent": "handlecheck"},
            trust_env=False,
        ) as session:
            sending = (_deliver(session, guarded, target, alerts, run, timeout) for target in targets)
            return list(await asyncio.gather(*sending))
    finally:
        await guarded.close()


async def _deliver(
    session: aiohttp.ClientSession,
    resolver: AbstractResolver,
    target: Target,
    alerts: Sequence[Alert],
    run: RunInfo,
    timeout: float,
) -> Delivery:
    tried: list[str] = []  # why each attempt failed, for when time runs out
    try:
        async with asyncio.timeout(timeout):
            if target.smtp is not None:
                message = email_message(alerts, run, target.smtp.sender, target.smtp.recipients)
                done = await _mail(target.smtp, message, timeout, resolver)
            else:
                done = await _post(session, target, _PAYLOADS[target.channel](alerts, run), tried)
    except TimeoutError:
        last = f" (last: {tried[-1]})" if tried else ""
        return _failed(target, f"no answer within {timeout:g}s{last}")
    except _Failed as exc:
        return _failed(target, str(exc))
    except Exception as exc:  # a failure never escapes: it is that target's Delivery
        return _failed(target, _why(exc))
    return Delivery(target.label, True, f"{target.label}: {done}")


def _failed(target: Target, why: str) -> Delivery:
    """A failed Delivery; whatever the reason quotes, the URL's secret parts are masked."""
    detail = f"{target.label}: {printable(why, 300)}"
    parts = urlsplit(target.url)
    secrets = [target.url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.password or ""]
    if target.smtp is not None:
        secrets.append(target.smtp.password or "")
    for secret in secrets:
        if len(secret) > 1:
            detail = detail.replace(secret, "…")
    return Delivery(target.label, False, detail)


async def _post(session: aiohttp.ClientSession, target: Target, payload: dict[str, Any], tried: list[str]) -> str:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def retrying(state: RetryCallState) -> None:
        log.info("retry %d of %d for %s: %s", state.attempt_number, ATTEMPTS - 1, target.label, tried[-1])

    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_random_exponential(multiplier=BACKOFF, max=2.0),
            retry=retry_if_exception_type(_Retryable),
            before_sleep=retrying,
            reraise=True,
        ):
            with attempt:
                try:
                    return await _attempt(session, target.url, body)
                except _Failed as exc:
                    tried.append(str(exc))
                    raise
    except _Retryable as exc:
        raise _Failed(f"{exc} ({plural(ATTEMPTS, 'attempt')})") from None
    raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover


async def _attempt(session: aiohttp.ClientSession, url: str, body: bytes) -> str:
    """One POST: the status for a 2xx, else _Retryable or _Failed. Redirects are not followed
    (they would carry the alerts elsewhere)."""
    try:
        async with session.post(
            URL(url, encoded=True),
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            allow_redirects=False,
        ) as response:
            answer, _ = await read_capped(response, BODY_BYTES)
            status = response.status
    except TimeoutError:
        raise  # the time is spent: no retry
    except aiohttp.ClientSSLError as exc:
        raise _Failed(f"TLS failure: {_why(exc.os_error)}") from None
    except aiohttp.ClientConnectorDNSError as exc:
        if isinstance(exc.os_error, RefusedAddress):
            raise _Failed(str(exc.os_error)) from None
        raise _Failed("host not found") from None
    except aiohttp.ClientConnectorError as exc:
        raise _Retryable(f"cannot connect: {_why(exc.os_error)}") from None
    except aiohttp.ServerDisconnectedError:
        raise _Retryable("the server closed the connection") from None
    except aiohttp.ClientConnectionError as exc:
        raise _Retryable(f"connection failed: {type(exc).__name__}") from None
    except (aiohttp.InvalidURL, ValueError):  # their message would quote the URL
        raise _Failed("not a usable URL") from None
    except aiohttp.ClientError as exc:
        raise _Failed(f"unreadable answer: {type(exc).__name__}") from None
    words = printable(answer.decode("utf-8", "replace").strip(), 100)
    outcome = f"HTTP {status}" + (f" {words}" if words else "")
    if 200 <= status <= 299:
        return outcome
    if status == 429 or status >= 500:
        raise _Retryable(outcome)
    raise _Failed(outcome)


async def _mail(smtp: Smtp, message: EmailMessage, timeout: float, resolver: AbstractResolver) -> str:
    """Send with smtplib in a thread, to the addresses `resolver` allows for the mail server;
    if the time runs out, the connection is shut so that the thread ends too, instead of
    waiting on a server that drags the conversation out."""
    try:
        found = await resolver.resolve(smtp.host, smtp.port, socket.AF_UNSPEC)
    except RefusedAddress as exc:
        raise _Failed(str(exc)) from None
    except OSError:
        raise _Failed("host not found") from None
    mailer = _Mailer(smtp, [result["host"] for result in found], timeout)
    try:
        refused = await asyncio.to_thread(mailer.send, message)
    except asyncio.CancelledError:
        mailer.abort()
        raise
    if refused:
        raise _Failed(f"recipients refused: {', '.join(sorted(refused))}")
    return f"sent to {plural(len(smtp.recipients), 'recipient')}"


class _Mailer:
    """One SMTP conversation, run in a thread; `abort` may be called from any other thread."""

    def __init__(self, smtp: Smtp, addresses: list[str], timeout: float) -> None:
        self._smtp = smtp
        self._addresses = addresses  # the mail server's, in the order to try them
        self._timeout = timeout  # for each step (connect, each answer); the whole is bounded by `_mail`
        self._client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        smtp, timeout = self._smtp, self._timeout
        context = ssl.create_default_context()
        # The EHLO name: the host's own name, without the DNS lookups of getfqdn.
        name = socket.gethostname()
        if smtp.security is Security.TLS:
            client: smtplib.SMTP = smtplib.SMTP_SSL(local_hostname=name, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(local_hostname=name, timeout=timeout)
        # The name TLS checks the certificate against: smtplib takes it only in its constructor,
        # which would also connect, before `abort` could reach the socket.
        client._host = smtp.host  # type: ignore[attr-defined]
        self._client = client
        with client:
            self._connect(client)
            if smtp.security is Security.STARTTLS:
                client.starttls(context=context)
            if smtp.user is not None and smtp.password is not None:
                client.login(smtp.user, smtp.password)
            return client.send_message(message, from_addr=smtp.sender, to_addrs=list(smtp.recipients))

    def _connect(self, client: smtplib.SMTP) -> None:
        """The first address that takes the connection; the last failure if none does."""
        failure: OSError = OSError(f"no address for {self._smtp.host}")
        for address in self._addresses:
            try:
                client.connect(address, self._smtp.port)
                return
            except smtplib.SMTPException:  # connected: the server's answer is the outcome
                raise
            except OSError as exc:
                failure = exc
        raise failure

    def abort(self) -> None:
        client = self._client
        if client is not None and client.sock is not None:
            with suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)


def _why(exc: BaseException | None) -> str:
    """A failure in a few words, for a person."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"every recipient refused: {', '.join(sorted(exc.recipients))}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {exc.sender} refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"the server answered {exc.smtp_code} {said}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPException):
        return str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError) or (isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failure: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
