"""core.quarantine: every rejected page or row, with the raw record and the reason; nothing dropped silently."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame


def replace_quarantine(
    conn: Connection, seller: str, crawl_id: int | None, stage: str, rejects: pl.DataFrame
) -> int:
    """This stage's rejects for this crawl (`rejects` has a "reason" column; the rest is the record)."""
    conn.execute(
        text("""DELETE FROM core.quarantine WHERE seller = :seller AND stage = :stage
                AND crawl_id IS NOT DISTINCT FROM :crawl_id"""),
        {"seller": seller, "stage": stage, "crawl_id": crawl_id},
    )
    if rejects.is_empty():
        return 0
    frame = rejects.select(
        seller=pl.lit(seller),
        crawl_id=pl.lit(crawl_id, dtype=pl.Int64),
        stage=pl.lit(stage),
        reason=pl.col("reason"),
        record=pl.struct(pl.exclude("reason")).struct.json_encode(),
    )
    return copy_frame(conn, "core.quarantine", frame)
