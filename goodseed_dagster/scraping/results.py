"""What a crawl reports: progress while it runs, and the result at the end with the rule that grades it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from goodseed_dagster.scraping.models import PageRecord

CrawlStatus = Literal["ok", "partial", "failed"]


@dataclass(frozen=True, slots=True)
class CrawlProgress:
    """Counts so far, for CLI and asset logging."""

    seller: str
    attempted: int
    fetched: int
    not_modified: int
    failed: int
    robots_blocked: int
    queued: int
    bytes: int
    elapsed_s: float


@dataclass(slots=True)
class CrawlResult:
    """One crawl of one seller: a record per URL attempted, and why it stopped early if it did."""

    seller: str
    pages: list[PageRecord] = field(default_factory=list)
    partial: bool = False  # stopped early: circuit breaker, max_pages, robots.txt unreachable
    stopped_reason: str | None = None
    robots: str = ""  # where the seller's robots rules came from
    fetched: int = 0  # 2xx bodies downloaded and archived
    not_modified: int = 0  # 304s answered from the archive
    failed: int = 0  # fetch errors, refusals and non-2xx answers (robots blocks not included)
    robots_blocked: int = 0
    links_failed: int = 0  # pages fetched fine whose links() raised
    offsite_skipped: int = 0  # links to hosts outside the seller, not followed
    bytes: int = 0  # body bytes downloaded (decoded)
    duration_s: float = 0.0

    @property
    def status(self) -> CrawlStatus:
        """Failed when no page was fetched (no 2xx, no 304); else partial when the crawl stopped early or
        any page failed; else ok.

        A page that could not be fetched leaves its offers unknown, so a partial crawl must retire nothing
        (no offer is taken as gone because its page is missing). Pages robots.txt blocks are not failures:
        we were never allowed to see them.
        """
        if self.fetched + self.not_modified == 0:
            return "failed"
        return "partial" if self.partial or self.failed else "ok"

    def stats(self) -> dict[str, int | float]:
        """The counts core.crawls stores, keyed by its column names (db.sources.CRAWL_STATS)."""
        return {
            "pages": len(self.pages),
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "robots_blocked": self.robots_blocked,
            "bytes": self.bytes,
            "duration_s": self.duration_s,
        }

    @property
    def pages_per_s(self) -> float:
        return len(self.pages) / self.duration_s if self.duration_s > 0 else 0.0
