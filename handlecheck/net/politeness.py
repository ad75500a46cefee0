"""Politeness towards one host: how many requests in flight, how far apart they start, and
how that changes when the host says "too many requests".

A host's budget starts from the strictest platform file entry on it (or the run's default)
and is then learnt, AIMD-style, from its answers: a 429 (or a 5xx with Retry-After) halves
the rate actually achieved and drops to one request in flight; each answer that follows
wins back a tenth of that halved rate, and a run of them a slot in flight, never past what
the file allows. A Retry-After is obeyed to the second. A host that asks for a longer pause than the
run waits is closed for the rest of that pause.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from collections import deque
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from ..models import RateLimit, Reason
from ..rules import PLACEHOLDER

SLOWEST_GAP = 0.05
"""The shortest gap between starts that a host which answered 429 is slowed to at first."""
LONGEST_GAP = 10.0
"""The longest gap between starts that 429s without Retry-After slow a host to."""
SPEED_UP_AFTER = 8
"""Answers in a row, after a 429, that win back one request in flight."""
_RECENT_STARTS = 8


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


class SharedTurns(Protocol):
    """A host's budget shared with other processes, on other machines too (see
    `broker.budget`): a request holds one of the host's turns, across all of them, while it
    is sent; a 429 pauses the host for all of them. Each process's own `HostLimiter` still
    paces what it sends within that."""

    def turn(self, host: str, policy: RateLimit) -> AbstractAsyncContextManager[None]: ...

    async def pause(self, host: str, seconds: float) -> None: ...


class BudgetSpent(Exception):
    """The host has kept the run waiting with 429s (or 503s asking to wait) for longer than its
    budget: the request is not sent (it would have to wait past the budget for its turn)."""

    def __init__(self, status: int, budget: float) -> None:
        super().__init__(f"the host kept answering {status} (slow down) for more than the {budget:g}s budget")
        self.status = status


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


class HostLimiter:
    """`async with limiter:` around each request to the host; `slowed_down` and `answered`
    after it. `policy` is what the platform files allow; `current` what the host allows now."""

    def __init__(self, policy: RateLimit, budget: float = 60.0) -> None:
        self.policy = policy
        self.current = policy
        self.budget = budget
        self.rate_limited_since: float | None = None
        self._in_flight = 0
        self._changed = asyncio.Condition()
        self._next_start = 0.0
        self._starts: deque[float] = deque(maxlen=_RECENT_STARTS)
        self._streak = 0
        self._rate_step = 0.0
        self._slowed_at: float | None = None
        self._closed_until = 0.0
        self._closed_because: tuple[Reason, str] | None = None
        self._interrupted = asyncio.Event()
        self._slowed_by = 429

    def tighten(self, policy: RateLimit) -> None:
        """A second platform on the same host asks for less: the stricter wins, at once."""
        self.policy = _stricter(self.policy, policy)
        self.current = _stricter(self.current, self.policy)

    @property
    def slots(self) -> int:
        """Requests this host takes in flight now."""
        return self.current.concurrency

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < self.current.concurrency)
            now = asyncio.get_running_loop().time()
            start = max(now, self._next_start)
            since = self.rate_limited_since
            if since is not None and start > since + self.budget:
                raise BudgetSpent(self._slowed_by, self.budget)
            self._in_flight += 1
            self._next_start = start + self.current.interval
            self._starts.append(start)
        try:
            if start > now:
                await self._sleep(start - now)
        except BaseException:
            await self.__aexit__()
            raise

    async def _sleep(self, seconds: float) -> None:
        """Wait for this request's turn, or less if the run is stopping (see `interrupt`)."""
        try:
            async with asyncio.timeout(seconds):
                await self._interrupted.wait()
        except TimeoutError:
            pass

    def interrupt(self) -> None:
        """Stop every wait for a turn now and from now on: the run has decided to send nothing
        more (it is offline), and each waiting request should learn so at once."""
        self._interrupted.set()

    async def __aexit__(self, *exc_info: object) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def slowed_down(self, retry_after: float | None, status: int = 429) -> None:
        """The host answered 429 (or a 503 with Retry-After): halve the rate it was getting, one
        request in flight, and wait as long as it asked (else one gap) before the next start.
        `status` is what the host said, for the evidence once its budget is spent. A 429 that
        comes within one gap of the last slow-down answers a request sent before it, in the same
        burst: it is not a sign that the slower pace is still too fast, and does not halve it
        again."""
        now = asyncio.get_running_loop().time()
        self._slowed_by = status
        if self.rate_limited_since is None:
            self.rate_limited_since = now
        same_burst = self._slowed_at is not None and now - self._slowed_at < self.current.interval
        if not same_burst:
            gap = min(max(2 * self.current.interval, 2 * self._achieved_gap(), SLOWEST_GAP), LONGEST_GAP)
            self.current = RateLimit(1, gap)
            self._rate_step = 0.1 / gap
            self._slowed_at = now
        self._streak = 0
        wait = self.current.interval if retry_after is None else retry_after
        self._next_start = max(self._next_start, now + wait)

    def answered(self) -> None:
        """The host answered without complaint: win back some rate, and after a run of such
        answers a slot in flight, up to what the platform files allow."""
        self.rate_limited_since = None  # an answer: a later 429 starts a new budget
        if self.current == self.policy:
            return
        self._streak += 1
        interval = self.current.interval
        if interval > self.policy.interval:
            interval = max(self.policy.interval, 1 / (1 / interval + self._rate_step))
            if interval < SLOWEST_GAP / 10:
                interval = self.policy.interval
        concurrency = self.current.concurrency
        if self._streak >= SPEED_UP_AFTER and concurrency < self.policy.concurrency:
            concurrency += 1
            self._streak = 0
        self.current = RateLimit(concurrency, interval)

    def budget_spent(self) -> bool:
        """Whether this host has answered nothing but 429s, since its last real answer, for
        longer than its budget."""
        since = self.rate_limited_since
        return since is not None and asyncio.get_running_loop().time() - since > self.budget

    def _achieved_gap(self) -> float:
        """The mean gap between the last few starts: the rate the host was really getting."""
        if len(self._starts) < 2:
            return 0.0
        return (self._starts[-1] - self._starts[0]) / (len(self._starts) - 1)

    def close(self, seconds: float, reason: Reason, detail: str) -> None:
        """Send nothing more to this host for `seconds`: it asked for a longer pause than a run
        waits. Every request meanwhile fails at once, instead of each one asking again and
        being told the same."""
        self._closed_until = max(self._closed_until, asyncio.get_running_loop().time() + seconds)
        self._closed_because = (reason, detail)

    def refusal(self) -> tuple[Reason, str] | None:
        """Why this host must not be asked now, if it must not."""
        if self._closed_because is not None and asyncio.get_running_loop().time() < self._closed_until:
            return self._closed_because
        return None


def _stricter(a: RateLimit, b: RateLimit) -> RateLimit:
    return RateLimit(min(a.concurrency, b.concurrency), max(a.interval, b.interval))
