"""Per-seller request pacing: a token bucket that a crawl's workers share, on an injectable clock."""

from __future__ import annotations

import asyncio
import time


class Clock:
    """Monotonic time and a stoppable sleep: the only time pacing and backoff see.

    Crawls use SYSTEM_CLOCK; tests pass a subclass with virtual time, so spacing, Crawl-delay,
    Retry-After and backoff are checked exactly, without waiting for them.
    """

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float, stop: asyncio.Event | None = None) -> bool:
        """Sleep `seconds`, waking early if `stop` is set; False means the crawl is stopping."""
        if stop is None:
            if seconds > 0:
                await asyncio.sleep(seconds)
            return True
        if stop.is_set():
            return False
        if seconds <= 0:
            return True
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False


SYSTEM_CLOCK = Clock()


class TokenBucket:
    """One token every `interval_s`, at most `burst` saved up (burst=1: strict spacing).

    Implemented as GCRA (a reservation per caller) so concurrent workers never see the same token
    and the spacing holds without a lock: reservations happen between awaits on one event loop.
    """

    def __init__(self, interval_s: float, *, burst: int = 1, clock: Clock = SYSTEM_CLOCK) -> None:
        if interval_s < 0 or burst < 1:
            raise ValueError("interval_s must be >= 0 and burst >= 1")
        self.interval_s, self.burst, self.clock = interval_s, burst, clock
        self._tat = 0.0  # theoretical arrival time of the next conforming request

    @classmethod
    def per_minute(
        cls, requests_per_minute: float, *, burst: int = 1, clock: Clock = SYSTEM_CLOCK
    ) -> TokenBucket:
        return cls(60.0 / requests_per_minute, burst=burst, clock=clock)

    def slow_to(self, interval_s: float) -> None:
        """Never go faster than `interval_s` (robots.txt Crawl-delay can only slow a seller down).

        The slot already promised after the last reservation moves too, so the request right after
        robots.txt is spaced by the new interval.
        """
        if interval_s > self.interval_s:
            if self._tat:
                self._tat += interval_s - self.interval_s
            self.interval_s = interval_s

    def defer(self, seconds: float) -> None:
        """Hold every worker back for `seconds` (a 429/503 Retry-After speaks for the whole host)."""
        self._tat = max(self._tat, self.clock.now() + seconds + (self.burst - 1) * self.interval_s)

    def reserve(self) -> float:
        """Take the next token; returns how long to wait before using it."""
        now = self.clock.now()
        tat = max(self._tat, now)
        allowed_at = tat - (self.burst - 1) * self.interval_s
        self._tat = tat + self.interval_s
        return max(0.0, allowed_at - now)

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait for a token; False if `stop` was set meanwhile."""
        return await self.clock.sleep(self.reserve(), stop)
