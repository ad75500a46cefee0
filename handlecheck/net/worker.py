"""A check worker: a process of its own that asks the platforms a `PooledChecker` sends it.

    python -m handlecheck.net.worker      (started by `pool.PooledChecker`, never by hand)

It reads frames on stdin and writes frames on stdout (see `frames`): first the run's
HttpOptions and log level, then platforms (each once, before its first request) and requests,
each answered by one frame with its id: a Result for a check, a ProfilePage (or None) for a
profile page. It exits when stdin closes: its coordinator finished, stopped or died. Ctrl-C in a
terminal reaches the whole process group; the coordinator decides what a stop means, so the
worker ignores SIGINT and ends with its stdin.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from .. import aio
from ..models import Platform
from .checker import Checker
from .frames import (
    CHECK,
    HEARD,
    OFFLINE,
    PAGE,
    PLATFORM,
    RESOLVED,
    UNREACHED,
    Failed,
    open_stdio,
    read_frame,
    write_frame,
)
from .reachability import Reachability


class Relayed(Reachability):
    """A worker's view of the network: it weighs what it alone saw as a run does (waiting for
    the hosts it is asking, see `reachability`), but it tells its coordinator instead of acting
    (HEARD at its first answer, RESOLVED for each name it looked up, UNREACHED with the cause
    when it would decide that nothing is reachable) and never stops asking by itself: its hosts
    are only some of the run's, and another worker may be hearing from its own. The coordinator
    decides for every worker (`Reachability.suspect`), and says so (OFFLINE). A broker's workers
    relay theirs the same way."""

    def __init__(self, tell: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__()
        self._tell = tell
        self.concluded: str | None = None

    def heard_from(self) -> None:
        if not self.answered:
            self._tell((HEARD,))
        super().heard_from()

    def name_resolved(self, name: str) -> None:
        if name.lower() not in self.resolved:
            self._tell((RESOLVED, name))
        super().name_resolved(name)

    def conclude(self, why: str) -> None:
        if self.concluded is None:
            self.concluded = why
            self._tell((UNREACHED, why))


async def serve() -> None:
    reader, writer = await open_stdio()
    options, level = await read_frame(reader)
    logging.basicConfig(level=level, format="handlecheck: worker: %(levelname)s: %(message)s", stream=sys.stderr)
    platforms: dict[str, Platform] = {}
    running: set[asyncio.Task[None]] = set()
    async with Checker(options) as checker:
        checker.reachability = Relayed(lambda frame: write_frame(writer, frame))

        async def answer(request_id: int, kind: str, handle: str, platform: Platform) -> None:
            reply: Any
            try:
                if kind == CHECK:
                    reply = await checker.ask(handle, platform)
                else:
                    reply = await checker.profile_page(handle, platform)
            except Exception as exc:  # a bug must not leave the coordinator waiting for ever
                reply = Failed(f"{type(exc).__name__}: {exc}")
            write_frame(writer, (request_id, reply))

        while (frame := await read_frame(reader)) is not None:
            if frame[0] == PLATFORM:
                platforms[frame[1].id] = frame[1]
                continue
            if frame[0] == OFFLINE:
                checker.go_offline(frame[1])
                continue
            request_id, kind, handle, platform_id = frame
            if kind not in (CHECK, PAGE):
                raise ValueError(f"unknown request {kind!r}")
            task = asyncio.create_task(answer(request_id, kind, handle, platforms[platform_id]))
            running.add(task)
            task.add_done_callback(running.discard)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()
        for task in running:
            task.cancel()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    aio.tune_garbage_collector()
    with suppress(ConnectionError):  # the coordinator is gone: nobody to answer
        aio.run(serve())


if __name__ == "__main__":
    main()
