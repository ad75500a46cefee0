"""Is there a network at all? Decided early, from the first hosts a run tries.

A machine with no network (no DNS, no route, a dead proxy) would otherwise spend a timeout
and its retries on every platform and end minutes later with a table of `unknown`. A run
that has heard nothing from any host while the first `hosts_needed` hosts it tried all
failed to connect stops asking: every request still to come fails at once with reason
`offline` and a description that names the cause. One answer from any host, of any kind
(even a 500 or a reset after connecting), proves the network works, and then the rule
never trips for the rest of the run: a dead platform is only a dead platform.

Dead hosts fail fast (a refused connection, a name that does not exist) and live ones take a
round trip to answer, so the first failures come before the first answers on a network that
works. The decision therefore waits for the hosts that were being asked when the threshold was
reached (`sending` and `settled` say which) and whose names resolved (`name_resolved`): it is
made only if none of them answers. A lookup still waiting is not waited for: on a machine
offline it would not end.

A pool's or a fleet's coordinator weighs its workers the same way (`worker_reached_nothing`):
each worker says when it, by what it alone saw, reached nothing, and once every worker has, the
run waits for the hosts the coordinator is still asking past their lookup (`suspect`), as one
process does. `on_offline` hears of the decision, once.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import StrEnum

HOSTS_NEEDED = 6


class Failure(StrEnum):
    """How a request failed before any server said anything."""

    DNS = "DNS lookup failed"
    CONNECT = "connection failed"
    CONNECT_TIMEOUT = "connection timed out"
    PROXY = "proxy unreachable"


@dataclass
class Reachability:
    hosts_needed: int = HOSTS_NEEDED
    answered: bool = False
    failed: dict[str, tuple[Failure, str]] = field(default_factory=dict)
    offline: str | None = None
    """Why the run has decided that nothing is reachable, or None while it has not."""
    asking: Counter[str] = field(default_factory=Counter)
    """Requests in flight per host, as `sending` and `settled` count them."""
    awaited: set[str] | None = None
    """The hosts still being asked when the threshold was reached, past their name's lookup:
    the decision waits for them."""
    resolved: set[str] = field(default_factory=set)
    """The host names that a lookup of the run resolved."""
    suspected: str | None = None
    """Why a coordinator's workers all reached nothing (`suspect`)."""
    reached_nothing: dict[Hashable, str] = field(default_factory=dict)
    """A coordinator's workers that reached no host, and why (`worker_reached_nothing`)."""
    on_offline: Callable[[str], None] = field(default=lambda why: None, repr=False)
    """Called once, with why, when the run is decided offline."""

    def name_resolved(self, name: str) -> None:
        self.resolved.add(name.lower())

    def past_lookup(self, host: str) -> bool:
        """Whether a request to `host` (a host key) is past its name's lookup: an IP literal
        (aiohttp asks no resolver for one) or a name that resolved."""
        name = hostname(host).lower()
        try:
            ipaddress.ip_address(name.strip("[]"))
            return True
        except ValueError:
            return name in self.resolved

    def sending(self, host: str) -> None:
        self.asking[host] += 1

    def settled(self, host: str) -> None:
        """A request to `host` ended (answered, failed or timed out)."""
        self.asking[host] -= 1
        if self.asking[host] <= 0:
            del self.asking[host]
            if self.awaited is not None and host in self.awaited:
                self.awaited.discard(host)
                self._decide()

    def heard_from(self) -> None:
        """Some host answered: the network works."""
        self.answered = True
        self.awaited = None

    def could_not_reach(self, host: str, failure: Failure, detail: str) -> None:
        if self.answered or self.offline is not None:
            return
        self.failed.setdefault(host, (failure, detail))
        if self.awaited is None and len(self.failed) >= self.hosts_needed:
            self.awaited = {other for other in self.asking if other not in self.failed and self.past_lookup(other)}
        if self.awaited is not None:
            self.awaited.discard(host)
            self._decide()

    def worker_reached_nothing(self, worker: Hashable, why: str, workers: int) -> None:
        """A coordinator's `worker` found, by what it alone saw, that it reaches nothing: once
        `workers` of them have, the run is suspected offline (`suspect`)."""
        if self.answered or self.offline is not None:
            return
        self.reached_nothing.setdefault(worker, why)
        if len(self.reached_nothing) >= max(1, workers):
            self.suspect(next(iter(self.reached_nothing.values())))

    def suspect(self, why: str) -> None:
        """A coordinator's every worker reached nothing (`why`): the run is offline unless one of
        the hosts it is still asking past their lookup answers."""
        if self.answered or self.offline is not None or self.awaited is not None:
            return
        self.suspected = why
        self.awaited = {host for host in self.asking if self.past_lookup(host)}
        self._decide()

    def _decide(self) -> None:
        if not self.answered and self.offline is None and self.awaited == set():
            self.conclude(self.suspected or self._describe())

    def conclude(self, why: str) -> None:
        """Nothing is reachable: the run stops asking (a check worker's only tells, see
        `net.worker.Relayed`)."""
        self.offline = why
        self.on_offline(why)

    def _describe(self) -> str:
        counts = Counter(failure for failure, _ in self.failed.values())
        cause, _ = counts.most_common(1)[0]
        host, (_, detail) = next((h, f) for h, f in self.failed.items() if f[0] is cause)
        detail = detail.removeprefix(f"{cause.value}: ")
        return (
            f"offline: the first {len(self.failed)} hosts tried all failed before any answered: "
            f"{cause.value} ({hostname(host)}: {detail})"
        )


def hostname(host_key: str) -> str:
    """`https://api.example.com:443` -> `api.example.com`."""
    return host_key.partition("://")[2].rsplit(":", 1)[0]
