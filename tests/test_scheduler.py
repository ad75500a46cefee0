"""The fair scheduler: hosts served in turn within their own slots, memory bounded."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Hashable, Iterator

from handlecheck.net.scheduler import FairScheduler

SLOW = "slow.example"
SLOW_SECONDS = 0.3


async def test_a_slow_host_never_holds_up_the_fast_ones():
    in_flight: Counter[Hashable] = Counter()
    peak: Counter[Hashable] = Counter()
    overall = [0, 0]
    finished: dict[tuple[str, int], float] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def work(item: tuple[str, int]) -> tuple[str, int]:
        host = item[0]
        in_flight[host] += 1
        overall[0] += 1
        peak[host] = max(peak[host], in_flight[host])
        overall[1] = max(overall[1], overall[0])
        await asyncio.sleep(SLOW_SECONDS if host == SLOW else 0.01)
        in_flight[host] -= 1
        overall[0] -= 1
        finished[item] = loop.time() - started
        return item

    hosts = [SLOW, *(f"fast{i}.example" for i in range(30))]
    # The slow host's items come first, as a naive queue would serve them.
    items = [(host, n) for host in hosts for n in range(5)]
    scheduler: FairScheduler[tuple[str, int], tuple[str, int]] = FairScheduler(
        work, lambda item: item[0], lambda host: 1 if host == SLOW else 2, running=8, lookahead=1000
    )
    done = [item async for item in scheduler.run(items)]

    assert sorted(done) == sorted(items), "every item once"
    assert peak[SLOW] == 1 and max(v for h, v in peak.items() if h != SLOW) <= 2, "each host within its slots"
    assert overall[1] <= 8, "the overall cap holds"
    fast_done = max(t for (host, _), t in finished.items() if host != SLOW)
    assert fast_done < 2 * SLOW_SECONDS, f"the fast hosts finished at {fast_done:.2f}s, behind the slow one"
    total = loop.time() - started
    assert total < 5 * SLOW_SECONDS + 0.2, f"{total:.2f}s: the slow host's own queue is the floor"


async def test_items_are_read_ahead_only_as_far_as_the_lookahead():
    pulled = 0

    def endless() -> Iterator[int]:
        nonlocal pulled
        for n in range(100_000):
            pulled += 1
            yield n

    async def work(item: int) -> int:
        await asyncio.sleep(0)
        return item

    scheduler: FairScheduler[int, int] = FairScheduler(work, lambda n: n % 7, lambda _: 2, running=16, lookahead=50)
    seen = 0
    async for _ in scheduler.run(endless()):
        seen += 1
        assert pulled - seen <= 50 + 16, "never more read ahead than the lookahead and the items in progress"
        if seen == 5_000:
            break
    assert seen == 5_000


async def test_a_host_whose_slots_shrink_gets_fewer_at_once():
    slots = {"h": 3}
    in_flight = 0
    overlapping_after_shrink = []
    shrunk = asyncio.Event()

    async def work(n: int) -> int:
        nonlocal in_flight
        in_flight += 1
        if shrunk.is_set():
            overlapping_after_shrink.append(in_flight)
        await asyncio.sleep(0.01)
        if n == 2:
            slots["h"] = 1  # the host said 429: one at a time from now on
            shrunk.set()
        in_flight -= 1
        return n

    scheduler: FairScheduler[int, int] = FairScheduler(
        work, lambda _: "h", lambda h: slots[h], running=10, lookahead=100
    )
    assert len([n async for n in scheduler.run(range(30))]) == 30
    assert overlapping_after_shrink and set(overlapping_after_shrink) == {1}, "after the 429, one at a time"
