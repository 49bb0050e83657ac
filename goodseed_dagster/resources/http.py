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

    def get_fx_feed(self) -> bytes:
        return get_document(self.fx_url, name="fx", options=CrawlOptions(timeout_s=self.timeout_s))
