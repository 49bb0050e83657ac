"""Where sellers and the FX feed come from, and how politely to crawl them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.sources import SourcesFile, load_sources


class CrawlerResource(dg.ConfigurableResource):  # type: ignore[misc]
    sources_file: str = "sources.yaml"
    fx_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    base_currency: str = "EUR"
    polite: bool = True
    timeout_s: float = 30.0

    def sources(self) -> SourcesFile:
        return load_sources(Path(self.sources_file))

    def get_fx_feed(self) -> bytes:
        try:
            response = httpx.get(self.fx_url, timeout=self.timeout_s, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as e:
            raise FetchError("fx", self.fx_url, str(e) or type(e).__name__) from e
        return response.content
