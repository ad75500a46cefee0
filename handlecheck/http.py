"""HTTP with manners: one aiohttp session, global and per-host limits, retries, caps.

Failures never escape as aiohttp exceptions: `fetch` returns an HttpResponse or raises
`FetchError`, whose `reason` is the Reason a result will carry.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from yarl import URL

from .models import HttpRequest, HttpResponse, RateLimit, Reason

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
    """At most `concurrency` requests in flight to one host, starts at least `interval` apart."""

    def __init__(self, policy: RateLimit) -> None:
        self.policy = policy
        self._slots = asyncio.Semaphore(policy.concurrency)
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        try:
            async with self._lock:
                now = asyncio.get_running_loop().time()
                start = max(now, self._next_start)
                self._next_start = start + self.policy.interval
            if start > now:
                await asyncio.sleep(start - now)
        except BaseException:
            self._slots.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()

    def pause(self, seconds: float) -> None:
        """Hold back every later request to this host (the host asked us to, with Retry-After)."""
        self._next_start = max(self._next_start, asyncio.get_running_loop().time() + seconds)


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


def host_key(url: str) -> str:
    parsed = URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port}"


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

    def limiter(self, url: str, policy: RateLimit | None) -> HostLimiter:
        """The limiter of the URL's host; when platforms disagree the stricter policy wins."""
        key = host_key(url)
        wanted = policy or self.options.host_policy
        current = self._limiters.get(key)
        if current is None:
            current = self._limiters[key] = HostLimiter(wanted)
        elif wanted.concurrency < current.policy.concurrency or wanted.interval > current.policy.interval:
            stricter = RateLimit(
                min(wanted.concurrency, current.policy.concurrency),
                max(wanted.interval, current.policy.interval),
            )
            current = self._limiters[key] = HostLimiter(stricter)
        return current

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, _RetryableStatus):
            return exc.retry_after is None or exc.retry_after <= self.options.max_retry_after
        return isinstance(exc, FetchError) and exc.retryable

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.options.max_retry_after)
        return wait_random_exponential(multiplier=self.options.backoff, max=10)(state)

    async def fetch(self, request: HttpRequest, policy: RateLimit | None = None) -> HttpResponse:
        """Send `request` politely, retrying network errors, 429 and 5xx.

        A 429 or 5xx that outlasts the retries is returned (the rules judge it `unknown`);
        any other failure raises FetchError.
        """
        limiter = self.limiter(request.url, policy)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.options.retries + 1),
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
        async with limiter, self._global:
            response = await self._send(self._session, request)
        if response.status == 429 or response.status >= 500:
            retry_after = parse_retry_after(response.header("retry-after"))
            if retry_after is not None:
                limiter.pause(min(retry_after, self.options.max_retry_after))
            raise _RetryableStatus(response, retry_after)
        return response

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
