"""Notification channels: where a run's new alerts go (`--notify`), and how they are sent.

    targets = [parse_target(value, os.environ) for value in args.notify]
    deliveries = await send(targets, alerts, RunInfo(title, started_at, brands, report))

`targets` parses a `--notify` value (secrets only from the environment); `messages` renders
the alerts for each channel; `send` delivers one message per target and never raises.
"""

from __future__ import annotations

from .messages import RunInfo, email_message, slack_payload, teams_payload, webhook_payload
from .send import Delivery, send
from .targets import Channel, Security, Smtp, Target, masked, parse_target

__all__ = [
    "Channel",
    "Delivery",
    "RunInfo",
    "Security",
    "Smtp",
    "Target",
    "email_message",
    "masked",
    "parse_target",
    "send",
    "slack_payload",
    "teams_payload",
    "webhook_payload",
]
