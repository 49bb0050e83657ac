"""core.offers and core.price_history: the seller's current offers and a row per price or stock change."""

from __future__ import annotations

from collections.abc import Sequence
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

_UPSERT = text(f"""
INSERT INTO core.offers (seller, crawl_id, first_seen_at, last_seen_at, active, {_COLS})
SELECT seller, crawl_id, :at, :at, true, {_COLS} FROM stage_offers
ON CONFLICT (seller, offer_key) DO UPDATE SET {_UPDATES}, crawl_id = EXCLUDED.crawl_id,
  last_seen_at = EXCLUDED.last_seen_at, active = true,
  strain_key = CASE WHEN core.offers.match_key = EXCLUDED.match_key THEN core.offers.strain_key END
RETURNING (xmax = 0) AS inserted""")

# change-only history: a row when the offer is new, or its price, currency or stock differs from the last row
_HISTORY = text("""
INSERT INTO core.price_history (seller, offer_key, crawl_id, observed_at, price, currency, price_base, in_stock)
SELECT s.seller, s.offer_key, s.crawl_id, :at, s.price, s.currency, s.price_base, s.in_stock
FROM stage_offers s
LEFT JOIN LATERAL (
    SELECT h.price, h.currency, h.in_stock FROM core.price_history h
    WHERE h.seller = s.seller AND h.offer_key = s.offer_key
    ORDER BY h.observed_at DESC, h.id DESC LIMIT 1) last ON true
WHERE last.price IS NULL OR last.price <> s.price OR last.currency <> s.currency
   OR last.in_stock IS DISTINCT FROM s.in_stock
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
    inserted: Sequence[bool] = conn.execute(_UPSERT, {"at": observed_at}).scalars().all()
    history = conn.execute(_HISTORY, {"at": observed_at}).rowcount
    deactivated = conn.execute(_DEACTIVATE, {"seller": seller}).rowcount if complete else 0
    return MergeCounts(
        offers=len(inserted), new_offers=sum(inserted), price_changes=history, deactivated=deactivated
    )
