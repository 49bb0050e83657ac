"""listings: every offer one archived crawl shows, extracted with no network (also `goodseed reparse`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from goodseed_dagster.db.listings import replace_listings
from goodseed_dagster.db.locks import seller_writes
from goodseed_dagster.db.pages import archived_pages
from goodseed_dagster.db.quarantine import replace_quarantine
from goodseed_dagster.db.sources import latest_crawl, load_source
from goodseed_dagster.extraction import listing_frame
from goodseed_dagster.schema import LISTING
from goodseed_dagster.scraping.archive import ObjectStore
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S
from goodseed_dagster.scraping.models import Page
from goodseed_dagster.scraping.parse import ParseResult, parse_pages
from goodseed_dagster.stages.errors import StageNotReady


@dataclass(frozen=True, slots=True)
class ExtractOutcome:
    crawl_id: int
    listings: pl.DataFrame  # LISTING schema
    errors: list[tuple[str, str]]  # (page url, reason): quarantined pages
    rejected: pl.DataFrame  # offers whose values cannot be stored: LISTING columns + reason, quarantined
    pages: int
    duplicates: int  # offers seen on several pages, kept once


def extract_listings(
    engine: Engine,
    store: ObjectStore,
    seller: str,
    crawl_id: int | None = None,
    budget_s: float = PAGE_BUDGET_S,
) -> ExtractOutcome:
    """Rebuild the seller's listings from one archived crawl (default: the newest); unparseable pages are
    quarantined (stage extract) with the reason."""
    with engine.begin() as conn:
        source = load_source(conn, seller)
        if crawl_id is None:
            crawl = latest_crawl(conn, seller)
            if crawl is None:
                raise StageNotReady(seller, "has no finished crawl yet: materialize raw_pages first")
            crawl_id = crawl.id
        pages = archived_pages(conn, crawl_id)

    def bodies() -> Iterator[Page]:
        for p in pages:
            yield Page(url=p.url, body=store.get(p.sha256), content_type=p.content_type)

    return store_listings(engine, seller, crawl_id, parse_pages(bodies(), source, budget_s=budget_s))


def store_listings(engine: Engine, seller: str, crawl_id: int, parsed: ParseResult) -> ExtractOutcome:
    """The seller's listings become this crawl's offers, under the seller's write lock (a concurrent reparse
    waits its turn instead of doubling the rows). Pages that could not be parsed and offers with a value
    that cannot be stored go to core.quarantine (stage extract) with the reason; the others land."""
    frame = listing_frame(parsed.offers)
    bad = pl.col("reason").is_not_null()
    listings, rejected = LISTING.conform(frame.filter(~bad)), frame.filter(bad)
    pages = pl.DataFrame(parsed.errors, schema={"url": pl.String, "reason": pl.String}, orient="row")
    with seller_writes(engine, seller) as conn:
        replace_listings(conn, seller, crawl_id, listings)
        replace_quarantine(conn, seller, crawl_id, "extract", pl.concat([pages, rejected], how="diagonal"))
    return ExtractOutcome(
        crawl_id=crawl_id,
        listings=listings,
        errors=parsed.errors,
        rejected=rejected,
        pages=parsed.pages,
        duplicates=parsed.duplicates,
    )
