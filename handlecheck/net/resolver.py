"""Host name lookups for one run: each name asked once, failures remembered, few at a time.

The system resolver (getaddrinfo in a thread) honours /etc/hosts, nsswitch, VPN split DNS and
mDNS, which an agency's machine may rely on, so it stays the default. What it lacks for a
scan of hundreds of hosts is manners: a burst of lookups piles up in the thread pool (measured
5-10 s each on a machine without DNS), and a name that does not resolve is asked again for
every handle. `CachingResolver` wraps any aiohttp resolver (the system one, aiodns, or one a
test injects) and adds what a run needs:

- one lookup per (host, port, family) per run, shared by every request that waits for it;
- failures are remembered too, so a dead name costs one lookup, not one per handle;
- at most `parallel` lookups at once, so that the first answers arrive early instead of all
  arriving late together;
- a lookup that hangs fails after `LOOKUP_TIMEOUT`, so that a machine whose DNS never answers
  is told apart from a slow platform;
- addresses that `rules.addresses` refuses (link-local, cloud metadata) are dropped from the
  answer, and a name that resolves to nothing else fails with `RefusedAddress`: a name cannot
  lead a request where a URL could not.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ..rules.addresses import Refusal, host_refusal

LOOKUPS_AT_ONCE = 8
LOOKUP_TIMEOUT = 8.0
"""A lookup that has not answered by then fails like a name that does not exist."""


class RefusedAddress(OSError):
    """A name that resolves only to addresses a request may not go to."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class CachingResolver(AbstractResolver):
    """`inner` is the resolver asked (default: aiohttp's system resolver, created and closed
    here); an injected one is left open for its owner."""

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        *,
        parallel: int = LOOKUPS_AT_ONCE,
        allow_link_local: bool = False,
        on_resolved: Callable[[str], None] = lambda name: None,
    ) -> None:
        """`on_resolved(name)` hears of each name whose lookup succeeded (see `reachability`)."""
        self._inner = inner
        self._on_resolved = on_resolved
        self._allow_link_local = allow_link_local
        self._owns_inner = inner is None
        self._parallel = parallel
        self._slots: asyncio.Semaphore | None = None
        self._answers: dict[tuple[str, int, int], asyncio.Future[list[ResolveResult]]] = {}
        self._lookups: set[asyncio.Task[None]] = set()
        self._given_up: str | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._given_up is not None:
            raise OSError(self._given_up)
        key = (host.lower(), port, int(family))
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = asyncio.get_running_loop().create_future()
            lookup = asyncio.create_task(self._lookup(answer, host, port, family))
            self._lookups.add(lookup)
            lookup.add_done_callback(self._lookups.discard)
        return await asyncio.shield(answer)

    async def _lookup(
        self, answer: asyncio.Future[list[ResolveResult]], host: str, port: int, family: socket.AddressFamily
    ) -> None:
        if self._inner is None:
            self._inner = DefaultResolver()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._parallel)
        try:
            async with self._slots:
                async with asyncio.timeout(LOOKUP_TIMEOUT):
                    found = await self._inner.resolve(host, port, family)
        except TimeoutError:
            _settle(answer, error=OSError(f"no answer from DNS within {LOOKUP_TIMEOUT:g}s for {host}"))
        except OSError as exc:
            _settle(answer, error=exc)
        else:
            allowed = self._allow_link_local
            kept = [result for result in found if host_refusal(result["host"], allow_link_local=allowed) is None]
            if found and not kept:
                why = f"{host} resolves only to link-local or cloud metadata addresses ({found[0]['host']})"
                _settle(answer, error=RefusedAddress(Refusal(why, link_local=True)))
            else:
                _settle(answer, found=kept)
                self._on_resolved(host.lower())

    def give_up(self, why: str) -> None:
        """Fail every lookup, waiting or to come, at once with `why` (the run is offline)."""
        self._given_up = why
        for answer in self._answers.values():
            _settle(answer, error=OSError(why))
        for lookup in self._lookups:
            lookup.cancel()

    async def close(self) -> None:
        self.give_up("the run is over")
        if self._owns_inner and self._inner is not None:
            await self._inner.close()


def _settle(
    answer: asyncio.Future[list[ResolveResult]],
    *,
    found: list[ResolveResult] | None = None,
    error: OSError | None = None,
) -> None:
    if answer.done():
        return
    if error is not None:
        answer.set_exception(error)
        answer.exception()  # a failure that nobody waits for any more is not an error to log
    else:
        answer.set_result(found or [])
