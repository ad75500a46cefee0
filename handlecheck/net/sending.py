"""Sending one request over an aiohttp session, and naming how it failed.

`send` is the only place that turns aiohttp's exceptions into a FetchError, whose `reason` is
the Reason a result will carry (see `http` for the manners around it: limits, retries, pace).
"""

from __future__ import annotations

import re
import ssl

import aiohttp
from yarl import URL

from ..models import HttpRequest, HttpResponse, Reason
from ..rules.addresses import Refusal
from .bodies import read_capped, undecodable_coding, undecoded_coding, unreadable
from .reachability import Failure
from .resolver import RefusedAddress

CONNECT_TIMEOUT = 10.0


class FetchError(Exception):
    """A request that produced no usable response. `unreached` says how it failed when no
    server said anything at all (no name, no connection), which is what tells a machine
    without a network from one dead platform."""

    def __init__(
        self, reason: Reason, detail: str, *, retryable: bool = False, unreached: Failure | None = None
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retryable = retryable
        self.unreached = unreached


async def send(
    session: aiohttp.ClientSession, request: HttpRequest, timeout: float, max_body_bytes: int, proxy: str | None
) -> HttpResponse:
    """One request, one answer: every way it can fail is a FetchError saying how (and whether
    a retry could help, and whether any server said anything at all)."""
    try:
        async with session.request(
            request.method,
            URL(request.url, encoded=True),
            headers=dict(request.headers),
            data=request.body,
            allow_redirects=False,  # followed by `fetch`, one polite hop at a time
            proxy=proxy,
        ) as resp:
            body, truncated = await read_capped(resp, max_body_bytes)
            if body and (coding := undecoded_coding(resp.headers.get("Content-Encoding"))) is not None:
                raise FetchError(Reason.UNEXPECTED_RESPONSE, unreadable(coding))
            return HttpResponse(
                status=resp.status,
                url=str(resp.url),
                headers=tuple(resp.headers.items()),
                body=body,
                truncated=truncated,
                cookies=tuple((name, morsel.value) for name, morsel in resp.cookies.items()),
            )
    except aiohttp.ConnectionTimeoutError:
        raise FetchError(
            Reason.TIMEOUT,
            f"no connection within {min(timeout, CONNECT_TIMEOUT):g}s",
            retryable=True,
            unreached=Failure.CONNECT_TIMEOUT,
        ) from None
    except TimeoutError:
        raise FetchError(Reason.TIMEOUT, f"no answer within {timeout:g}s", retryable=True) from None
    except aiohttp.InvalidURL as exc:
        raise FetchError(Reason.UNEXPECTED_RESPONSE, f"invalid URL: {exc}") from None
    except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
        raise FetchError(Reason.TLS, f"TLS failure: {_short(exc)}") from None
    except aiohttp.ClientProxyConnectionError as exc:
        raise FetchError(
            Reason.NETWORK, f"proxy unreachable: {_short(exc)}", retryable=True, unreached=Failure.PROXY
        ) from None
    except aiohttp.ClientConnectorDNSError as exc:
        if isinstance(exc.os_error, RefusedAddress):
            raise FetchError(Reason.UNSAFE_REQUEST, not_sent(exc.os_error.refusal)) from None
        # A name that does not resolve will not resolve on a retry a second later.
        raise FetchError(Reason.NETWORK, f"DNS lookup failed: {_short(exc.os_error)}", unreached=Failure.DNS) from None
    except aiohttp.ClientConnectorError as exc:
        raise FetchError(
            Reason.NETWORK, f"cannot connect: {_short(exc.os_error)}", retryable=True, unreached=Failure.CONNECT
        ) from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        if (coding := undecodable_coding(exc)) is not None:
            # The same bytes would come back: not worth a retry.
            raise FetchError(Reason.UNEXPECTED_RESPONSE, unreadable(coding)) from None
        # A server answered, but not in HTTP (a bad status line, a header without end), or cut its
        # answer short after the headers: that server was reached, so it is no sign of a machine
        # offline. A body cut short may come whole on a second try; a bad status line will not.
        if isinstance(exc, aiohttp.ClientResponseError):
            raise FetchError(Reason.SERVER_ERROR, f"the answer is not readable HTTP: {_short(exc)}") from None
        if isinstance(exc, aiohttp.ClientPayloadError):
            raise FetchError(Reason.SERVER_ERROR, f"the answer was cut short: {_cut(exc)}", retryable=True) from None
        raise FetchError(Reason.NETWORK, f"{type(exc).__name__}: {_short(exc)}", retryable=True) from None


def _short(exc: BaseException) -> str:
    """An exception in one line: aiohttp's parser errors quote the bad line with line breaks,
    real or written out as backslash-n inside a repr."""
    text = re.sub(r"(?:\\n|\s)+", " ", str(exc)).strip() or type(exc).__name__
    return text[:200]


def _cut(exc: aiohttp.ClientPayloadError) -> str:
    """How much of the body came, when aiohttp says ('received 12 of 10000 bytes')."""
    counted = re.search(r"received \d+ of \d+ bytes", str(exc))
    return counted.group(0) if counted else _short(exc)


def not_sent(refusal: Refusal) -> str:
    """The evidence of a request refused before it was sent."""
    hint = " (--allow-link-local sends it)" if refusal.link_local else ""
    return f"{refusal}: not sent{hint}"
