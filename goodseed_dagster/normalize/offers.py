"""Listings → offers: one row per (seller, product, pack), prices in the base currency, rejects quarantined.

The whole transformation is polars expressions over the seller's frame; nothing is dropped silently:
every listing becomes an offer or a quarantine row with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from goodseed_dagster.normalize.text import (
    breeder_key_expr,
    flowering_expr,
    name_key_expr,
    pack_size_expr,
    sex_expr,
    strain_name_expr,
)

LISTING_SCHEMA: dict[str, pl.DataType] = {
    "url": pl.String(),
    "product_id": pl.String(),
    "name": pl.String(),
    "breeder": pl.String(),
    "sex": pl.String(),
    "flowering": pl.String(),
    "pack_size": pl.Int64(),
    "price": pl.Float64(),
    "currency": pl.String(),
    "in_stock": pl.Boolean(),
    "regular_price": pl.Float64(),
    "variant": pl.String(),
    "adapter": pl.String(),
}

OFFER_COLUMNS = [
    "offer_key",
    "url",
    "product_id",
    "title",
    "breeder_raw",
    "breeder",
    "strain_name",
    "sex",
    "flowering",
    "pack_size",
    "price",
    "currency",
    "regular_price",
    "price_base",
    "price_per_seed_base",
    "base_currency",
    "in_stock",
    "match_key",
]


@dataclass(frozen=True)
class NormalizedOffers:
    offers: pl.DataFrame
    quarantine: pl.DataFrame  # the listing's columns + "reason"


def fx_frame(rates: dict[str, float]) -> pl.DataFrame:
    """ECB-style rates (units of currency per 1 EUR); EUR itself is 1."""
    table = {"EUR": 1.0, **rates}
    return pl.DataFrame({"currency": list(table), "per_eur": list(table.values())})


def _reason() -> pl.Expr:
    """The first rule a listing breaks, or null when it is a valid offer."""
    return (
        pl.when(pl.col("title").is_null() | (pl.col("strain_name").str.len_chars() == 0))
        .then(pl.lit("no product name"))
        .when(pl.col("price").is_null())
        .then(pl.lit("no price"))
        .when(pl.col("price") <= 0)
        .then(pl.lit("price is not positive"))
        .when(pl.col("pack_size").is_null())
        .then(pl.lit("no pack size"))
        .when(pl.col("pack_size") <= 0)
        .then(pl.lit("pack size is not positive"))
        .when(pl.col("currency").is_null())
        .then(pl.lit("no currency"))
        .when(pl.col("per_eur").is_null())
        .then(pl.lit("no FX rate for currency"))
        .when(pl.col("offer_key").is_duplicated())
        .then(pl.lit("duplicate offer (same product and pack)"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def normalize_offers(
    listings: pl.DataFrame, fx: pl.DataFrame, base_currency: str = "EUR"
) -> NormalizedOffers:
    """Normalize one seller's listings; `fx` has columns currency, per_eur (see fx_frame)."""
    base_rate = fx.filter(pl.col("currency") == base_currency)["per_eur"]
    if base_rate.len() != 1:
        raise ValueError(f"no FX rate for base currency {base_currency}")
    frame = listings.select(
        [
            pl.col(c).cast(t) if c in listings.columns else pl.lit(None, t).alias(c)
            for c, t in LISTING_SCHEMA.items()
        ]
    )
    text = pl.concat_str([pl.col("name"), pl.col("variant")], separator=" ", ignore_nulls=True)
    product_key = pl.coalesce(pl.col("product_id"), pl.col("url"))
    df = (
        frame.with_columns(
            title=pl.col("name").str.strip_chars(),
            breeder_raw=pl.col("breeder").str.strip_chars(),
            currency=pl.col("currency").str.to_uppercase(),
            pack_size=pl.coalesce(
                pl.col("pack_size"), pack_size_expr(pl.col("variant")), pack_size_expr(pl.col("name"))
            ),
            sex=pl.coalesce(pl.col("sex"), sex_expr(text)),
            flowering=pl.coalesce(pl.col("flowering"), flowering_expr(text)),
        )
        .with_columns(
            breeder=_breeder_display(pl.col("breeder_raw")),
            strain_name=strain_name_expr(pl.col("title"), pl.col("breeder_raw")),
            offer_key=product_key + pl.lit("#") + pl.col("pack_size").cast(pl.String),
        )
        .join(fx, on="currency", how="left")
        .with_columns(reason=_reason())
    )
    rate = float(base_rate[0])
    offers = (
        df.filter(pl.col("reason").is_null())
        .with_columns(
            price_base=(pl.col("price") / pl.col("per_eur") * rate).round(4),
            base_currency=pl.lit(base_currency),
            match_key=pl.concat_str(
                [
                    breeder_key_expr(pl.col("breeder")),
                    name_key_expr(pl.col("strain_name")),
                    pl.col("sex").fill_null("unknown"),
                    pl.col("flowering"),
                ],
                separator="|",
            ),
        )
        .with_columns(price_per_seed_base=(pl.col("price_base") / pl.col("pack_size")).round(4))
        .select(OFFER_COLUMNS)
    )
    quarantine = df.filter(pl.col("reason").is_not_null()).select([*LISTING_SCHEMA, "reason"])
    return NormalizedOffers(offers=offers, quarantine=quarantine)


def _breeder_display(raw: pl.Expr) -> pl.Expr:
    """The breeder as people write it, minus a trailing "Seeds"; "unknown" when the shop does not say."""
    cleaned = raw.str.replace(r"(?i)\s+seeds?\s*$", "").str.strip_chars()
    return (
        pl.when(cleaned.is_null() | (cleaned.str.len_chars() == 0)).then(pl.lit("Unknown")).otherwise(cleaned)
    )
