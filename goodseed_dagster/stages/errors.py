"""Why a stage cannot run: named, so the orchestrator and the CLI can say what to do next."""

from __future__ import annotations

from goodseed_dagster.errors import GoodSeedError


class StageNotReady(GoodSeedError):
    """An upstream stage has not produced what this one reads (running again will not help)."""

    def __init__(self, seller: str | None, reason: str) -> None:
        super().__init__(f"[{seller}] {reason}" if seller else reason)
        self.seller, self.reason = seller, reason


class CrawlSuperseded(StageNotReady):
    """The current listings come from a crawl older than the one already merged into core.offers. Merging it
    would move prices back, reactivate offers a newer crawl retired and leave price_history disagreeing with
    core.offers, so it is refused; the archive keeps it, and reparsing the newest crawl restores the order."""

    def __init__(self, seller: str, crawl_id: int, merged_id: int) -> None:
        super().__init__(
            seller,
            f"crawl {crawl_id} is older than crawl {merged_id}, already merged into core.offers: not merged over "
            f"it. Run `goodseed reparse --seller {seller}` to make the newest crawl's listings current again",
        )
        self.crawl_id, self.merged_id = crawl_id, merged_id


class CrawlInProgress(GoodSeedError):
    """Another live process is crawling the seller: a second crawl would double the load on the shop."""

    def __init__(self, seller: str) -> None:
        super().__init__(
            f"[{seller}] another process is crawling this seller now: not starting a second crawl"
        )
        self.seller = seller
