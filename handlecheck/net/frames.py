"""The frames a coordinator and its check workers exchange over a pipe: a 4-byte length, then
a pickle. Only handlecheck's own processes ever read them (a worker's stdin is its
coordinator's pipe), so pickle's trust in its input is the trust a process has in its parent.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import sys
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct("!I")
CHECK, PAGE, PLATFORM = "check", "page", "platform"  # coordinator -> worker: requests, and what they ask
HEARD, UNREACHED = "heard", "unreached"  # worker -> coordinator: its first answer; it reached nothing (why)
RESOLVED = "resolved"  # worker -> coordinator: a host name that its lookup resolved
OFFLINE = "offline"  # coordinator -> worker: the run decided that nothing is reachable


@dataclass(frozen=True, slots=True)
class Failed:
    """A worker's answer to a request it could not serve (an internal error), not a verdict."""

    why: str


def encode(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_frame(writer: asyncio.StreamWriter, value: Any) -> None:
    writer.write(encode(value))


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next frame's value; None at the end of the stream (a frame cut short is the end too:
    the other side died while writing it)."""
    try:
        (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
        return pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None


async def open_stdio() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """This process's stdin and stdout as an asyncio stream pair (binary)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout.buffer)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer
