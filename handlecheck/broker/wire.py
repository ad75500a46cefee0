"""What a coordinator and the workers of a broker share in Redis, and how it is sealed.

The queue of requests is a Redis stream read by one consumer group (see `queue`). Each request names its run
and its platform; the run's HTTP options and platforms live once in the run's own keys, and
the answers come back on the run's reply list. Those keys hold pickles (a Result, a Platform,
a profile page: the same objects a process pool sends over its pipes), so each is sealed
with an HMAC-SHA256 under the key every machine of the fleet is given in
`HANDLECHECK_BROKER_KEY`: a process only unpickles what a holder of the key wrote, and a
Redis that others can write to cannot run code on a worker.

Every key of a run expires `RUN_TTL` seconds after its coordinator last renewed it, so a
coordinator that died leaves nothing behind for long, and workers drop its requests.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputError
from ..net.frames import HEARD as HEARD  # what a worker saw of the network, said as a pool's workers say it
from ..net.frames import RESOLVED as RESOLVED
from ..net.frames import UNREACHED as UNREACHED

KEY_VARIABLE = "HANDLECHECK_BROKER_KEY"
QUEUE = "handlecheck:requests"
GROUP = "handlecheck-workers"
TASK = "handlecheck.ask"
TICK_TASK = "handlecheck.tick"
"""Nothing to do: a message that wakes the workers' readers (see `coordinator`)."""
WORKERS = "handlecheck:workers"
"""A sorted set: each worker's name, scored by the time of its last heartbeat."""
RUN_TTL = 60
STREAM_LENGTH = 200_000
"""Requests the stream keeps (answered ones are trimmed from the oldest): a run has at most a
few thousand unanswered at once, so trimming never reaches one."""
REDELIVER_AFTER = 120.0
"""Seconds a request may stay unanswered by the worker that took it before another takes it
(a worker killed outright never answers): longer than a check can take, retries included."""
TASKS = 256
"""Checks a worker keeps in progress at once, by default."""
REPLY = "reply"  # worker -> coordinator, besides what a worker saw of the network (HEARD, RESOLVED, UNREACHED)
CHECK, PAGE = "check", "page"


class Tampered(Exception):
    """A sealed value whose seal does not match: written without the fleet's key."""


@dataclass(frozen=True, slots=True)
class Seal:
    """Pickles signed with the fleet's key."""

    key: bytes

    def dumps(self, value: Any) -> bytes:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self.key, data, hashlib.sha256).digest() + data

    def loads(self, sealed: bytes | str) -> Any:
        if isinstance(sealed, str):  # only a client decoding replies would give text
            raise Tampered("a value in the broker was read as text, not as the bytes sealed")
        mac, data = sealed[:32], sealed[32:]
        if not hmac.compare_digest(mac, hmac.new(self.key, data, hashlib.sha256).digest()):
            raise Tampered("a value in the broker was not sealed with this fleet's key")
        return pickle.loads(data)  # sealed by a holder of the key, checked above


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the fleet meets (a Redis URL) and the key its machines share."""

    url: str
    key: bytes

    @classmethod
    def from_environment(cls, url: str, environ: Mapping[str, str]) -> Broker:
        """The broker at `url`, with the key from `HANDLECHECK_BROKER_KEY`; a one-line
        InputError when the URL is not Redis's or the key is missing."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise InputError(f"--broker {url!r}: give a Redis URL, like redis://HOST:6379/0")
        key = environ.get(KEY_VARIABLE, "")
        if len(key) < 16:
            raise InputError(
                f"--broker needs {KEY_VARIABLE}: a secret of 16 characters or more, the same on every machine "
                "of the fleet (what the broker holds is only trusted when sealed with it)"
            )
        return cls(url, key.encode())

    @property
    def seal(self) -> Seal:
        return Seal(self.key)

    @property
    def shown(self) -> str:
        """The URL with any password masked, for messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class RunKeys:
    """The keys of one coordinator's run."""

    run: str

    def _key(self, part: str) -> str:
        return f"handlecheck:run:{self.run}:{part}"

    @property
    def options(self) -> str:
        return self._key("options")

    @property
    def platforms(self) -> str:
        return self._key("platforms")

    @property
    def replies(self) -> str:
        return self._key("replies")

    @property
    def offline(self) -> str:
        return self._key("offline")

    @property
    def all(self) -> tuple[str, ...]:
        return (self.options, self.platforms, self.replies, self.offline)
