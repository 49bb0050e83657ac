"""SQL for FX rates, offers with their change-only price history, quarantine and the strain catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame, temp_table_like
from goodseed_dagster.normalize.offers import OFFER_COLUMNS, fx_frame
from goodseed_dagster.normalize.text import breeder_key_expr, name_key_expr


def upsert_fx(conn: Connection, day: date, rates: dict[str, float]) -> int:
    for currency, rate in rates.items():
        conn.execute(
            text("""INSERT INTO core.fx_rates (day, currency, per_eur) VALUES (:day, :cur, :rate)
                    ON CONFLICT (day, currency) DO UPDATE SET per_eur = EXCLUDED.per_eur"""),
            {"day": day, "cur": currency, "rate": rate},
        )
    return len(rates)


def latest_fx(conn: Connection) -> tuple[date, pl.DataFrame]:
    """The newest day's rates as a frame for normalize_offers; fails clearly when fx_rates never ran."""
    day = conn.execute(text("SELECT max(day) FROM core.fx_rates")).scalar()
    if day is None:
        raise LookupError("core.fx_rates is empty: materialize the fx_rates asset first")
    rows = conn.execute(text("SELECT currency, per_eur FROM core.fx_rates WHERE day = :d"), {"d": day})
    return day, fx_frame({r.currency: float(r.per_eur) for r in rows})


def merge_offers(
    conn: Connection,
    seller: str,
    crawl_id: int,
    observed_at: datetime,
    offers: pl.DataFrame,
    *,
    complete: bool,
) -> dict[str, int]:
    """Upsert the seller's offers and append a price_history row only where price or stock changed.

    Offers missing from a complete crawl become inactive; a partial crawl deactivates nothing.
    Re-running the same crawl changes nothing: history is keyed by (seller, offer, crawl).
    """
    temp_table_like(conn, "stage_offers", "core.offers", ["seller", "crawl_id", *OFFER_COLUMNS])
    copy_frame(
        conn,
        "stage_offers",
        offers.select(OFFER_COLUMNS).with_columns(seller=pl.lit(seller), crawl_id=pl.lit(crawl_id)),
    )
    cols = ", ".join(OFFER_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in OFFER_COLUMNS if c != "offer_key")
    upserted: Sequence[bool] = (
        conn.execute(
            text(f"""INSERT INTO core.offers (seller, crawl_id, first_seen_at, last_seen_at, active, {cols})
                 SELECT seller, crawl_id, :at, :at, true, {cols} FROM stage_offers
                 ON CONFLICT (seller, offer_key) DO UPDATE SET {updates}, crawl_id = EXCLUDED.crawl_id,
                   last_seen_at = EXCLUDED.last_seen_at, active = true,
                   strain_key = CASE WHEN core.offers.match_key = EXCLUDED.match_key
                                     THEN core.offers.strain_key END
                 RETURNING (xmax = 0) AS inserted"""),
            {"at": observed_at},
        )
        .scalars()
        .all()
    )
    history = conn.execute(
        text("""INSERT INTO core.price_history
                  (seller, offer_key, crawl_id, observed_at, price, currency, price_base, in_stock)
                SELECT s.seller, s.offer_key, s.crawl_id, :at, s.price, s.currency, s.price_base, s.in_stock
                FROM stage_offers s
                LEFT JOIN LATERAL (
                    SELECT h.price, h.currency, h.in_stock FROM core.price_history h
                    WHERE h.seller = s.seller AND h.offer_key = s.offer_key
                    ORDER BY h.observed_at DESC, h.id DESC LIMIT 1) last ON true
                WHERE last.price IS NULL OR last.price <> s.price OR last.currency <> s.currency
                   OR last.in_stock IS DISTINCT FROM s.in_stock
                ON CONFLICT (seller, offer_key, crawl_id) DO NOTHING"""),
        {"at": observed_at},
    ).rowcount
    deactivated = 0
    if complete:
        deactivated = conn.execute(
            text("""UPDATE core.offers o SET active = false WHERE o.seller = :seller AND o.active
                    AND NOT EXISTS (SELECT 1 FROM stage_offers s WHERE s.offer_key = o.offer_key)"""),
            {"seller": seller},
        ).rowcount
    return {
        "offers": len(upserted),
        "new_offers": sum(upserted),
        "price_changes": history,
        "deactivated": deactivated,
    }


def replace_quarantine(
    conn: Connection, seller: str, crawl_id: int | None, stage: str, rejects: pl.DataFrame
) -> int:
    """This stage's rejects for this crawl, with the raw record and the reason (idempotent)."""
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


def catalogue_inputs(conn: Connection) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Active offers' match keys, curated aliases (as keys) and the strain keys that already exist."""
    offers = pl.DataFrame(
        [
            dict(r._mapping)
            for r in conn.execute(
                text("SELECT match_key, breeder, strain_name FROM core.offers WHERE active")
            )
        ],
        schema={"match_key": pl.String, "breeder": pl.String, "strain_name": pl.String},
    )
    aliases = pl.DataFrame(
        [
            dict(r._mapping)
            for r in conn.execute(text("SELECT breeder, name, strain_key FROM core.strain_aliases"))
        ],
        schema={"breeder": pl.String, "name": pl.String, "strain_key": pl.String},
    ).select(
        bkey=breeder_key_expr(pl.col("breeder")), nkey=name_key_expr(pl.col("name")), strain_key="strain_key"
    )
    existing: list[str] = list(conn.execute(text("SELECT strain_key FROM core.strains")).scalars())
    return offers, aliases, existing


def write_catalogue(conn: Connection, mapping: pl.DataFrame, strains: pl.DataFrame) -> dict[str, int]:
    temp_table_like(
        conn, "stage_strains", "core.strains", ["strain_key", "breeder", "name", "sex", "flowering"]
    )
    copy_frame(conn, "stage_strains", strains.select("strain_key", "breeder", "name", "sex", "flowering"))
    new: Sequence[bool] = (
        conn.execute(
            text("""INSERT INTO core.strains (strain_key, breeder, name, sex, flowering)
                SELECT strain_key, breeder, name, sex, flowering FROM stage_strains
                ON CONFLICT (strain_key) DO UPDATE SET breeder = EXCLUDED.breeder, name = EXCLUDED.name,
                  sex = EXCLUDED.sex, flowering = EXCLUDED.flowering
                RETURNING (xmax = 0) AS inserted""")
        )
        .scalars()
        .all()
    )
    temp_table_like(conn, "stage_map", "core.offers", ["match_key", "strain_key"])
    copy_frame(conn, "stage_map", mapping.select("match_key", "strain_key"))
    linked = conn.execute(
        text("""UPDATE core.offers o SET strain_key = m.strain_key FROM stage_map m
                WHERE o.match_key = m.match_key AND o.active
                  AND o.strain_key IS DISTINCT FROM m.strain_key""")
    ).rowcount
    return {"strains": len(new), "new_strains": sum(new), "offers_relinked": linked}
