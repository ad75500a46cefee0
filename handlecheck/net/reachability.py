"""Is there a network at all? Decided early, from the first hosts a run tries.

A machine with no network (no DNS, no route, a dead proxy) would otherwise spend a timeout
and its retries on every platform and end minutes later with a table of `unknown`. A run
that has heard nothing from any host while the first `hosts_needed` hosts it tried all
failed to connect stops asking: every request still to come fails at once with reason
`offline` and a description that names the cause. One answer from any host, of any kind
(even a 500 or a reset after connecting), proves the network works, and then the rule
never trips for the rest of the run: a dead platform is only a dead platform.
"""

from __future__ import annotations

from collections import Counter
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

    def heard_from(self) -> None:
        """Some host answered: the network works."""
        self.answered = True

    def could_not_reach(self, host: str, failure: Failure, detail: str) -> None:
        if self.answered or self.offline is not None:
            return
        self.failed.setdefault(host, (failure, detail))
        if len(self.failed) >= self.hosts_needed:
            self.offline = self._describe()

    def _describe(self) -> str:
        counts = Counter(failure for failure, _ in self.failed.values())
        cause, _ = counts.most_common(1)[0]
        host, (_, detail) = next((h, f) for h, f in self.failed.items() if f[0] is cause)
        detail = detail.removeprefix(f"{cause.value}: ")
        return (
            f"offline: the first {len(self.failed)} hosts tried all failed before any answered: "
            f"{cause.value} ({_hostname(host)}: {detail})"
        )


def _hostname(host_key: str) -> str:
    """`https://api.example.com:443` -> `api.example.com`."""
    return host_key.partition("://")[2].rsplit(":", 1)[0]
