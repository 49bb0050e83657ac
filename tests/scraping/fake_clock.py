"""Virtual time for the crawler's pacing and backoff: every sleep returns at once and moves the clock."""

from __future__ import annotations

import asyncio

from goodseed_dagster.scraping.ratelimit import Clock


class FakeClock(Clock):
    """`now()` starts at 0 and only moves when someone sleeps; `slept` lists every requested wait.

    A sleep of s seconds started at t wakes at t + s; the clock never goes back, so concurrent
    sleepers see the latest wake-up, as on a real clock. `wakes` are those wake-up instants (for
    the token bucket: when it lets a request go).
    """

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []
        self.wakes: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float, stop: asyncio.Event | None = None) -> bool:
        if stop is not None and stop.is_set():
            return False
        wake = self.t + max(seconds, 0.0)
        self.slept.append(seconds)
        self.wakes.append(wake)
        await asyncio.sleep(0)  # a real sleep lets the other workers run
        self.t = max(self.t, wake)
        return stop is None or not stop.is_set()
