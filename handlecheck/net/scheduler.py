"""Fair scheduling across hosts: a slow or paced host never holds a slot a fast one could use.

Work items wait in one queue per host. A host is served while it has items and a free slot
(its own politeness budget, which may change as the run learns the host's rate); hosts are
served in turn, so that none waits behind another's backlog. The overall number of items in
progress is a resource cap (sockets, memory), not a throttle: with it set high enough, a
run's wall time is the slowest host's own queue, the floor that politeness and latency leave.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable
from itertools import islice
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class FairScheduler(Generic[Item, Outcome]):
    """`async for outcome in FairScheduler(work, host_of, slots, running=..., lookahead=...).run(items)`.

    `host_of(item)` names an item's host; `slots(host)` says how many of its items may be in
    progress now; `lookahead` bounds how many items are read ahead of those in progress, so
    that memory stays flat however long `items` is."""

    def __init__(
        self,
        work: Callable[[Item], Awaitable[Outcome]],
        host_of: Callable[[Item], Hashable],
        slots: Callable[[Hashable], int],
        *,
        running: int,
        lookahead: int,
    ) -> None:
        self._work = work
        self._host_of = host_of
        self._slots = slots
        self._running = running
        self._lookahead = lookahead
        self._queues: dict[Hashable, deque[Item]] = {}
        self._ready: deque[Hashable] = deque()  # hosts with items and a free slot, in turn
        self._is_ready: set[Hashable] = set()
        self._active: Counter[Hashable] = Counter()
        self._tasks: dict[asyncio.Task[Outcome], Hashable] = {}
        self._done: deque[asyncio.Task[Outcome]] = deque()  # ended, in the order they ended
        self._any_done = asyncio.Event()
        self._buffered = 0

    async def run(self, items: Iterable[Item]) -> AsyncGenerator[Outcome, None]:
        source = iter(items)
        exhausted = False
        try:
            while True:
                wanted = self._lookahead - self._buffered
                if not exhausted and wanted > 0:
                    read = 0
                    for item in islice(source, wanted):
                        self._enqueue(item)
                        read += 1
                    exhausted = read < wanted
                self._start()
                if not self._tasks:
                    return  # nothing runs, so every host with items was in line: none are left
                if not self._done:
                    self._any_done.clear()
                    await self._any_done.wait()
                done = list(self._done)
                self._done.clear()
                for task in done:
                    self._finished(self._tasks.pop(task))
                for task in done:
                    yield task.result()
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _enqueue(self, item: Item) -> None:
        host = self._host_of(item)
        queue = self._queues.get(host)
        if queue is None:
            queue = self._queues[host] = deque()
        queue.append(item)
        self._buffered += 1
        self._offer(host)

    def _offer(self, host: Hashable) -> None:
        """Put `host` in line if it has items and a free slot and is not in line already."""
        if host in self._is_ready or not self._queues.get(host):
            return
        if self._active[host] < self._slots(host):
            self._ready.append(host)
            self._is_ready.add(host)

    def _start(self) -> None:
        while len(self._tasks) < self._running and self._ready:
            host = self._ready.popleft()
            self._is_ready.discard(host)
            if self._active[host] >= self._slots(host):
                continue  # its budget shrank since it was put in line; back in line when one ends
            self._launch(host)
            self._offer(host)  # to the back of the line: hosts are served in turn

    def _launch(self, host: Hashable) -> None:
        queue = self._queues[host]
        item = queue.popleft()
        if not queue:
            del self._queues[host]
        self._buffered -= 1
        self._active[host] += 1
        task = asyncio.ensure_future(self._work(item))
        task.add_done_callback(self._ended)
        self._tasks[task] = host

    def _ended(self, task: asyncio.Task[Outcome]) -> None:
        """A task's end, noted as it happens: waiting on every running task at each turn
        (asyncio.wait) costs time in the number running, many times a second."""
        self._done.append(task)
        self._any_done.set()

    def _finished(self, host: Hashable) -> None:
        self._active[host] -= 1
        if not self._active[host]:
            del self._active[host]
        self._offer(host)
