"""What a fleet's process does while the broker is gone (restarted, unreachable): it waits.

A module of its own because it needs the fleet's libraries, which `wire` (imported with the
package) must not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError
from taskiq.exceptions import SendTaskError

OUTAGE_RETRY = 1.0
"""Seconds between tries while the broker is gone."""
BROKER_GONE = (RedisError, OSError, SendTaskError)
"""What a call to the broker raises when it is gone (taskiq wraps the broker's errors in its own)."""
_Done = TypeVar("_Done")


async def through_outages(call: Callable[[], Awaitable[_Done]]) -> _Done:
    """`call()`, tried again each OUTAGE_RETRY seconds while the broker is gone (restarted,
    unreachable): a worker's step waits for the broker rather than fail as if the platform
    had; what the broker lost meanwhile, the run's coordinator sends again."""
    while True:
        try:
            return await call()
        except BROKER_GONE:
            await asyncio.sleep(OUTAGE_RETRY)
