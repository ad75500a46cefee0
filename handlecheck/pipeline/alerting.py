"""Alerts out, once each: the last step of a run that has something new to tell.

Each target gets one message with the run's alerts it has not had before. The history keeps,
per target (the SHA-256 of its URL), the key of every alert that reached it, so a second run
that finds the same impersonator, or a run retried after a stop, sends nothing again; an alert
that could not be delivered is not remembered, so the next run tries it again. Without a
history nothing is remembered and every run sends what it matched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from ..alerts import Alert
from ..notify.messages import RunInfo
from ..notify.send import Delivery, send
from ..notify.targets import Target
from ..store.history import History
from ..text import plural


def run_title(alerts: Sequence[Alert]) -> str:
    brands = list(dict.fromkeys(a.brand for a in alerts))
    about = brands[0] if len(brands) == 1 else plural(len(brands), "brand")
    return f"handlecheck: {plural(len(alerts), 'new item')} for {about}"


async def notify_run(
    targets: Sequence[Target],
    alerts: Sequence[Alert],
    history: History | None,
    *,
    started_at: datetime,
    brands: int,
    report: str | None = None,
    timeout: float = 15.0,
) -> list[Delivery]:
    """Send each target the `alerts` it has not had; one Delivery per target that had any."""
    unique = list({a.key: a for a in alerts}.values())

    async def one(target: Target) -> Delivery | None:
        keys = set(history.unsent(target.key, [a.key for a in unique])) if history else None
        pending = [a for a in unique if keys is None or a.key in keys]
        if not pending:
            return None
        run = RunInfo(run_title(pending), started_at, brands, report)
        (delivery,) = await send([target], pending, run, timeout=timeout)
        if delivery.ok and history is not None:
            history.mark_sent(target.key, [a.key for a in pending])
        return delivery

    done = await asyncio.gather(*(one(target) for target in targets))
    return [d for d in done if d is not None]
