"""The fleet's queue: taskiq's Redis stream broker, as coordinators and workers both open it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import cached_property

from redis.asyncio import Redis
from taskiq import BrokerMessage
from taskiq_redis import RedisStreamBroker

from .outages import BROKER_GONE
from .wire import GROUP, QUEUE, REDELIVER_AFTER, STREAM_LENGTH, Broker


class _FleetStream(RedisStreamBroker):
    """taskiq-redis's stream broker with three changes.

    - One Redis client for every request queued and acknowledged: taskiq-redis makes a client
      for each (building its table of reply parsers), a cost that showed in the fleet's profile.
    - An acknowledgement that the broker is gone to take is let go: the request went with a
      broker restarted empty, or it comes back unacknowledged and is claimed again, and its
      run's coordinator keeps the first answer to each request. (Left to taskiq, the failed
      ack is an error with a traceback in the worker's log.)
    - A worker that is `stopping` acknowledges nothing: taskiq acknowledges a request whose task
      was cancelled as if it had been answered, and the requests a stopped worker had taken must
      stay unacknowledged, for another worker to claim."""

    stopping = False

    @cached_property
    def _client(self) -> Redis:
        return Redis(connection_pool=self.connection_pool)

    async def kick(self, message: BrokerMessage) -> None:
        stream = message.labels.get("queue_name") or self.queue_name
        await self._client.xadd(stream, {b"data": message.message}, maxlen=self.maxlen, approximate=self.approximate)

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack_if_there() -> None:
            if self.stopping:
                return
            with suppress(*BROKER_GONE):
                await self._client.xack(queue_name, self.consumer_group_name, id)

        return ack_if_there


def task_broker(broker: Broker, *, redeliver_after: float = REDELIVER_AFTER) -> _FleetStream:
    """taskiq's Redis stream broker for the fleet's queue: a request is acknowledged once its
    answer is on the run's reply list, and one left unacknowledged for `redeliver_after`
    seconds (its worker died) is claimed by another worker."""
    return _FleetStream(
        broker.url,
        queue_name=QUEUE,
        consumer_group_name=GROUP,
        consumer_id="0",  # a group made after requests were queued still reads them
        idle_timeout=round(redeliver_after * 1000),
        xread_block=1000,
        maxlen=STREAM_LENGTH,
        unacknowledged_lock_timeout=5,
        socket_connect_timeout=5,
    )
