"""Listings → offers: one row per (seller, product, pack), prices in the base currency, rejects quarantined.

The whole transformation is polars expressions over the seller's frame; nothing is dropped silently:
every listing becomes an offer or a quarantine row with its reason. Prices stay Decimal throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from goodseed_dagster.normalize.facts import stated_facts
from goodseed_dagster.normalize.text import (
    breeder_display_expr,
    breeder_key_expr,
    name_key_expr,
    strain_name_expr,
)
from goodseed_dagster.schema import FX, LISTING, OFFER, PRICE, RATE


@dataclass(frozen=True)
class NormalizedOffers:
    offers: pl.DataFrame  # OFFER schema
    quarantine: pl.DataFrame  # the listing's columns + "reason"


MAX_PACK_SIZE = 100_000  # seeds per pack; more is a misread number, not a pack
MAX_KEY_BYTES = 2000  # offer_key and match_key are btree-indexed: an index entry holds at most ~2700 bytes


def _reason() -> pl.Expr:
    """The first rule a listing breaks, or null when it is a valid offer: whatever a page states, a row
    either becomes an offer the tables can hold or a quarantine row naming why not."""
    key_too_long = pl.col("offer_key").str.len_bytes() > MAX_KEY_BYTES
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
        .when(pl.col("pack_size") > MAX_PACK_SIZE)
        .then(pl.lit(f"pack size over {MAX_PACK_SIZE}"))
        .when(pl.col("currency").is_null())
        .then(pl.lit("no currency"))
        .when(pl.col("per_eur").is_null())
        .then(pl.lit("no FX rate for currency"))
        .when(pl.col("price_base").is_null())
        .then(pl.lit("price in the base currency out of range"))
        .when((pl.col("price_base") <= 0) | (pl.col("price_per_seed_base") <= 0))
        .then(pl.lit("price in the base currency rounds to zero"))
        .when(key_too_long)
        .then(pl.lit(f"product id or URL longer than {MAX_KEY_BYTES} bytes"))
        .when(pl.col("match_key").str.len_bytes() > MAX_KEY_BYTES)
        .then(pl.lit(f"breeder and name longer than {MAX_KEY_BYTES} bytes"))
        .when(pl.col("offer_key").is_duplicated())
        .then(pl.lit("duplicate offer (same product and pack)"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _names(df: pl.DataFrame) -> pl.DataFrame:
    """Breeder display name, strain name and their match keys, computed once per distinct (title,
    breeder) pair: the costliest rules, and a product's packs all share its title."""
    return (
        df.select("title", "breeder_raw")
        .unique()
        .with_columns(
            breeder_name=breeder_display_expr(pl.col("breeder_raw")),
            strain_name=strain_name_expr(pl.col("title"), pl.col("breeder_raw")),
        )
        .with_columns(
            breeder_key=breeder_key_expr(pl.col("breeder_name")),
            name_key=name_key_expr(pl.col("strain_name")),
        )
    )


def normalize_offers(
    listings: pl.DataFrame, fx: pl.DataFrame, base_currency: str = "EUR"
) -> NormalizedOffers:
    """Normalize one seller's listings (LISTING columns); `fx` has the FX columns (see fx_frame)."""
    fx = FX.conform(fx)
    base_rate = fx.filter(pl.col("currency") == base_currency)["per_eur"]
    if base_rate.len() != 1:
        raise ValueError(f"no FX rate for base currency {base_currency}")
    read = stated_facts(listings).with_columns(
        title=pl.col("name").str.strip_chars(),
        breeder_raw=pl.col("breeder").str.strip_chars(),
        currency=pl.col("currency").str.to_uppercase(),
        flowering=pl.col("flowering").fill_null("photoperiod"),  # shops mark autos; unmarked is photo
    )
    to_base = pl.lit(base_rate[0], dtype=RATE)
    df = (
        read.join(
            _names(read), on=["title", "breeder_raw"], how="left", nulls_equal=True, maintain_order="left"
        )
        .with_columns(
            offer_key=pl.coalesce("product_id", "url") + pl.lit("#") + pl.col("pack_size").cast(pl.String),
            match_key=pl.concat_str(
                ["breeder_key", "name_key", pl.col("sex").fill_null("unknown"), "flowering"], separator="|"
            ),
        )
        .join(fx, on="currency", how="left", maintain_order="left")
        .with_columns(  # null where numeric(14, 4) cannot hold it: _reason quarantines the row
            price_base=(pl.col("price") / pl.col("per_eur") * to_base).cast(PRICE, strict=False)
        )
        .with_columns(  # no division by a pack size of 0 (polars raises): null, and _reason says why
            price_per_seed_base=(
                pl.col("price_base") / pl.when(pl.col("pack_size") > 0).then(pl.col("pack_size"))
            ).cast(PRICE, strict=False)
        )
        .with_columns(reason=_reason())
    )
    offers = df.filter(pl.col("reason").is_null()).with_columns(
        base_currency=pl.lit(base_currency), breeder=pl.col("breeder_name")
    )
    quarantine = df.filter(pl.col("reason").is_not_null()).select([*LISTING.names, "reason"])
    return NormalizedOffers(offers=OFFER.conform(offers), quarantine=quarantine)
