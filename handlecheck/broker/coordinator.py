"""A scan's coordinator over a fleet: a Checker whose requests go to the broker's queue and
come back on the run's reply list, answered by `handlecheck worker`s on any machine.

Everything that is not a request stays here, as with a process pool (`net.pool`): the fair
queue across hosts, answers recalled from the history, candidates, reports, and the only
connection to the history, so every result is stored once. What is sent is a name (the run,
a request number, a handle, a platform id); the run's options and platforms are put once in
the run's keys (see `wire`).

- Exactly once: the first answer to a request is taken, any later one (a request sent again,
  or claimed from a dead worker, and answered twice) is ignored.
- The broker gone (restarted, unreachable): the coordinator waits for it, then puts the run's
  keys back and sends again every request not yet answered (a broker restarted without its
  data lost them; one with its data has them, and a second answer is ignored).
- A worker that could not reach a host (no answer from any server) is not the run's last
  word: the request goes back to the queue for the other workers, while there are others.
  Whether the run is offline is decided here, from what every worker saw, and told to all.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, cast

from redis.asyncio import Redis
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

from ..errors import InputError
from ..models import Platform, Reason, Result, Verdict
from ..net.checker import Checker
from ..net.frames import Failed
from ..net.http import HttpOptions
from ..pages import ProfilePage
from .outages import BROKER_GONE
from .queue import task_broker
from .wire import (
    CHECK,
    HEARD,
    PAGE,
    REPLY,
    RESOLVED,
    RUN_TTL,
    TASK,
    TICK_TASK,
    UNREACHED,
    WORKERS,
    Broker,
    RunKeys,
    Tampered,
)

log = logging.getLogger(__name__)
RENEW = 10.0
"""Seconds between renewals of the run's keys (they expire after RUN_TTL)."""
NO_WORKER_WARNING = 15.0
TICK = 1.0
REPLIES_AT_ONCE = 500
SOCKET_TIMEOUT = 15.0
"""Seconds a reply from Redis may take (the reader's BLPOP waits 1 s): a connection that died
without closing is an error, not a wait for ever."""


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[Any]
    kind: str
    handle: str
    platform: Platform
    tried: list[str] = field(default_factory=list)


class BrokerChecker(Checker):
    """A Checker over a fleet of workers; use it as a Checker (`async with`)."""

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        broker: Broker,
        recall: Callable[[str, Platform], Result | None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(options, recall=recall, environ=environ)
        self.broker = broker
        self.keys = RunKeys(uuid.uuid4().hex)
        self._seal = broker.seal
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count()
        self._published: dict[str, bytes] = {}
        self._publishing: dict[str, asyncio.Future[None]] = {}
        self._queue: RedisStreamBroker = task_broker(broker)
        self._kicker: AsyncKicker[Any, Any] = AsyncKicker(TASK, self._queue, {})
        self._ticker: AsyncKicker[Any, Any] = AsyncKicker(TICK_TASK, self._queue, {})
        self._redis = Redis.from_url(broker.url, socket_connect_timeout=5, socket_timeout=SOCKET_TIMEOUT)
        self._workers = 0
        self.reachability.on_offline = lambda why: self._spawn(self._tell_offline(why))
        self._reader: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._closing = False
        self._spawned: set[asyncio.Future[None]] = set()
        self._connected = asyncio.Event()

    async def __aenter__(self) -> BrokerChecker:
        await super().__aenter__()
        try:
            await self._queue.startup()
            await self._publish_run()
            self._workers = await self._live_workers()
        except BROKER_GONE as exc:
            await self._close()
            raise InputError(f"cannot reach the broker {self.broker.shown}: {exc}") from None
        self._connected.set()
        self._reader = asyncio.create_task(self._read_replies())
        self._keeper = asyncio.create_task(self._keep_up())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing = True
        others = [task for task in (self._keeper, *self._spawned, *self._publishing.values()) if task is not None]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._reader is not None:
            # Not cancelled: cancelling a blocking BLPOP can leave redis-py waiting for ever
            # (redis-py issue #2028); the reader sees `_closing` when its BLPOP times out.
            await asyncio.gather(self._reader, return_exceptions=True)
        with suppress(*BROKER_GONE):
            await self._redis.delete(*self.keys.all)  # the workers drop what is left of the run
        await self._close()
        await super().__aexit__(exc_type, exc, tb)

    async def _close(self) -> None:
        with suppress(Exception):
            await self._queue.shutdown()
        await self._redis.aclose()

    async def ask(self, handle: str, platform: Platform) -> Result:
        offline = self.reachability.offline
        if offline is not None:
            return _unanswered(handle, platform, Reason.OFFLINE, offline)
        reply = await self._call(CHECK, handle, platform)
        if isinstance(reply, Failed):
            return _unanswered(handle, platform, Reason.UNEXPECTED_RESPONSE, f"internal error in a worker: {reply.why}")
        assert isinstance(reply, Result)
        return reply

    async def profile_page(self, handle: str, platform: Platform) -> ProfilePage | None:
        reply = await self._call(PAGE, handle, platform)
        return reply if isinstance(reply, ProfilePage) else None

    async def _call(self, kind: str, handle: str, platform: Platform) -> Any:
        request = next(self._ids)
        pending = self._pending[request] = _Pending(asyncio.get_running_loop().create_future(), kind, handle, platform)
        host = str(self._host_of(platform))
        self.reachability.sending(host)
        try:
            await self._send(request, pending)
            return await pending.future
        finally:
            self._pending.pop(request, None)
            self.reachability.settled(host)

    async def _send(self, request: int, pending: _Pending) -> None:
        """Queue the request, waiting for the broker while it is gone (the reader reconnects)."""
        while True:
            await self._connected.wait()
            try:
                await self._publish(pending.platform)
                await self._kicker.kiq(
                    self.keys.run, request, pending.kind, pending.handle, pending.platform.id, pending.tried, 0
                )
                return
            except BROKER_GONE:
                await asyncio.sleep(0.5)  # the reader sees the broker gone too, and waits for it

    async def _publish(self, platform: Platform) -> None:
        """Put a platform in the run's keys once, before the first request that names it."""
        publishing = self._publishing.get(platform.id)
        if publishing is None or (publishing.done() and publishing.exception() is not None):
            publishing = self._publishing[platform.id] = asyncio.ensure_future(self._put_platform(platform))
        await asyncio.shield(publishing)

    async def _put_platform(self, platform: Platform) -> None:
        sealed = self._seal.dumps(platform)
        await self._redis.hset(self.keys.platforms, platform.id, sealed)
        self._published[platform.id] = sealed

    async def _publish_run(self) -> None:
        """The run's keys: its options, and the platforms already sent."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.options, self._seal.dumps(self.options), ex=RUN_TTL)
            if self._published:
                pipe.hset(self.keys.platforms, mapping=self._published)  # type: ignore[arg-type]
            pipe.expire(self.keys.platforms, RUN_TTL)
            pipe.expire(self.keys.replies, RUN_TTL)
            if (offline := self.reachability.offline) is not None:
                pipe.set(self.keys.offline, offline, ex=RUN_TTL)
            await pipe.execute()

    async def _read_replies(self) -> None:
        """Wait for one reply, then take every reply that is there (a round trip for each
        would cost the coordinator more than the rest of a request); until the run closes."""
        while not self._closing:
            try:
                popped = await self._redis.blpop([self.keys.replies], timeout=1)
            except BROKER_GONE as exc:
                await self._reconnect(exc)
                continue
            if popped is None:
                continue
            self._take_sealed(popped[1])
            try:
                more = cast(list[bytes] | None, await self._redis.lpop(self.keys.replies, REPLIES_AT_ONCE))
            except BROKER_GONE as exc:
                await self._reconnect(exc)
                continue
            for sealed in more or ():
                self._take_sealed(sealed)

    def _take_sealed(self, sealed: bytes | str) -> None:
        try:
            message = self._seal.loads(sealed)
        except Tampered as exc:
            log.warning("%s", exc)
            return
        self._take(message)

    async def _reconnect(self, cause: BaseException) -> None:
        """Wait for the broker, put the run back, and send again what was not answered."""
        self._connected.clear()
        log.warning("the broker %s is gone (%s): waiting for it", self.broker.shown, cause)
        while True:
            await asyncio.sleep(1.0)
            if self._closing:
                return
            try:
                await self._queue.startup()
                await self._publish_run()
                break
            except BROKER_GONE:
                continue
        log.warning("the broker %s is back: %d requests sent again", self.broker.shown, len(self._pending))
        self._connected.set()
        for request, pending in list(self._pending.items()):
            if not pending.future.done():
                self._spawn(self._send(request, pending))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    def _take(self, message: tuple[Any, ...]) -> None:
        kind, worker = message[0], message[1]
        if kind == HEARD:
            self.reachability.heard_from()
        elif kind == RESOLVED:
            self.reachability.name_resolved(message[2])
        elif kind == UNREACHED:
            # Every live worker must have reached nothing: a worker whose proxy is down fails at
            # once on every host, and would otherwise decide for all before the others answer.
            self.reachability.worker_reached_nothing(worker, message[2], workers=self._workers)
        elif kind == REPLY:
            request, reply = message[2], message[3]
            pending = self._pending.get(request)
            if pending is None or pending.future.done():
                return  # answered already: one answer per request
            if self._hand_on(pending, worker, reply):
                self._spawn(self._send(request, pending))
            else:
                pending.future.set_result(reply)

    def _hand_on(self, pending: _Pending, worker: str, reply: Any) -> bool:
        """Whether a worker's failure to reach the host should go to another worker instead."""
        if not (isinstance(reply, Result) and reply.reason is not None and reply.reason.unreachable):
            return False
        if self.reachability.offline is not None:
            return False
        if worker not in pending.tried:  # else a copy sent before it was handed on (redelivered)
            pending.tried.append(worker)
        return len(pending.tried) < self._workers

    async def _tell_offline(self, why: str) -> None:
        with suppress(*BROKER_GONE):
            await self._redis.set(self.keys.offline, why, ex=RUN_TTL)
        for pending in self._pending.values():  # nothing more will be answered in time
            if not pending.future.done() and pending.kind == CHECK:
                pending.future.set_result(_unanswered(pending.handle, pending.platform, Reason.OFFLINE, why))

    async def _keep_up(self) -> None:
        """Renew the run's keys, count the live workers and say so when none is listening; and
        while requests wait, a tick for the workers each second: taskiq-redis's stream broker
        claims a dead worker's requests only after a read that brought something, so a quiet
        queue would leave them where they are."""
        quiet_since = renewed = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            try:
                if self._pending:
                    await self._ticker.kiq()
                if time.monotonic() - renewed < RENEW:
                    continue
                renewed = time.monotonic()
                await self._publish_run()
                self._workers = await self._live_workers()
            except BROKER_GONE:
                continue  # the reader waits for the broker
            if self._workers or not self._pending:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > NO_WORKER_WARNING:
                log.warning(
                    "no worker is taking checks from %s: start one with `handlecheck worker --broker URL`",
                    self.broker.shown,
                )
                quiet_since = time.monotonic()

    async def _live_workers(self) -> int:
        return int(await self._redis.zcount(WORKERS, time.time() - RUN_TTL / 2, "+inf"))


def _unanswered(handle: str, platform: Platform, reason: Reason, why: str) -> Result:
    return Result(handle, platform.id, Verdict.UNKNOWN, reason, None, None, 0, why, datetime.now(UTC))
