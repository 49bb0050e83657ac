"""core.offers and core.price_history: the seller's current offers and a row per price or stock change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame, temp_table_like
from goodseed_dagster.schema import OFFER


@dataclass(frozen=True, slots=True)
class MergeCounts:
    offers: int  # offers in this crawl
    new_offers: int
    price_changes: int  # price_history rows added
    deactivated: int  # offers missing from a complete crawl


_COLS = ", ".join(OFFER.names)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in OFFER.names if c != "offer_key")

# what changed, decided before the upsert against the offers' current values (each offer's row equals its
# last price_history row): one hash join, instead of a lookup into history per offer
_CHANGES = text("""
CREATE TEMP TABLE stage_changes ON COMMIT DROP AS
SELECT s.offer_key, o.offer_key IS NULL AS is_new
FROM stage_offers s
LEFT JOIN core.offers o ON o.seller = s.seller AND o.offer_key = s.offer_key
WHERE o.offer_key IS NULL OR o.price <> s.price OR o.currency <> s.currency
   OR o.in_stock IS DISTINCT FROM s.in_stock""")

# every offer seen is upserted (last seen, crawl); fillfactor leaves room so these updates stay HOT, and key
# order makes the index writes sequential (4x faster than COPY order at 1M rows)
_UPSERT = text(f"""
INSERT INTO core.offers (seller, crawl_id, first_seen_at, last_seen_at, active, {_COLS})
SELECT seller, crawl_id, :at, :at, true, {_COLS} FROM stage_offers ORDER BY offer_key
ON CONFLICT (seller, offer_key) DO UPDATE SET {_UPDATES}, crawl_id = EXCLUDED.crawl_id,
  last_seen_at = EXCLUDED.last_seen_at, active = true,
  strain_key = CASE WHEN core.offers.match_key = EXCLUDED.match_key THEN core.offers.strain_key END""")

# change-only history, keyed by (seller, offer, crawl): re-running a crawl adds nothing
_HISTORY = text("""
INSERT INTO core.price_history (seller, offer_key, crawl_id, observed_at, price, currency, price_base, in_stock)
SELECT s.seller, s.offer_key, s.crawl_id, :at, s.price, s.currency, s.price_base, s.in_stock
FROM stage_offers s JOIN stage_changes c USING (offer_key) ORDER BY s.offer_key
ON CONFLICT (seller, offer_key, crawl_id) DO NOTHING""")

_DEACTIVATE = text("""
UPDATE core.offers o SET active = false WHERE o.seller = :seller AND o.active
  AND NOT EXISTS (SELECT 1 FROM stage_offers s WHERE s.offer_key = o.offer_key)""")


def merge_offers(
    conn: Connection,
    seller: str,
    crawl_id: int,
    observed_at: datetime,
    offers: pl.DataFrame,
    *,
    complete: bool,
) -> MergeCounts:
    """Upsert the seller's offers and append a price_history row only where price or stock changed.

    Offers missing from a complete crawl become inactive; a partial crawl deactivates nothing.
    Re-running the same crawl changes nothing: history is keyed by (seller, offer, crawl).
    """
    temp_table_like(conn, "stage_offers", "core.offers", ["seller", "crawl_id", *OFFER.names])
    copy_frame(
        conn,
        "stage_offers",
        OFFER.conform(offers).with_columns(seller=pl.lit(seller), crawl_id=pl.lit(crawl_id)),
    )
    conn.execute(text("ANALYZE stage_offers"))  # temp tables have no statistics: plan the joins as hash joins
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.stage_changes"))
    conn.execute(_CHANGES)
    new_offers = int(conn.execute(text("SELECT count(*) FROM stage_changes WHERE is_new")).scalar_one())
    upserted = conn.execute(_UPSERT, {"at": observed_at}).rowcount
    history = conn.execute(_HISTORY, {"at": observed_at}).rowcount
    deactivated = conn.execute(_DEACTIVATE, {"seller": seller}).rowcount if complete else 0
    return MergeCounts(offers=upserted, new_offers=new_offers, price_changes=history, deactivated=deactivated)
