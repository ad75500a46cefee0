"""A host's politeness budget kept in Redis, so that every worker of a fleet, on every machine,
shares it: together they never have more requests in flight at a host than its platform
entry allows, nor start them faster.

- In flight: a host that takes `concurrency` requests has that many slots, each a Redis lock
  (redis-py's `Lock`) with a lease; a request holds one while it is sent. A worker killed
  while holding a slot does not keep it: the lease runs out.
- Pace: starts are counted in a moving window by `limits` (its Redis storage), the rate
  limiter with a Redis backend that is well kept and widely used. Its windows are whole
  seconds, so "one start every 0.25 s" becomes "4 starts in any second"; a host paced slower
  than one a second gets one start per window of whole seconds.
- Pause: a 429 that a worker is answered pauses the host for every worker, as long as the
  host asked (its Retry-After) or one gap; each worker's own `HostLimiter` also slows down.
- Outage: while the broker is gone, a request waits for its turn (`outages.through_outages`)
  rather than go without the budget it must keep.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from ..models import RateLimit
from .outages import through_outages

POLL = 0.02
"""Seconds between tries for a slot that others hold."""
PREFIX = "handlecheck:host"


def per_window(interval: float) -> RateLimitItemPerSecond | None:
    """The moving window that a gap of `interval` seconds between starts comes to: N starts in
    one second (N the whole starts that fit in it), or one start in ceil(interval) seconds."""
    if interval <= 0:
        return None
    if interval <= 1:
        return RateLimitItemPerSecond(max(1, math.floor(1 / interval + 1e-9)), 1)
    return RateLimitItemPerSecond(1, math.ceil(interval - 1e-9))


class SharedBudget:
    """`async with budget.turn(host, policy):` around each request (see `net.politeness.SharedTurns`)."""

    def __init__(self, redis: Redis, url: str, *, lease: float) -> None:
        """`lease`: the longest a request can hold a slot (its timeout and a margin)."""
        self._redis = redis
        self._lease = lease
        scheme, _, rest = url.partition("://")
        storage = RedisStorage(f"async+{scheme}://{rest}", implementation="redispy", key_prefix=f"{PREFIX}:pace")
        self._pace = MovingWindowRateLimiter(storage)
        self._owner = uuid.uuid4().hex

    @asynccontextmanager
    async def turn(self, host: str, policy: RateLimit) -> AsyncIterator[None]:
        slot = await through_outages(lambda: self._take_turn(host, policy))
        try:
            yield
        finally:
            with suppress(LockError, RedisError):  # the lease ran out, or the broker is gone
                await slot.release()

    async def pause(self, host: str, seconds: float) -> None:
        """Pause `host` for every worker for `seconds` (a longer pause already set stands)."""
        key = f"{PREFIX}:pause:{host}"
        wanted = max(1, round(seconds * 1000))
        with suppress(RedisError):  # no broker: this worker's own limiter still slows down
            if await self._redis.pttl(key) < wanted:
                await self._redis.set(key, self._owner, px=wanted)

    async def _take_turn(self, host: str, policy: RateLimit) -> Lock:
        await self._paused(host)
        slot = await self._slot(host, policy.concurrency)
        try:
            await self._start(host, policy.interval)
        except BaseException:
            with suppress(LockError, RedisError):
                await slot.release()
            raise
        return slot

    async def _paused(self, host: str) -> None:
        while (left := await self._redis.pttl(f"{PREFIX}:pause:{host}")) > 0:
            await asyncio.sleep(left / 1000)

    async def _slot(self, host: str, slots: int) -> Lock:
        locks = [
            self._redis.lock(f"{PREFIX}:slot:{host}:{index}", timeout=self._lease, thread_local=False)
            for index in range(max(1, slots))
        ]
        while True:
            for lock in locks:
                if await lock.acquire(blocking=False):
                    return lock
            await asyncio.sleep(POLL)

    async def _start(self, host: str, interval: float) -> None:
        window = per_window(interval)
        if window is None:
            return
        while not await self._pace.hit(window, host):
            stats = await self._pace.get_window_stats(window, host)
            await asyncio.sleep(max(POLL, stats.reset_time - time.time()))
