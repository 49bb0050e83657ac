"""offers: the seller's listings normalized, merged into core.offers with change-only price history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from goodseed_dagster.db.fx import latest_fx
from goodseed_dagster.db.listings import read_listings
from goodseed_dagster.db.locks import seller_writes
from goodseed_dagster.db.offers import MergeCounts, merge_offers
from goodseed_dagster.db.quarantine import replace_quarantine
from goodseed_dagster.db.sources import Crawl, last_extracted_crawl, last_merged_crawl, mark_merged
from goodseed_dagster.normalize.fx import fx_frame
from goodseed_dagster.normalize.offers import NormalizedOffers, normalize_offers
from goodseed_dagster.stages.errors import CrawlSuperseded, StageNotReady


@dataclass(frozen=True, slots=True)
class OffersOutcome:
    crawl: Crawl
    fx_day: date
    normalized: NormalizedOffers
    merged: MergeCounts
    quarantined: int


def publish_offers(engine: Engine, seller: str, base_currency: str) -> OffersOutcome:
    """Normalize the listings of the crawl extracted last; a partial crawl retires no offer it did not reach.

    The merge runs under the seller's write lock and never merges a crawl older than the one merged last
    (CrawlSuperseded): prices never move back and price_history keeps agreeing with core.offers."""
    with engine.begin() as conn:
        crawl = last_extracted_crawl(conn, seller)
        if crawl is None:
            raise StageNotReady(seller, "no crawl has been extracted yet: materialize listings first")
        _refuse_superseded(conn, crawl)  # early, before normalizing; checked again under the lock
        listings = read_listings(conn, seller, crawl.id)
        try:
            fx_day, rates = latest_fx(conn)
        except LookupError as e:
            raise StageNotReady(seller, str(e)) from e
    out = normalize_offers(listings, fx_frame(rates), base_currency)
    with seller_writes(engine, seller) as conn:
        _refuse_superseded(conn, crawl)
        merged = merge_offers(conn, seller, crawl.id, crawl.started_at, out.offers, complete=crawl.complete)
        mark_merged(conn, crawl.id)
        quarantined = replace_quarantine(conn, seller, crawl.id, "normalize", out.quarantine)
    return OffersOutcome(crawl=crawl, fx_day=fx_day, normalized=out, merged=merged, quarantined=quarantined)


def _refuse_superseded(conn: Connection, crawl: Crawl) -> None:
    merged = last_merged_crawl(conn, crawl.seller)
    if merged is not None and crawl.older_than(merged):
        raise CrawlSuperseded(crawl.seller, crawl.id, merged.id)
