"""The network edge: one polite HTTP session (`http`), each host's budget (`politeness`),
host lookups (`resolver`), the offline decision (`reachability`), fair queues across hosts
(`scheduler`), the checker that turns (handle, platform) pairs into Results (`checker`), and
the same checker over worker processes, each host in one of them (`pool`, `worker`, `frames`)."""

from __future__ import annotations

from .checker import Checker
from .http import HttpClient, HttpOptions
from .sending import FetchError

__all__ = ["Checker", "FetchError", "HttpClient", "HttpOptions"]
