"""A run's alerts as one message per channel: pure functions, no I/O.

Everything an alert says came from servers and files: it is made printable, and it never
shapes the message. Slack text is escaped (&, <, >) and links are built only from http(s)
URLs, percent-encoded where `<url|text>` would break; Teams text goes in TextRuns, which
Adaptive Cards never read as markdown. JSON is built as data, never by pasting text.

Limits this relies on:
- Slack: at most 50 blocks a message (https://docs.slack.dev/reference/block-kit/blocks), a
  header's plain_text at most 150 characters
  (https://docs.slack.dev/reference/block-kit/blocks/header-block), a section's text at most
  3000 (https://api.slack.com/reference/block-kit/blocks#section); messages with long blocks are
  refused (msg_blocks_too_long) well before 50 x 3000 characters
  (https://github.com/slackapi/bolt-js/issues/2509); &, < and > are escaped as &amp; &lt; &gt;
  (https://api.slack.com/reference/surfaces/formatting#escaping).
- Teams: a Workflows webhook ("When a Teams webhook request is received") takes
  {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": <AdaptiveCard>}]} and supports Adaptive Cards only
  (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
  https://learn.microsoft.com/en-us/connectors/teams/?tabs=text1%2Cdotnet#microsoft-teams-webhook);
  a message is at most 28 KB
  (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook);
  RichTextBlock and its TextRuns take no markdown
  (https://learn.microsoft.com/en-us/adaptive-cards/authoring-cards/text-features).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from ..alerts import Alert
from ..text import plural, printable

LISTED = 45  # alerts a chat message lists; the rest are "and N more"
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_TOTAL_CHARS = 12_000  # of all sections together
TEAMS_CARD_BYTES = 24_000  # of the listed alerts' JSON, under Teams' 28 KB
TEXT_CHARS = 900  # an alert's text, in a chat message (3 lines of an alert fit in a Slack section)
LINK_CHARS = 800  # a longer URL is shown, not linked
_SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


@dataclass(frozen=True, slots=True)
class RunInfo:
    title: str  # "handlecheck: 2 new items for Acme"
    started_at: datetime
    brands: int
    report: str | None = None  # where the report was written


def webhook_payload(alerts: Sequence[Alert], run: RunInfo) -> dict[str, Any]:
    """Every alert, whole: a program reads this, not a person."""
    return {
        "source": "handlecheck",
        "title": printable(run.title),
        "started_at": run.started_at.isoformat(),
        "brands": run.brands,
        "report": printable(run.report) if run.report is not None else None,
        "count": len(alerts),
        "alerts": [
            {name: printable(value) if isinstance(value, str) else value for name, value in alert.to_dict().items()}
            for alert in alerts
        ],
    }


def slack_payload(alerts: Sequence[Alert], run: RunInfo) -> dict[str, Any]:
    """A Block Kit message: a header, the run in a context block, one mrkdwn section per alert
    (the first LISTED, within SLACK_TOTAL_CHARS), and "and N more"; `text` is the fallback
    notifications show."""
    sections = [_slack_section(alert) for alert in alerts]
    listed = _fitting(sections, SLACK_TOTAL_CHARS, lambda block: len(block["text"]["text"]))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _slack(run.title, SLACK_HEADER_CHARS)}},
        _slack_context(_about(run)),
        *listed,
    ]
    if len(listed) < len(alerts):
        blocks.append(_slack_context(_more(len(alerts) - len(listed), run)))
    return {"text": _slack(run.title, SLACK_SECTION_CHARS), "blocks": blocks}


def teams_payload(alerts: Sequence[Alert], run: RunInfo) -> dict[str, Any]:
    """An Adaptive Card 1.4 in a Workflows message: the title, the run, one RichTextBlock per
    alert (the first LISTED, within TEAMS_CARD_BYTES), and "and N more"."""
    entries = [_teams_entry(alert) for alert in alerts]
    listed = _fitting(entries, TEAMS_CARD_BYTES, lambda block: len(json.dumps(block).encode("utf-8")))
    body: list[dict[str, Any]] = [
        _rich([_run(run.title, TEXT_CHARS, size="Large", weight="Bolder")]),
        _rich([_run(_about(run), TEXT_CHARS, isSubtle=True)], spacing="None"),
        *listed,
    ]
    if len(listed) < len(alerts):
        body.append(_rich([_run(_more(len(alerts) - len(listed), run), TEXT_CHARS, isSubtle=True)], separator=True))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def email_message(alerts: Sequence[Alert], run: RunInfo, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """A plain-text e-mail listing every alert: its text, the account, where to report it, and
    the hash of the archived evidence."""
    message = EmailMessage()
    message["Subject"] = printable(run.title, 200)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(run.started_at)
    lines = [printable(run.title), "", _about(run) + "."]
    for number, alert in enumerate(alerts, 1):
        lines += ["", f"{number}. {_kind(alert)}: {printable(alert.text)}"]
        lines.append(f"   Account: {printable(alert.url)}" if alert.url else f"   Account: {_account(alert)}")
        if alert.report_link:
            lines.append(f"   Report it: {printable(alert.report_link)}")
        if alert.evidence_sha256:
            lines.append(f"   Evidence SHA-256: {printable(alert.evidence_sha256)}")
    lines += ["", "-- ", "Sent by handlecheck."]
    message.set_content("\n".join(lines) + "\n")
    return message


def _fitting(items: list[dict[str, Any]], budget: int, size: Callable[[dict[str, Any]], int]) -> list[dict[str, Any]]:
    """The first items, at most LISTED, whose sizes add up to at most `budget`."""
    kept: list[dict[str, Any]] = []
    used = 0
    for item in items[:LISTED]:
        used += size(item)
        if used > budget:
            break
        kept.append(item)
    return kept


def _about(run: RunInfo) -> str:
    when = run.started_at.isoformat(sep=" ", timespec="minutes")
    report = f"; report: {printable(run.report, 300)}" if run.report else ""
    return f"Scan started {when}, {plural(run.brands, 'brand')}{report}"


def _more(count: int, run: RunInfo) -> str:
    return f"and {count} more" + (f": see the report, {printable(run.report, 300)}" if run.report else "")


def _kind(alert: Alert) -> str:
    return alert.kind.value.replace("-", " ").capitalize()


def _account(alert: Alert) -> str:
    return printable(f"{alert.platform} {alert.handle}", 200)


def _web_link(url: str | None) -> str | None:
    """An http(s) URL fit for a link: printable, percent-encoded where a link's syntax would
    break (spaces, <, >, |, quotes); None for any other scheme, or one too long."""
    if not url:
        return None
    clean = printable(url)
    try:
        scheme = urlsplit(clean).scheme.lower()
    except ValueError:
        return None
    encoded = quote(clean, safe=_URL_SAFE)
    return encoded if scheme in ("http", "https") and len(encoded) <= LINK_CHARS else None


def _slack(text: str, limit: int) -> str:
    """Printable text with Slack's control characters escaped, at most `limit` characters
    (never cutting an escape in two)."""
    pieces = [_SLACK_ESCAPES.get(char, char) for char in printable(text, limit)]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    used = 1  # the ellipsis
    for piece in pieces:
        used += len(piece)
        if used > limit:
            break
        kept.append(piece)
    return "".join(kept) + "…"


def _slack_link(url: str | None, label: str) -> str:
    """`<url|label>`, or the label and the URL as text when the URL is not fit for a link."""
    link = (_web_link(url) or "").replace("&", "&amp;")
    if not link or len(link) > LINK_CHARS:
        return _slack(f"{label} {url}" if url else label, LINK_CHARS + 200)
    return f"<{link}|{_slack(label, 200)}>"


def _slack_section(alert: Alert) -> dict[str, Any]:
    lines = [
        f"*{_kind(alert)}* {_slack(alert.text, TEXT_CHARS)}",
        f"Account: {_slack_link(alert.url, _account(alert))}",
    ]
    if alert.report_link:
        lines.append(f"Report it: {_slack_link(alert.report_link, f'where {alert.platform} takes reports')}")
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}


def _slack_context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack(text, SLACK_SECTION_CHARS)}]}


def _run(text: str, limit: int, url: str | None = None, **style: Any) -> dict[str, Any]:
    """A TextRun: text never read as markdown; a link only to an http(s) URL."""
    run: dict[str, Any] = {"type": "TextRun", "text": printable(text, limit), **style}
    link = _web_link(url)
    if link is not None:
        run["selectAction"] = {"type": "Action.OpenUrl", "url": link}
    return run


def _rich(inlines: list[dict[str, Any]], **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": inlines, **style}


def _teams_entry(alert: Alert) -> dict[str, Any]:
    inlines = [
        _run(_kind(alert), 100, weight="Bolder"),
        _run(f" {alert.text}", TEXT_CHARS),
        _run(" · ", 3),
        _run(_account(alert), 200, alert.url, color="Accent"),
    ]
    if alert.report_link:
        inlines += [_run(" · ", 3), _run("report it", 20, alert.report_link, color="Accent")]
    return _rich(inlines, separator=True)
