"""HTTP with manners: one aiohttp session, global and per-host limits, retries, caps.

Failures never escape as aiohttp exceptions: `fetch` returns an HttpResponse or raises
`FetchError`, whose `reason` is the Reason a result will carry.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Hashable
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, replace
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from ..errors import InputError
from ..models import HttpRequest, HttpResponse, RateLimit, Reason
from ..rules.addresses import url_refusal
from ..text import printable
from .politeness import BudgetSpent, HostLimiter, SharedTurns, host_key, parse_retry_after
from .reachability import Failure, Reachability
from .redirects import REDIRECTS, UnusableRedirect, may_follow, next_request
from .resolver import CachingResolver
from .sending import CONNECT_TIMEOUT, FetchError, not_sent, send

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
)
log = logging.getLogger(__name__)  # -v: each retry and each host slowed down
DOUBT_POLL = 0.05
"""How often a request held while the run learns whether it is offline looks again (seconds)."""


def socket_budget() -> int:
    """The default overall cap: 256 requests in flight, fewer where the process may open few
    files (macOS allows 256 by default, and each request holds a socket)."""
    try:
        import resource
    except ImportError:  # Windows
        return 256
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 256 if soft == resource.RLIM_INFINITY else max(16, min(256, soft // 4))


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """How hard and how long to try. Defaults suit a one-shot scan from a laptop."""

    concurrency: int = field(default_factory=lambda: socket_budget())
    """Requests in flight overall: a cap on sockets and memory, not a throttle (each host has
    its own budget, and a fair scheduler serves the hosts in turn)."""
    host_concurrency: int = 2
    host_interval: float = 0.0
    timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.25
    max_retry_after: float = 60.0
    rate_limit_budget: float = 60.0
    """Seconds a host that answers 429 may keep the run waiting before its checks end
    `rate_limited`."""
    max_body_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    proxy: str | None = None
    user_agent: str = DEFAULT_USER_AGENT
    resolver: AbstractResolver | None = None
    """Host name lookups (default: the system's); every lookup is cached for the run."""
    allow_link_local: bool = False
    """Send requests to link-local and cloud metadata addresses too (see `rules.addresses`)."""

    def __post_init__(self) -> None:
        problem = proxy_problem(self.proxy) if self.proxy is not None else None
        if problem is not None:
            raise InputError(f"proxy {printable(self.proxy or '', 100)!r}: {problem}")

    @property
    def host_policy(self) -> RateLimit:
        return RateLimit(self.host_concurrency, self.host_interval)


def proxy_problem(url: str) -> str | None:
    """Why `url` cannot be the HTTP proxy every request goes through, or None. A proxy that is
    no URL would turn every check into an `unknown` no rule explains, so it is refused first."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what checks it
    except ValueError as exc:
        return f"not a usable URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "an HTTP proxy's URL starts with http:// or https:// (e.g. http://127.0.0.1:3128)"
    if not parts.hostname:
        return "the URL names no host (e.g. http://127.0.0.1:3128)"
    return None


class _RetryableStatus(Exception):
    """A 5xx answer: worth asking again, and the answer to return if not."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(f"status {response.status}")
        self.response = response


class HttpClient:
    """Use as `async with HttpClient(options) as client: await client.fetch(request)`."""

    def __init__(self, options: HttpOptions | None = None, *, shared: SharedTurns | None = None) -> None:
        """`shared`: the hosts' budgets this process shares with others (a broker's workers)."""
        self.options = options or HttpOptions()
        self._shared = shared
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(self.options.concurrency)
        self._limiters: dict[str, HostLimiter] = {}
        self.reachability = Reachability()
        self._resolver = CachingResolver(
            self.options.resolver,
            allow_link_local=self.options.allow_link_local,
            on_resolved=lambda name: self.reachability.name_resolved(name),  # whichever reachability is in use
        )
        self._stopped = False

    async def __aenter__(self) -> HttpClient:
        options = self.options
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=options.concurrency, limit_per_host=0, resolver=self._resolver, use_dns_cache=False
            ),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={
                "User-Agent": options.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
                "Accept-Language": "en-US,en;q=0.9",
            },
            timeout=aiohttp.ClientTimeout(
                total=options.timeout, sock_read=options.timeout, sock_connect=min(options.timeout, CONNECT_TIMEOUT)
            ),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._resolver.close()

    def slots(self, key: Hashable) -> int:
        """Checks to keep going for the host behind a politeness key: four times the requests
        it takes in flight now (see `limiter`), so that while some checks wait for a retry the
        host's slots go to the next ones (queued in the limiter, in order); the limiter still
        holds the requests themselves to the host's budget."""
        limiter = self._limiters.get(key) if isinstance(key, str) else None
        return 4 * (limiter.slots if limiter is not None else self.options.host_concurrency)

    def limiter(self, key: str, policy: RateLimit | None) -> HostLimiter:
        """The limiter for a host key; when platforms on one host disagree the stricter wins."""
        wanted = policy or self.options.host_policy
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = HostLimiter(wanted, self.options.rate_limit_budget)
        else:
            limiter.tighten(wanted)
        return limiter

    def _should_retry(self, exc: BaseException) -> bool:
        return isinstance(exc, _RetryableStatus) or (isinstance(exc, FetchError) and exc.retryable)

    def _wait(self, state: RetryCallState) -> float:
        # The first attempt ran before tenacity started counting, and its retry waited
        # `_backoff(0)`: tenacity's attempt n is retry n + 1.
        return self._backoff(state.attempt_number)

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: a random wait up to backoff * 2^attempt, capped
        (the first retry waits up to `backoff`, the second up to twice that, ...)."""
        return random.uniform(0, min(10.0, self.options.backoff * 2**attempt))

    async def fetch(
        self,
        request: HttpRequest,
        policy: RateLimit | None = None,
        *,
        host: str | None = None,
        redirect_hosts: tuple[str, ...] = (),
    ) -> HttpResponse:
        """Send `request` politely, and follow its redirects (unless it says not to), each hop
        as a request of its own: paced by its host's limiter, retried on its own. A redirect
        to another host than the request's (or one of `redirect_hosts`) is not followed: the
        redirect is returned, marked `foreign_redirect` (see `redirects`). A URL whose host
        `rules.addresses` refuses is never sent (FetchError `unsafe_request`).

        Network errors and 5xx are retried (`retries` times, with backoff); a 429, or a 5xx
        with Retry-After, slows the host down and the request waits its turn again, without
        spending a retry, until the host's time budget is spent. `host` is the politeness key
        (see `host_key`); by default the request URL's own host. A 429 or 5xx that outlasts
        all that is returned (the rules judge it `unknown`); any other failure raises
        FetchError.
        """
        key = host or host_key(request.url)
        origin = request.url
        self._refuse_unsafe(request.url)
        response = await self._polite(request, key, self.limiter(key, policy))
        hops = 0
        while request.redirects and response.status in REDIRECTS and (location := response.header("location")):
            if hops == self.options.max_redirects:
                raise FetchError(Reason.TOO_MANY_REDIRECTS, f"more than {self.options.max_redirects} redirects")
            try:
                following = next_request(request, response, location)
            except UnusableRedirect as exc:
                raise FetchError(Reason.UNEXPECTED_RESPONSE, str(exc)) from None
            if not may_follow(origin, following.url, redirect_hosts):
                return replace(response, redirected=hops > 0, foreign_redirect=following.url)
            self._refuse_unsafe(following.url)
            request = following
            hop_key = host_key(request.url)
            hop_limiter = self.limiter(hop_key, policy if hop_key == key else None)
            response = await self._polite(request, hop_key, hop_limiter)
            hops += 1
        return replace(response, redirected=True) if hops else response

    def _refuse_unsafe(self, url: str) -> None:
        refusal = url_refusal(url, allow_link_local=self.options.allow_link_local)
        if refusal is not None:
            raise FetchError(Reason.UNSAFE_REQUEST, not_sent(refusal))

    async def _polite(self, request: HttpRequest, key: str, limiter: HostLimiter) -> HttpResponse:
        """One hop: retries for network errors and 5xx, the host's pace for 429s."""
        while True:
            response = await self._retrying(request, key, limiter)
            if not _asks_to_slow_down(response):
                if response.status < 500:
                    limiter.answered()
                return response
            retry_after = parse_retry_after(response.header("retry-after"))
            if retry_after is not None and retry_after > self.options.max_retry_after:
                limiter.close(retry_after, *self._gone_for(response.status, retry_after))
                return response
            if limiter.budget_spent():
                return response
            limiter.slowed_down(retry_after, response.status)
            if self._shared is not None:
                await self._shared.pause(key, retry_after if retry_after is not None else limiter.current.interval)
            log.info("%s answered %d: slowed to a request every %.1fs", key, response.status, limiter.current.interval)

    async def _retrying(self, request: HttpRequest, key: str, limiter: HostLimiter) -> HttpResponse:
        """One answer to `request`, asking again after a network error or a plain 5xx."""
        try:
            return await self._attempt(request, key, limiter)
        except (_RetryableStatus, FetchError) as first:
            if not self._should_retry(first) or self.options.retries == 0:
                if isinstance(first, _RetryableStatus):
                    return first.response
                raise
            self._log_retry(request, first, 1)
            await asyncio.sleep(self._backoff(0))
        # Most requests succeed at once; tenacity takes over only for the retries.
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.options.retries),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            reraise=True,
            before_sleep=lambda state: self._log_retry(request, state.outcome, state.attempt_number + 1),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(request, key, limiter)
        except _RetryableStatus as final:
            return final.response
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _log_retry(self, request: HttpRequest, cause: BaseException | Future[object] | None, number: int) -> None:
        why = cause.exception() if isinstance(cause, Future) else cause
        log.info("retry %d of %d for %s: %s", number, self.options.retries, printable(request.url, 200), why)

    def _shared_turn(self, key: str, limiter: HostLimiter) -> AbstractAsyncContextManager[None]:
        return nullcontext() if self._shared is None else self._shared.turn(key, limiter.policy)

    def _refusal(self, limiter: HostLimiter) -> FetchError | None:
        """Why the request must not be sent: the run is offline, or the host closed."""
        offline = self.reachability.offline
        if offline is not None:
            return FetchError(Reason.OFFLINE, offline)
        closed = limiter.refusal()
        return FetchError(*closed) if closed is not None else None

    async def _attempt(self, request: HttpRequest, key: str, limiter: HostLimiter) -> HttpResponse:
        if self._session is None:
            raise RuntimeError("HttpClient used outside 'async with'")
        await self._while_in_doubt()
        # Asked before waiting for a slot (no wait for nothing) and again once it is ours (the
        # host may have been closed, or the run found offline, while this request waited).
        if refusal := self._refusal(limiter):
            raise refusal
        self.reachability.sending(key)  # from here, an offline decision waits for this request
        try:
            async with limiter, self._global, self._shared_turn(key, limiter):
                if refusal := self._refusal(limiter):
                    raise refusal
                response = await self._observed(self._session, request, key, limiter)
        except BudgetSpent as exc:
            raise FetchError(Reason.RATE_LIMITED if exc.status == 429 else Reason.SERVER_ERROR, str(exc)) from None
        finally:
            self.reachability.settled(key)
            if (offline := self.reachability.offline) is not None:  # decided as this request ended
                self.stop_asking(offline)
        if 500 <= response.status <= 599 and not _asks_to_slow_down(response):
            raise _RetryableStatus(response)
        return response

    async def _while_in_doubt(self) -> None:
        """Hold a new request while the run waits to learn whether it is offline (see
        `reachability`): a machine without a network is not asked for a lookup per platform."""
        while self.reachability.awaited and self.reachability.offline is None:
            await asyncio.sleep(DOUBT_POLL)

    async def _observed(
        self, session: aiohttp.ClientSession, request: HttpRequest, key: str, limiter: HostLimiter
    ) -> HttpResponse:
        """`send`, and what its outcome says about the network: any answer, even a reset
        after connecting, proves there is one; a failure to look up or connect is a vote for
        offline; a plain timeout says neither. A host whose name did not resolve is closed for
        the run (the resolver remembers the failure): its waiting requests fail at once."""
        try:
            options = self.options
            response = await send(session, request, options.timeout, options.max_body_bytes, options.proxy)
        except FetchError as exc:
            if exc.unreached is Failure.DNS and "*" not in key:  # one name, not `{{handle}}.host`'s many
                limiter.close(math.inf, exc.reason, exc.detail)
                limiter.interrupt()
            if exc.unreached is not None:
                self.reachability.could_not_reach(key, exc.unreached, exc.detail)
                if (offline := self.reachability.offline) is not None:  # `_attempt` stops the run asking
                    raise FetchError(Reason.OFFLINE, offline) from None
            elif exc.reason is not Reason.TIMEOUT:
                self.reachability.heard_from()
            raise
        self.reachability.heard_from()
        return response

    def stop_asking(self, why: str) -> None:
        """The run is offline: every lookup and every wait for a turn ends now (once: each
        request in flight then ends here too)."""
        if self._stopped:
            return
        self._stopped = True
        self._resolver.give_up(why)
        for limiter in self._limiters.values():
            limiter.interrupt()

    def _gone_for(self, status: int, retry_after: float) -> tuple[Reason, str]:
        reason = Reason.RATE_LIMITED if status == 429 else Reason.SERVER_ERROR
        return (
            reason,
            f"the host answered {status} with Retry-After {retry_after:.0f}s, more than the "
            f"{self.options.max_retry_after:g}s a run waits: not asked again this run",
        )


def _asks_to_slow_down(response: HttpResponse) -> bool:
    """A 429, or a 5xx that says when to come back: the host is pacing us, not failing."""
    return response.status == 429 or (500 <= response.status <= 599 and response.header("retry-after") is not None)
