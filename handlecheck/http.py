"""HTTP with manners: one aiohttp session, global and per-host limits, retries, caps.

Failures never escape as aiohttp exceptions: `fetch` returns an HttpResponse or raises
`FetchError`, whose `reason` is the Reason a result will carry.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)
from yarl import URL

from .models import HttpRequest, HttpResponse, RateLimit, Reason
from .rules import PLACEHOLDER

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
)
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """How hard and how long to try. Defaults suit a one-shot scan from a laptop."""

    concurrency: int = 32
    host_concurrency: int = 2
    host_interval: float = 0.0
    timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 60.0
    max_body_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    proxy: str | None = None
    user_agent: str = DEFAULT_USER_AGENT

    @property
    def host_policy(self) -> RateLimit:
        return RateLimit(self.host_concurrency, self.host_interval)


class FetchError(Exception):
    """A request that produced no usable response."""

    def __init__(self, reason: Reason, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retryable = retryable


class _RetryableStatus(Exception):
    """A 429 or 5xx answer: worth asking again, and the answer to return if not."""

    def __init__(self, response: HttpResponse, retry_after: float | None) -> None:
        super().__init__(response.status)
        self.response = response
        self.retry_after = retry_after


class HostLimiter:
    """At most `concurrency` requests in flight to one host, starts at least `interval` apart.

    The policy can be tightened while requests are in flight (a second platform on the same
    host asks for less); it never loosens.
    """

    def __init__(self, policy: RateLimit) -> None:
        self.policy = policy
        self._in_flight = 0
        self._changed = asyncio.Condition()
        self._next_start = 0.0
        self._closed_until = 0.0
        self._closed_because: FetchError | None = None

    def tighten(self, policy: RateLimit) -> None:
        self.policy = RateLimit(
            min(policy.concurrency, self.policy.concurrency), max(policy.interval, self.policy.interval)
        )

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < self.policy.concurrency)
            self._in_flight += 1
            now = asyncio.get_running_loop().time()
            start = max(now, self._next_start)
            self._next_start = start + self.policy.interval
        try:
            if start > now:
                await asyncio.sleep(start - now)
        except BaseException:
            await self.__aexit__()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._changed.notify()

    def pause(self, seconds: float) -> None:
        """Hold back every later request to this host (the host asked us to, with Retry-After)."""
        self._next_start = max(self._next_start, asyncio.get_running_loop().time() + seconds)

    def close(self, seconds: float, because: FetchError) -> None:
        """Send nothing more to this host for `seconds`: it asked for a longer pause than a run
        waits. Every request meanwhile fails at once with `because`, instead of each one
        asking again and being told the same."""
        self._closed_until = max(self._closed_until, asyncio.get_running_loop().time() + seconds)
        self._closed_because = because

    def refusal(self) -> FetchError | None:
        """Why this host must not be asked now, if it must not."""
        if self._closed_because is not None and asyncio.get_running_loop().time() < self._closed_until:
            return self._closed_because
        return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@lru_cache(maxsize=4096)
def host_key(url_template: str) -> str:
    """The politeness key of a request: scheme, host and port of its URL *template*, with
    placeholders as `*`, so that `{{handle}}.example.com` is one host for every handle."""
    scheme, _, rest = url_template.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    authority = PLACEHOLDER.sub("*", authority).lower()
    if ":" not in authority:
        authority += ":443" if scheme.lower() == "https" else ":80"
    return f"{scheme.lower()}://{authority}"


class HttpClient:
    """Use as `async with HttpClient(options) as client: await client.fetch(request)`."""

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(self.options.concurrency)
        self._limiters: dict[str, HostLimiter] = {}

    async def __aenter__(self) -> HttpClient:
        options = self.options
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=options.concurrency, limit_per_host=0, ttl_dns_cache=300),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={
                "User-Agent": options.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
                "Accept-Language": "en-US,en;q=0.9",
            },
            timeout=aiohttp.ClientTimeout(total=options.timeout, sock_read=options.timeout),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def limiter(self, key: str, policy: RateLimit | None) -> HostLimiter:
        """The limiter for a host key; when platforms on one host disagree the stricter wins."""
        wanted = policy or self.options.host_policy
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = HostLimiter(wanted)
        else:
            limiter.tighten(wanted)
        return limiter

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, _RetryableStatus):
            return exc.retry_after is None or exc.retry_after <= self.options.max_retry_after
        return isinstance(exc, FetchError) and exc.retryable

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.options.max_retry_after)
        # The first attempt ran before tenacity started counting: shift the exponent by one.
        return self._backoff(state.attempt_number + 1)

    def _first_wait(self, exc: BaseException) -> float:
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.options.max_retry_after)
        return self._backoff(1)

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: a random wait up to backoff * 2^attempt, capped."""
        return random.uniform(0, min(10.0, self.options.backoff * 2**attempt))

    async def fetch(
        self, request: HttpRequest, policy: RateLimit | None = None, *, host: str | None = None
    ) -> HttpResponse:
        """Send `request` politely, retrying network errors, 429 and 5xx.

        `host` is the politeness key (see `host_key`); by default the request URL's own host.
        A 429 or 5xx that outlasts the retries is returned (the rules judge it `unknown`);
        any other failure raises FetchError.
        """
        limiter = self.limiter(host or host_key(request.url), policy)
        try:
            return await self._attempt(request, limiter)
        except (_RetryableStatus, FetchError) as first:
            if not self._should_retry(first) or self.options.retries == 0:
                if isinstance(first, _RetryableStatus):
                    return first.response
                raise
            await asyncio.sleep(self._first_wait(first))
        # Most requests succeed at once; tenacity takes over only for the retries.
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.options.retries),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(request, limiter)
        except _RetryableStatus as final:
            return final.response
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    async def _attempt(self, request: HttpRequest, limiter: HostLimiter) -> HttpResponse:
        if self._session is None:
            raise RuntimeError("HttpClient used outside 'async with'")
        # Asked before waiting for a slot (no wait for nothing) and again once it is ours (the
        # host may have been closed while this request waited).
        if refusal := limiter.refusal():
            raise refusal
        async with limiter, self._global:
            if refusal := limiter.refusal():
                raise refusal
            response = await self._send(self._session, request)
        if response.status == 429 or 500 <= response.status <= 599:
            retry_after = parse_retry_after(response.header("retry-after"))
            if retry_after is not None and retry_after > self.options.max_retry_after:
                limiter.close(retry_after, self._gone_for(response.status, retry_after))
            elif retry_after is not None:
                limiter.pause(retry_after)
            raise _RetryableStatus(response, retry_after)
        return response

    def _gone_for(self, status: int, retry_after: float) -> FetchError:
        reason = Reason.RATE_LIMITED if status == 429 else Reason.SERVER_ERROR
        return FetchError(
            reason,
            f"the host answered {status} with Retry-After {retry_after:.0f}s, more than the "
            f"{self.options.max_retry_after:g}s a run waits: not asked again this run",
        )

    async def _send(self, session: aiohttp.ClientSession, request: HttpRequest) -> HttpResponse:
        try:
            async with session.request(
                request.method,
                URL(request.url, encoded=True),
                headers=dict(request.headers),
                data=request.body,
                allow_redirects=request.redirects,
                max_redirects=self.options.max_redirects,
                proxy=self.options.proxy,
            ) as resp:
                body, truncated = await self._read(resp)
                return HttpResponse(
                    status=resp.status,
                    url=str(resp.url),
                    headers=tuple(resp.headers.items()),
                    body=body,
                    truncated=truncated,
                    cookies=tuple((name, morsel.value) for name, morsel in resp.cookies.items()),
                    redirected=bool(resp.history),
                )
        except TimeoutError:
            raise FetchError(Reason.TIMEOUT, f"no answer within {self.options.timeout:g}s", retryable=True) from None
        except aiohttp.TooManyRedirects:
            raise FetchError(Reason.TOO_MANY_REDIRECTS, f"more than {self.options.max_redirects} redirects") from None
        except aiohttp.NonHttpUrlRedirectClientError as exc:
            raise FetchError(Reason.UNEXPECTED_RESPONSE, f"redirect to a non-http URL: {exc}") from None
        except aiohttp.InvalidURL as exc:
            raise FetchError(Reason.UNEXPECTED_RESPONSE, f"invalid URL: {exc}") from None
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise FetchError(Reason.TLS, f"TLS failure: {_short(exc)}") from None
        except aiohttp.ClientProxyConnectionError as exc:
            raise FetchError(Reason.NETWORK, f"proxy unreachable: {_short(exc)}", retryable=True) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise FetchError(Reason.NETWORK, f"{type(exc).__name__}: {_short(exc)}", retryable=True) from None

    async def _read(self, resp: aiohttp.ClientResponse) -> tuple[bytes, bool]:
        """Read at most the byte cap; a larger body is cut, never read whole."""
        cap = self.options.max_body_bytes
        body = bytearray()
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            room = cap - len(body)
            if len(chunk) > room:
                body += chunk[:room]
                return bytes(body), True
            body += chunk
        return bytes(body), False


def _short(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip() or type(exc).__name__
    return text[:200]
