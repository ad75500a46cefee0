"""A fleet worker: `handlecheck worker --broker redis://HOST:PORT` on each machine.

It takes requests from the fleet's queue (taskiq's receiver on the Redis stream), asks the
platforms through a Checker of its own per run (the run's HTTP options, this machine's
network and credentials), holds each host to the budget every worker shares in Redis (see
`budget`), and puts each answer on the run's reply list before the request is acknowledged.

- A request of a run whose keys are gone (its coordinator finished or died) is dropped.
- A worker never decides that a run is offline: it relays what it saw, as a pool's worker
  does (`net.worker.Relayed`), and obeys the coordinator's decision. A request the
  coordinator handed on because this worker could not reach the host (it lists this worker
  in `tried`) is put back in the queue for another worker, a few times at most.
- The broker gone (restarted, unreachable): each step of a request that needs the broker (the
  run's keys, a turn at a host, the answer) waits for it (`through_outages`), the listening
  loop takes the queue again once it is back, and what the broker lost meanwhile is the
  coordinator's to send again: it keeps the first answer to each request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import Redis
from taskiq.acks import AcknowledgeType
from taskiq.kicker import AsyncKicker
from taskiq.receiver import Receiver
from taskiq_redis import RedisStreamBroker

from ..models import Platform
from ..net.checker import Checker
from ..net.frames import Failed
from ..net.http import HttpOptions
from ..net.worker import Relayed
from .budget import SharedBudget
from .outages import BROKER_GONE, through_outages
from .queue import task_broker
from .wire import (
    CHECK,
    REDELIVER_AFTER,
    REPLY,
    RUN_TTL,
    TASK,
    TASKS,
    TICK_TASK,
    WORKERS,
    Broker,
    RunKeys,
    Tampered,
)

log = logging.getLogger(__name__)
HEARTBEAT = 5.0
RECHECK_RUN = 1.0
"""Seconds a worker trusts what it read of a run (alive? offline?) before reading it again."""
IDLE_RUN = 30.0
MAX_BOUNCES = 16
"""Times a worker puts back a request it was handed on from, before answering it itself: the
queue gives the request to any worker, so with three a request reaches one of the other two
within 16 tries but for a chance of 1 in 43 million; each try costs one Redis round trip."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Run:
    keys: RunKeys
    checker: Checker
    platforms: dict[str, Platform] = field(default_factory=dict)
    read_at: float = 0.0
    used_at: float = 0.0
    in_flight: int = 0
    """Requests of the run this worker is answering: its checker is closed only when none is."""


class FleetWorker:
    """The task a worker runs for each request, and the runs it is serving."""

    def __init__(self, broker: Broker, redis: Redis, kicker: AsyncKicker[Any, Any], *, proxy: str | None) -> None:
        self.name = worker_name()
        self._broker = broker
        self._seal = broker.seal
        self._redis = redis
        self._kicker = kicker
        self._proxy = proxy
        self._runs: dict[str, asyncio.Task[_Run | None]] = {}
        self._budget: SharedBudget | None = None
        self._telling: set[asyncio.Task[None]] = set()

    async def ask(
        self, run: str, request: int, kind: str, handle: str, platform: str, tried: list[str], bounces: int
    ) -> None:
        """One request of a run: answered on the run's reply list (or passed on, or dropped)."""
        if self.name in tried and bounces < MAX_BOUNCES:
            await through_outages(lambda: self._kicker.kiq(run, request, kind, handle, platform, tried, bounces + 1))
            return
        state = await through_outages(lambda: self._run(run))
        if state is None:
            return  # the run is over (or lost by the broker: its coordinator sends the request again)
        state.in_flight += 1
        try:
            await self._answer(state, request, kind, handle, platform)
        finally:
            state.in_flight -= 1
            state.used_at = time.monotonic()

    async def _answer(self, state: _Run, request: int, kind: str, handle: str, platform: str) -> None:
        reply: Any
        try:
            target = await through_outages(lambda: self._platform(state, platform))
            if target is None:
                return
            if kind == CHECK:
                reply = await state.checker.ask(handle, target)
            else:
                reply = await state.checker.profile_page(handle, target)
        except Exception as exc:  # a bug must not leave the coordinator waiting for ever
            log.error("internal error answering %s on %s: %r", handle, platform, exc)
            reply = Failed(f"{type(exc).__name__}: {exc}")
        await through_outages(lambda: self._reply(state.keys, (REPLY, self.name, request, reply)))

    async def _reply(self, keys: RunKeys, message: tuple[Any, ...]) -> None:
        """On the run's reply list, which lives no longer than the run's other keys."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.rpush(keys.replies, self._seal.dumps(message))
            pipe.expire(keys.replies, RUN_TTL)
            await pipe.execute()

    async def _platform(self, state: _Run, platform_id: str) -> Platform | None:
        """The run's platform; None when the broker lost the run (restarted empty) before its
        coordinator put it back: the coordinator sends the request again then. The platform and
        the run's options are read in one transaction: read apart, the coordinator could put the
        run back between the two, and a platform it is putting back would look missing."""
        known = state.platforms.get(platform_id)
        if known is None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hget(state.keys.platforms, platform_id)
                pipe.exists(state.keys.options)
                sealed, alive = await pipe.execute()
            if sealed is None:
                if not alive:
                    return None
                raise LookupError(f"the run has no platform {platform_id!r}")
            known = state.platforms[platform_id] = self._seal.loads(sealed)
        return known

    async def _run(self, run: str) -> _Run | None:
        """The run's state, read again when older than RECHECK_RUN; None when the run is over."""
        opening = self._runs.get(run)
        if opening is None or (opening.done() and opening.exception() is not None):  # opening failed: try again
            opening = self._runs[run] = asyncio.ensure_future(self._open(RunKeys(run)))
        state = await asyncio.shield(opening)
        if state is None:
            return None
        if time.monotonic() - state.read_at > RECHECK_RUN:
            state.read_at = time.monotonic()
            alive, offline = await self._redis.mget(state.keys.options, state.keys.offline)
            if alive is None:  # over, or lost by a broker restarted empty until its coordinator puts it back:
                return None  # either way its checker stays open for the requests in flight, closed once idle
            if offline is not None and state.checker.reachability.offline is None:
                state.checker.go_offline(offline.decode() if isinstance(offline, bytes) else offline)
        return state

    async def _open(self, keys: RunKeys) -> _Run | None:
        sealed = await self._redis.get(keys.options)
        if sealed is None:
            return None
        try:
            options: HttpOptions = self._seal.loads(sealed)
        except Tampered:
            log.error("run %s: its options were not sealed with this fleet's key: its requests are dropped", keys.run)
            return None
        if self._proxy is not None:  # this machine's way out
            options = replace(options, proxy=self._proxy)
        if self._budget is None:
            self._budget = SharedBudget(self._redis, self._broker.url, lease=options.timeout + 5)
        checker = Checker(options, shared=self._budget)
        await checker.__aenter__()
        checker.reachability = Relayed(lambda event: self._tell(keys, event))
        now = time.monotonic()
        return _Run(keys, checker, read_at=now, used_at=now)

    def _tell(self, keys: RunKeys, event: tuple[Any, ...]) -> None:
        """What this worker saw of the network, for the run's coordinator to weigh."""
        message = (event[0], self.name, *event[1:])
        task = asyncio.ensure_future(through_outages(lambda: self._reply(keys, message)))
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    async def _close(self, run: str) -> None:
        opening = self._runs.pop(run, None)
        if opening is not None and opening.done() and not opening.exception() and (state := opening.result()):
            await state.checker.__aexit__(None, None, None)

    async def keep_up(self) -> None:
        """The worker's heartbeat (the coordinators count live workers by it), and the runs
        it served closed once idle."""
        while True:
            with suppress(*BROKER_GONE):
                now = time.time()
                await self._redis.zadd(WORKERS, {self.name: now})
                await self._redis.zremrangebyscore(WORKERS, 0, now - RUN_TTL)
            for run, opening in list(self._runs.items()):
                if not opening.done() or opening.exception() is not None:
                    continue
                state = opening.result()
                if state is None or (not state.in_flight and time.monotonic() - state.used_at > IDLE_RUN):
                    await self._close(run)
            await asyncio.sleep(HEARTBEAT)

    async def close(self) -> None:
        for run in list(self._runs):
            with suppress(Exception):
                await self._close(run)
        with suppress(*BROKER_GONE):
            await self._redis.zrem(WORKERS, self.name)


async def serve(
    broker: Broker, *, tasks: int = TASKS, redeliver_after: float = REDELIVER_AFTER, proxy: str | None = None
) -> None:
    """Serve the fleet's queue until cancelled; a broker that goes away is waited for."""
    for name in ("taskiq", "taskiq_redis"):
        logging.getLogger(name).setLevel(logging.WARNING)
    queue = task_broker(broker, redeliver_after=redeliver_after)
    queue.is_worker_process = True
    redis = Redis.from_url(broker.url, socket_connect_timeout=5)
    worker = FleetWorker(broker, redis, AsyncKicker(TASK, queue, {}), proxy=proxy)

    answering: set[asyncio.Task[Any]] = set()

    async def ask(
        run: str, request: int, kind: str, handle: str, platform: str, tried: list[str], bounces: int
    ) -> None:
        """A request's task; cancelled when the worker stops, it ends quietly (else taskiq logs
        the cancellation as an error with a traceback) and leaves the request unacknowledged."""
        task = asyncio.current_task()
        assert task is not None
        answering.add(task)
        try:
            await worker.ask(run, request, kind, handle, platform, tried, bounces)
        except asyncio.CancelledError:
            if not queue.stopping:
                raise
        finally:
            answering.discard(task)

    async def tick() -> None:
        return None

    queue.register_task(ask, task_name=TASK)  # a function of its own: taskiq renames what it registers
    queue.register_task(tick, task_name=TICK_TASK)
    heartbeat = asyncio.create_task(worker.keep_up())
    try:
        with ThreadPoolExecutor(max_workers=1) as executor:
            await _listen(queue, executor, tasks, broker)
    finally:
        queue.stopping = True
        heartbeat.cancel()
        for task in list(answering):
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
        await worker.close()
        await redis.aclose()
        with suppress(Exception):
            await queue.shutdown()


async def _listen(queue: RedisStreamBroker, executor: ThreadPoolExecutor, tasks: int, broker: Broker) -> None:
    lost = False
    while True:
        try:
            await queue.startup()
            if lost:
                log.warning("the broker %s is back: taking checks again", broker.shown)
                lost = False
            receiver = Receiver(
                queue, executor, validate_params=False, max_async_tasks=tasks, run_startup=False,
                ack_type=AcknowledgeType.WHEN_EXECUTED,
            )  # fmt: skip
            await receiver.listen(asyncio.Event())
        except* BROKER_GONE as failure:
            if not lost:
                log.warning("the broker %s is gone (%s): waiting for it", broker.shown, failure.exceptions[0])
                lost = True
            await asyncio.sleep(1.0)
