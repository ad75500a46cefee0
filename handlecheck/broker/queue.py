"""The fleet's queue: taskiq's Redis stream broker, as coordinators and workers both open it."""

from __future__ import annotations

from taskiq_redis import RedisStreamBroker

from .wire import GROUP, QUEUE, REDELIVER_AFTER, STREAM_LENGTH, Broker


def task_broker(broker: Broker, *, redeliver_after: float = REDELIVER_AFTER) -> RedisStreamBroker:
    """taskiq's Redis stream broker for the fleet's queue: a request is acknowledged once its
    answer is on the run's reply list, and one left unacknowledged for `redeliver_after`
    seconds (its worker died) is claimed by another worker."""
    return RedisStreamBroker(
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
