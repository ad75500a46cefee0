"""The network edge: one polite HTTP session (`http`), each host's budget (`politeness`),
host lookups (`resolver`), the offline decision (`reachability`), fair queues across hosts
(`scheduler`), and the checker that turns (handle, platform) pairs into Results (`checker`)."""

from __future__ import annotations

from .checker import Checker
from .http import FetchError, HttpClient, HttpOptions

__all__ = ["Checker", "FetchError", "HttpClient", "HttpOptions"]
