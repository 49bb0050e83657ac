"""Where sellers and the FX feed come from, and how politely to crawl them."""

from __future__ import annotations

import dagster as dg

from goodseed_dagster.scraping.document import get_document
from goodseed_dagster.scraping.options import CrawlOptions


class CrawlerResource(dg.ConfigurableResource):
    sources_file: str = "sources.yaml"
    fx_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    base_currency: str = "EUR"
    polite: bool = True
    timeout_s: float = 30.0
    max_crawl_delay_s: float = 60.0
    deadline_s: float = 7200.0
    page_budget_s: float = 2.0
    # quality gates (assets/quality.py): defaults as in Settings
    listing_drop_max: float = 0.5
    min_fill_rate: float = 0.8
    max_quarantine_share: float = 0.2
    price_per_seed_min: float = 0.05
    price_per_seed_max: float = 100.0

    def crawl_options(self) -> CrawlOptions:
        """The crawl's limits (README "Safety"); the rest keep CrawlOptions' defaults."""
        return CrawlOptions(
            timeout_s=self.timeout_s, max_crawl_delay_s=self.max_crawl_delay_s, deadline_s=self.deadline_s
        )

    def get_fx_feed(self) -> bytes:
        return get_document(self.fx_url, name="fx", options=CrawlOptions(timeout_s=self.timeout_s))
