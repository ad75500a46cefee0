"""Checks on every core: a Checker whose requests run in worker processes, each host in
exactly one of them.

The coordinator (this process) keeps everything that is not a request: the fair queues across
hosts, the answers recalled from the history and shared within the run, the candidates, the
reports, and the only connection to the history, so every result is stored once, by one
writer. Each worker (`net.worker`) is a process with its own HTTP session; a host is given to
one worker for the whole run (round robin, in the order hosts are first asked), so a
platform's concurrency, its rate limit and what its 429s taught stay whole in one place: N
workers together never exceed a platform's budget, because only one of them ever asks it.

A worker that dies (killed, out of memory) is started again and sent again every request it
had not answered; a request is a read, so asking twice is harmless, and the coordinator takes
one answer per request. After `MAX_RESTARTS` deaths its requests end `unknown`, with why.

Whether the run is offline is decided here too, from what every worker saw (`_network`): a
worker whose hosts are all down does not stop asking them while another hears from its own.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sys
from collections.abc import Callable, Hashable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from ..models import Platform, Reason, Result, Verdict
from ..pages import ProfilePage
from .checker import Checker
from .frames import CHECK, HEARD, OFFLINE, PAGE, PLATFORM, RESOLVED, UNREACHED, Failed, encode, read_frame
from .http import HttpOptions

log = logging.getLogger(__name__)
MAX_RESTARTS = 3
STOP_GRACE = 5.0


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerGone(Exception):
    """A worker died too often to be trusted with its requests."""


@dataclass(frozen=True, slots=True)
class _Request:
    kind: str
    handle: str
    platform: Platform


class _Worker:
    """One worker process, its pipe, and the requests it has not answered yet."""

    def __init__(
        self,
        options: HttpOptions,
        environ: Mapping[str, str] | None,
        on_event: Callable[[_Worker, tuple[Any, ...]], None],
    ) -> None:
        self.options = options
        self.on_event = on_event  # what the worker saw of the network (see `PooledChecker._network`)
        self.offline: str | None = None  # the run's decision, told again to a restarted worker
        self.environ = dict(environ) if environ is not None else None
        self.pending: dict[int, tuple[asyncio.Future[Any], _Request]] = {}
        self.restarts = 0
        self._ids = itertools.count()
        self._closing = False
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._sent: set[str] = set()

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "handlecheck.net.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=self.environ,
        )  # fmt: skip
        self._sent = set()
        self.send((self.options, logging.getLogger().getEffectiveLevel()))
        if self.offline is not None:
            self.send((OFFLINE, self.offline))
        for request_id, (_, request) in self.pending.items():  # a restart: ask again what was not answered
            self._request(request_id, request)
        self._reading = asyncio.create_task(self._read(self._process))

    def send(self, value: Any) -> None:
        assert self._process is not None and self._process.stdin is not None
        if not self._process.stdin.is_closing():
            self._process.stdin.write(encode(value))

    def _request(self, request_id: int, request: _Request) -> None:
        if request.platform.id not in self._sent:
            self.send((PLATFORM, request.platform))
            self._sent.add(request.platform.id)
        self.send((request_id, request.kind, request.handle, request.platform.id))

    async def call(self, request: _Request) -> Any:
        if self.restarts > MAX_RESTARTS:
            raise WorkerGone(f"the worker process asking this host died {self.restarts} times")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = (future, request)
        self._request(request_id, request)
        assert self._process is not None and self._process.stdin is not None
        with suppress(ConnectionError):  # the worker died: `_read` starts another, and asks it again
            await self._process.stdin.drain()
        try:
            return await future
        finally:
            self.pending.pop(request_id, None)

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while (frame := await read_frame(process.stdout)) is not None:
            if isinstance(frame[0], str):
                self.on_event(self, frame)
                continue
            request_id, reply = frame
            waiting = self.pending.get(request_id)
            if waiting is not None and not waiting[0].done():
                waiting[0].set_result(reply)
        code = await process.wait()
        if self._closing:
            return
        self.restarts += 1
        log.warning("a check worker stopped (exit %s); %d requests sent again", code, len(self.pending))
        if self.restarts > MAX_RESTARTS:
            for future, _ in self.pending.values():
                if not future.done():
                    future.set_exception(WorkerGone(f"the worker process asking this host died {self.restarts} times"))
            return
        await self.start()

    async def stop(self) -> None:
        self._closing = True
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)


class PooledChecker(Checker):
    """A Checker over `workers` processes; use it as a Checker (`async with`)."""

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        workers: int,
        recall: Callable[[str, Platform], Result | None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(options, recall=recall, environ=environ)
        self._pool = [_Worker(self.options, environ, self._network) for _ in range(max(1, workers))]
        self._owner: dict[Hashable, _Worker] = {}
        self.reachability.on_offline = self._tell_offline

    async def __aenter__(self) -> PooledChecker:
        await super().__aenter__()
        try:
            await asyncio.gather(*(worker.start() for worker in self._pool))
        except BaseException:
            await self._stop_all()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stop_all()
        await super().__aexit__(exc_type, exc, tb)

    async def _stop_all(self) -> None:
        await asyncio.gather(*(worker.stop() for worker in self._pool), return_exceptions=True)

    def _network(self, worker: _Worker, event: tuple[Any, ...]) -> None:
        """A worker's report of the network. Once every worker given hosts has found, by what it
        alone saw, that it reaches nothing, the run is offline unless a host still being asked
        past its lookup answers (`Reachability.suspect`): a worker whose hosts are all down does
        not make the run offline while another hears from its own."""
        run = self.reachability
        if event[0] == HEARD:
            run.heard_from()
        elif event[0] == RESOLVED:
            run.name_resolved(event[1])
        elif event[0] == UNREACHED:  # every worker that reports was given hosts
            run.worker_reached_nothing(worker, event[1], workers=len(set(self._owner.values())))

    def _tell_offline(self, why: str) -> None:
        """The run is offline: every worker is told."""
        for worker in self._pool:
            worker.offline = why
            worker.send((OFFLINE, why))

    def _worker_for(self, platform: Platform) -> tuple[str, _Worker]:
        key = self._host_of(platform)
        owner = self._owner.get(key)
        if owner is None:
            owner = self._owner[key] = self._pool[len(self._owner) % len(self._pool)]
        return str(key), owner

    async def _call(self, request: _Request) -> Any:
        """`request` answered by the worker that owns its host; the run counts it as being asked."""
        host, worker = self._worker_for(request.platform)
        self.reachability.sending(host)
        try:
            return await worker.call(request)
        finally:
            self.reachability.settled(host)

    async def ask(self, handle: str, platform: Platform) -> Result:
        try:
            reply = await self._call(_Request(CHECK, handle, platform))
        except WorkerGone as gone:
            return _unanswered(handle, platform, str(gone))
        if isinstance(reply, Failed):
            return _unanswered(handle, platform, f"internal error in a check worker: {reply.why}")
        assert isinstance(reply, Result)
        return reply

    async def profile_page(self, handle: str, platform: Platform) -> ProfilePage | None:
        try:
            reply = await self._call(_Request(PAGE, handle, platform))
        except WorkerGone:
            return None
        return reply if isinstance(reply, ProfilePage) else None


def _unanswered(handle: str, platform: Platform, why: str) -> Result:
    return Result(handle, platform.id, Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE, None, None, 0, why,
                  datetime.now(UTC))  # fmt: skip
