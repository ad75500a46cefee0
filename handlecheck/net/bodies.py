"""Reading a response body: at most the byte cap, and only in a content coding this client
decodes (gzip and deflate; br and zstd only where their libraries are installed, since the
client asks for no other). A server that ignores Accept-Encoding sends a body no rule can read:
that is an unexpected response, and asking again would only bring the same bytes."""

from __future__ import annotations

import re

import aiohttp
from aiohttp.http_exceptions import ContentEncodingError

READ_CHUNK = 64 * 1024
_DECODED = frozenset({"", "identity", "gzip", "deflate", "br", "zstd"})
"""Codings aiohttp decodes, when it can: for br and zstd without their library it fails while
reading the headers (see `undecodable_coding`); any other coding it passes on undecoded."""
_NAMED_CODING = re.compile(r"content-encoding: (?:[\w.-]+ \()?([\w.-]+)", re.IGNORECASE)


def unreadable(coding: str) -> str:
    """The evidence for a body in a coding this client cannot decode."""
    return f"the body came in Content-Encoding {coding[:40]!r}, which this client cannot decode"


def undecoded_coding(content_encoding: str | None) -> str | None:
    """The coding of a body that was passed on undecoded (one this client does not know, or
    several stacked), from its Content-Encoding header; None for a body that was decoded."""
    coding = (content_encoding or "").strip().lower()
    return None if coding in _DECODED else coding


def undecodable_coding(exc: BaseException) -> str | None:
    """The coding an aiohttp failure names when it is a failure to decode a body, else None."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContentEncodingError):
            named = _NAMED_CODING.search(cause.message)
            return named.group(1) if named else "?"
        cause = cause.__cause__
    return None


async def read_capped(resp: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """Read at most `cap` bytes; a larger body is cut, never read whole. Returns the bytes and
    whether the body was cut."""
    body = bytearray()
    async for chunk in resp.content.iter_chunked(READ_CHUNK):
        room = cap - len(body)
        if len(chunk) > room:
            body += chunk[:room]
            return bytes(body), True
        body += chunk
    return bytes(body), False
