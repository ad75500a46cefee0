"""One Chrome DevTools Protocol connection over a websocket (aiohttp), shared by many targets.

Commands carry ids unique on the connection; a command for a page names its flat `sessionId`
(Target.attachToTarget with flatten). Events are delivered to a queue per session. When the
connection ends (the browser exited or crashed), every waiting command fails with `CdpClosed`
and every session queue receives `None`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import aiohttp

Event = tuple[str, dict[str, Any]]


class CdpClosed(Exception):
    """The DevTools connection ended: the browser exited or crashed."""


class CdpError(Exception):
    """The browser answered a command with an error."""


class Connection:
    """Use `await Connection.open(url)`; `close()` when done."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._queues: dict[str | None, asyncio.Queue[Event | None]] = {}
        self.closed = False
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str) -> Connection:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, max_msg_size=0)  # screenshots can be tens of megabytes
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def send(self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None) -> Any:
        """Run one command and return its `result`."""
        if self.closed:
            raise CdpClosed(method)
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await self._ws.send_str(json.dumps(message))
            return await future
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise CdpClosed(method) from exc
        finally:
            self._pending.pop(message_id, None)

    def events(self, session_id: str) -> asyncio.Queue[Event | None]:
        """The queue that receives the events of `session_id` from now on (`None`: connection gone)."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        if self.closed:
            queue.put_nowait(None)
        self._queues[session_id] = queue
        return queue

    def forget(self, session_id: str) -> None:
        self._queues.pop(session_id, None)

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    break
                self._dispatch(json.loads(frame.data))
        except (ConnectionError, aiohttp.ClientError, ValueError):
            pass
        finally:
            self.closed = True
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(CdpClosed("connection closed"))
            for queue in self._queues.values():
                queue.put_nowait(None)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            future = self._pending.get(message["id"])
            if future is None or future.done():
                return
            if "error" in message:
                future.set_exception(CdpError(str(message["error"].get("message", message["error"]))))
            else:
                future.set_result(message.get("result", {}))
        elif "method" in message:
            queue = self._queues.get(message.get("sessionId"))
            if queue is not None:
                queue.put_nowait((message["method"], message.get("params", {})))

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, aiohttp.ClientError):
            await self._ws.close()
        self._reader.cancel()
        await asyncio.wait([self._reader])
        await self._session.close()
