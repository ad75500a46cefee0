"""Many machines, one fleet: checks sent through a Redis broker to `handlecheck worker`s.

    handlecheck worker --broker redis://HOST:6379/0                    (on each machine)
    handlecheck scan --input brands.csv --broker redis://HOST:6379/0   (the coordinator)

taskiq (with taskiq-redis's stream broker) carries the requests: it is asyncio-native, as the
engine is, so one worker process keeps hundreds of checks in flight on one event loop, and
its Redis stream broker acknowledges a request only once it was answered, so a request whose
worker died is claimed by another (consumer groups and XAUTOCLAIM). `limits` (its Redis
storage) and redis-py's locks keep each host's budget for the whole fleet (`budget`).

These libraries are the `fleet` extra; this module imports them only when a fleet is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import InputError
from ..models import Platform, Result
from ..net.http import HttpOptions
from .wire import KEY_VARIABLE, Broker

if TYPE_CHECKING:
    from .coordinator import BrokerChecker

__all__ = ["KEY_VARIABLE", "Broker", "coordinator"]
MISSING = "the fleet needs its libraries: pip install 'handlecheck[fleet]'"


def coordinator(
    broker: Broker, options: HttpOptions | None, recall: Callable[[str, Platform], Result | None] | None
) -> BrokerChecker:
    """The Checker that sends a run's requests to the fleet (see `coordinator`)."""
    try:
        from .coordinator import BrokerChecker
    except ImportError as exc:
        raise InputError(f"{MISSING} ({exc.name} is not installed)") from None
    return BrokerChecker(options, broker=broker, recall=recall)
