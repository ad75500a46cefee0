"""Where a run's alerts go: one `--notify` value parsed into a Target.

Webhook URLs (Slack's and Teams' path is the key to the channel) and passwords are secrets:
they come from the environment (`env:NAME`, or `${NAME}` inside the URL), never from the
command line, where the shell history and the process list would keep them. A Target's
`label` is what may be printed; its `url` is never printed, and the history stores `key`,
a hash of it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from ..errors import InputError
from ..rules.addresses import host_refusal
from ..text import printable


class Channel(StrEnum):
    WEBHOOK = "webhook"  # a generic JSON POST
    SLACK = "slack"  # a Slack incoming webhook
    TEAMS = "teams"  # a Teams incoming webhook or Workflows webhook
    EMAIL = "email"  # SMTP


class Security(StrEnum):
    """How an SMTP connection is encrypted."""

    PLAIN = "plain"
    STARTTLS = "starttls"
    TLS = "tls"  # implicit TLS (smtps://)


@dataclass(frozen=True, slots=True)
class Smtp:
    host: str
    port: int
    security: Security
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Target:
    """`url` is what is posted to (an explicit `slack+` prefix removed) and may hold a secret;
    `label` is safe to print (scheme, host, port; for e-mail the recipients)."""

    channel: Channel
    url: str = field(repr=False)
    label: str
    smtp: Smtp | None = None  # for e-mail

    @property
    def key(self) -> str:
        """Where an alert went, as the history stores it: a hash, so the secret is not stored."""
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()


SMTP_PASSWORD_VARIABLE = "HANDLECHECK_SMTP_PASSWORD"
_PREFIXES = {"slack": Channel.SLACK, "teams": Channel.TEAMS, "webhook": Channel.WEBHOOK}
_TEAMS_DOMAINS = ("webhook.office.com", "logic.azure.com", "powerplatform.com", "powerautomate.com")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(r"\$\{(" + _NAME + r")\}")
_ADDRESS = re.compile(r"[^@\s,;<>()\"'\\]+@[^@\s,;<>()\"'\\]+")
_SMTP_OPTIONS = frozenset({"to", "from", "starttls", "password_env"})
_YES, _NO = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})
ACCEPTED = (
    "https://… (JSON webhook; http:// only to this machine), slack+https://…, teams+https://…, webhook+https://…, "
    "smtp://[user@]host[:port]/?to=a@x.org[&from=…][&starttls=1], smtps://…, or env:NAME"
)


def parse_target(text: str, environ: Mapping[str, str]) -> Target:
    """The Target a `--notify` value names. InputError (one line, secrets masked) for anything
    wrong: an unset variable, a secret written out, an unknown scheme, a malformed address."""
    shown = masked(text)
    written: SplitResult | None = None  # the value as typed, when it is a URL (not env:NAME)
    if text.startswith("env:"):
        url = _variable(text[4:], environ, shown)
    else:
        if "${" in _REFERENCE.sub("", text):
            raise InputError(f"--notify {shown}: write a variable as ${{NAME}} (letters, digits, _)")
        url = _REFERENCE.sub(lambda match: _variable(match.group(1), environ, shown), text)
        written = _split(_prefixed(text)[1])
    if any(char.isspace() or not char.isprintable() for char in url):
        raise InputError(f"--notify {shown}: the URL holds spaces or control characters")
    channel, url = _prefixed(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"--notify {shown}: not a usable URL ({exc})") from None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    refusal = host_refusal(host) if host else None
    if refusal is not None:  # alerts never go to a machine's own credentials service
        raise InputError(f"--notify {shown}: {refusal}")
    if parts.password is not None and written is not None and written.password == parts.password:
        hint = "export WEBHOOK_PASSWORD='…' and write ${WEBHOOK_PASSWORD} in its place"
        if scheme in ("smtp", "smtps"):
            hint = f"export {SMTP_PASSWORD_VARIABLE}='…' instead"
        raise InputError(f"--notify {shown}: a password written in the URL stays in the shell history: {hint}")
    if scheme in ("smtp", "smtps") and channel is None:
        return _email(url, parts, port, shown, environ)
    if scheme not in ("http", "https"):
        raise InputError(f"--notify {shown}: not a notification address; accepted: {ACCEPTED}")
    if not host:
        raise InputError(f"--notify {shown}: the URL names no host")
    if scheme == "http" and not _loopback(host):
        raise InputError(
            f"--notify {shown}: the alerts and the webhook's key would cross the network unencrypted: use https://"
        )
    vendor = _vendor(host)
    if vendor and written is not None and _secret_part(written) == _secret_part(parts):
        variable = f"{vendor.upper()}_WEBHOOK_URL"
        raise InputError(
            f"--notify {shown}: a {vendor.title()} webhook URL is a secret, keep it off the command line: "
            f"export {variable}='…' and pass --notify env:{variable}"
        )
    if channel is None:
        channel = {"slack": Channel.SLACK, "teams": Channel.TEAMS}.get(vendor, Channel.WEBHOOK)
    netloc = _bracketed(host) + (f":{port}" if port is not None else "")
    return Target(channel, url, printable(f"{channel.value} {scheme}://{netloc}", 200))


def masked(text: str) -> str:
    """A `--notify` value as an error may show it: no password, no webhook path or query
    (the part that is the secret); `env:NAME` and `${NAME}` show only names."""
    if text.startswith("env:"):
        return printable(text, 80)
    parts = _split(text)
    if parts is None or not parts.scheme or not parts.netloc:
        return "'…'"
    userinfo, at, host = parts.netloc.rpartition("@")
    user = f"{userinfo.partition(':')[0]}{':***' if ':' in userinfo else ''}{at}"
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.scheme.lower() not in ("smtp", "smtps"):
        rest = "/…" if rest.strip("/") else rest
    return printable(f"{parts.scheme}://{user}{host}{rest}", 200)


def _variable(name: str, environ: Mapping[str, str], shown: str) -> str:
    if not re.fullmatch(_NAME, name):
        raise InputError(f"--notify {shown}: {printable(name, 40)!r} is not an environment variable name")
    value = environ.get(name, "").strip()
    if not value:
        raise InputError(f"--notify {shown}: the environment variable {name} is not set (or empty)")
    return value


def _prefixed(url: str) -> tuple[Channel | None, str]:
    """The channel an explicit `slack+`, `teams+` or `webhook+` prefix names, and the URL without it."""
    prefix, plus, rest = url.partition("+")
    channel = _PREFIXES.get(prefix.lower()) if plus and "://" not in prefix else None
    return (channel, rest) if channel is not None else (None, url)


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _secret_part(parts: SplitResult) -> str:
    """A webhook's path and query: the part of a Slack or Teams URL that is its key. The same
    in the value as typed and in the URL means it was typed out, not taken from a variable."""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _vendor(host: str) -> str:
    if host == "hooks.slack.com":
        return "slack"
    if any(host.endswith("." + domain) for domain in _TEAMS_DOMAINS):
        return "teams"
    return ""


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _email(url: str, parts: SplitResult, port: int | None, shown: str, environ: Mapping[str, str]) -> Target:
    """`smtp://[user@]host[:port]/?to=a@x.org,b@x.org[&from=…][&starttls=1][&password_env=NAME]`;
    `smtps://` is implicit TLS. The password comes from HANDLECHECK_SMTP_PASSWORD (or the
    variable `password_env` names), or from a URL that itself came from the environment."""
    host = parts.hostname or ""
    if not host:
        raise InputError(f"--notify {shown}: the URL names no mail server")
    if parts.path not in ("", "/") or parts.fragment:
        raise InputError(f"--notify {shown}: an smtp URL has no path: write smtp://host/?to=…")
    options: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _SMTP_OPTIONS:
            raise InputError(
                f"--notify {shown}: unknown option {printable(name, 40)!r} (known: {', '.join(sorted(_SMTP_OPTIONS))})"
            )
        options.setdefault(name, []).append(value)
    recipients = tuple(
        address.strip() for value in options.get("to", []) for address in value.split(",") if address.strip()
    )
    if not recipients:
        raise InputError(f"--notify {shown}: name the recipients: ?to=a@example.org,b@example.org")
    sender = options.get("from", [f"handlecheck@{host}"])[-1].strip()
    for address in (*recipients, sender):
        if not _ADDRESS.fullmatch(address):
            raise InputError(f"--notify {shown}: {printable(address, 80)!r} is not an e-mail address")
    starttls = options.get("starttls", ["0"])[-1].lower()
    if starttls not in _YES | _NO:
        raise InputError(f"--notify {shown}: starttls is 1 or 0, not {printable(starttls, 20)!r}")
    if parts.scheme.lower() == "smtps":
        if starttls in _YES:
            raise InputError(f"--notify {shown}: smtps:// is encrypted from the start; starttls is for smtp://")
        security, default_port = Security.TLS, 465
    else:
        security, default_port = (Security.STARTTLS, 587) if starttls in _YES else (Security.PLAIN, 25)
    user = unquote(parts.username) if parts.username else None
    password = _password(user, unquote(parts.password) if parts.password else None, options, environ, shown)
    if password is not None and security is Security.PLAIN and not _loopback(host):
        raise InputError(
            f"--notify {shown}: the password would cross the network unencrypted: use smtps:// or add &starttls=1"
        )
    port = port if port is not None else default_port
    smtp = Smtp(host, port, security, sender, recipients, user, password)
    listed = ", ".join(recipients[:3]) + (f" and {len(recipients) - 3} more" if len(recipients) > 3 else "")
    return Target(Channel.EMAIL, url, printable(f"e-mail {_bracketed(host)}:{port} to {listed}", 300), smtp)


def _password(
    user: str | None, in_url: str | None, options: dict[str, list[str]], environ: Mapping[str, str], shown: str
) -> str | None:
    """The login password: only with a user, and then required (a login without one fails)."""
    named = options.get("password_env", [None])[-1]
    if user is None:
        if named is not None or in_url is not None:
            raise InputError(f"--notify {shown}: a password needs a user: write smtp://user@host/…")
        return None
    if in_url is not None:
        return in_url
    if named is not None:
        return _variable(named, environ, shown)
    password = environ.get(SMTP_PASSWORD_VARIABLE, "")
    if not password:
        raise InputError(
            f"--notify {shown}: the user {printable(user, 60)} needs a password: export {SMTP_PASSWORD_VARIABLE}='…'"
        )
    return password


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
