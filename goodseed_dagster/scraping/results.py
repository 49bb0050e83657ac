"""What a crawl reports: progress while it runs and the result at the end (no behaviour here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from goodseed_dagster.scraping.models import PageRecord


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
    partial: bool = False
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
    def pages_per_s(self) -> float:
        return len(self.pages) / self.duration_s if self.duration_s > 0 else 0.0
