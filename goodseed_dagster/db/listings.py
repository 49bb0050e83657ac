"""core.listings: every offer the seller's newest extracted crawl shows, as the page states it."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame
from goodseed_dagster.db.sources import mark_extracted
from goodseed_dagster.schema import LISTING


def replace_listings(conn: Connection, seller: str, crawl_id: int, frame: pl.DataFrame) -> int:
    """The seller's listings become exactly this crawl's extraction (re-parsing is idempotent)."""
    conn.execute(text("DELETE FROM core.listings WHERE seller = :seller"), {"seller": seller})
    mark_extracted(conn, crawl_id)
    n = copy_frame(
        conn,
        "core.listings",
        LISTING.conform(frame).with_columns(seller=pl.lit(seller), crawl_id=pl.lit(crawl_id)),
    )
    # the listing_count_stable check compares against this count once core.listings has moved on
    conn.execute(text("UPDATE core.crawls SET listings = :n WHERE id = :id"), {"n": n, "id": crawl_id})
    return n


def read_listings(conn: Connection, seller: str, crawl_id: int) -> pl.DataFrame:
    """The listings of one crawl of the seller, in the LISTING schema."""
    cursor = conn.execute(
        text(
            f"SELECT {', '.join(LISTING.names)} FROM core.listings WHERE seller = :seller AND crawl_id = :id"
        ),
        {"seller": seller, "id": crawl_id},
    )
    return LISTING.frame(dict(r._mapping) for r in cursor)
