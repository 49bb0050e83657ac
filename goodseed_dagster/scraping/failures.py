"""How a crawl treats pages that fail: the circuit breaker, and transient failures held for retry rounds.

A page that failed transiently (timeouts, 5xx, 429 after every per-request retry) is not recorded at
once: it waits for a retry round after the rest of the crawl, as a burst of faults rarely hits the same
page again minutes later, and its offers must not go missing. Only the last round records failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.models import PageRecord


@dataclass(slots=True)
class Breaker:
    """Stops a crawl after `threshold` requests in a row failed transiently, each after all its retries."""

    threshold: int
    consecutive: int = 0

    def answered(self) -> None:
        """The seller answered (any status): it is alive."""
        self.consecutive = 0

    def failed(self, error: FetchError) -> str | None:
        """Count one failed request; return why the crawl must stop, or None.

        A permanent failure (a refused or bad URL) says nothing about the seller's health: it resets the count.
        """
        if not error.retryable:
            self.consecutive = 0
            return None
        self.consecutive += 1
        if self.consecutive < self.threshold:
            return None
        return f"circuit breaker: {self.consecutive} consecutive failed requests (last: {error.url}: {error.reason})"


@dataclass(slots=True)
class HeldBack:
    """Transient failures waiting for a retry round instead of being recorded now."""

    holding: bool  # False in the last round (or with no rounds): its failures are recorded for good
    transient: set[str] = field(default_factory=set)  # URLs whose last fetch failed transiently
    pages: list[tuple[str, PageRecord]] = field(default_factory=list)

    def hold(self, url: str, record: PageRecord) -> bool:
        """Hold `url`'s failure back if it was transient and rounds remain; True when held."""
        if not (self.holding and url in self.transient):
            return False
        self.transient.discard(url)
        self.pages.append((url, record))
        return True

    def take(self) -> list[tuple[str, PageRecord]]:
        """Everything held so far, and hold nothing."""
        taken, self.pages = self.pages, []
        return taken
