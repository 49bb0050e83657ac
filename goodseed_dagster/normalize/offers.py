"""Listings → offers: one row per (seller, product, pack), prices in the base currency, rejects quarantined.

The whole transformation is polars expressions over the seller's frame; nothing is dropped silently:
every listing becomes an offer or a quarantine row with its reason. Prices stay Decimal throughout.
The text rules run once per distinct text (facts.py); what is computed per listing is kept to the few
columns the rules need, so a million listings normalize in well under a GiB.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from goodseed_dagster.normalize.facts import TEXTS, distinct_texts, read_texts, stated_pack
from goodseed_dagster.normalize.hashing import duplicated
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


KEYS = (*TEXTS, "breeder")  # the listing columns the text rules read
# the listing columns normalized row by row, or kept by an offer
_PER_ROW = ("page_url", "url", "product_id", "pack_size", "price", "currency", "regular_price", "in_stock")
# what an offer takes from its listing's texts (one row of _texts per distinct KEYS)
_FROM_TEXTS = ("title", "breeder_raw", "breeder_name", "strain_name", "sex", "flowering", "match_key")


def _rules() -> list[tuple[pl.Expr, str]]:
    """What makes a listing no valid offer, and the reason it is quarantined with; the first broken wins."""
    return [
        (pl.col("no_name"), "no product name"),
        (pl.col("price").is_null(), "no price"),
        (pl.col("price") <= 0, "price is not positive"),
        (pl.col("pack_size").is_null(), "no pack size"),
        (pl.col("pack_size") <= 0, "pack size is not positive"),
        (pl.col("pack_size") > MAX_PACK_SIZE, f"pack size over {MAX_PACK_SIZE}"),
        (pl.col("currency").is_null(), "no currency"),
        (pl.col("per_eur").is_null(), "no FX rate for currency"),
        (pl.col("price_base").is_null(), "price in the base currency out of range"),
        (
            (pl.col("price_base") <= 0) | (pl.col("price_per_seed_base") <= 0),
            "price in the base currency rounds to zero",
        ),
        (
            pl.col("offer_key").str.len_bytes() > MAX_KEY_BYTES,
            f"product id or URL longer than {MAX_KEY_BYTES} bytes",
        ),
        (pl.col("long_match"), f"breeder and name longer than {MAX_KEY_BYTES} bytes"),
        (pl.col("duplicate"), "duplicate offer (same product and pack)"),
    ]


def _reason() -> pl.Expr:
    """The first rule a listing breaks, or null when it is a valid offer: whatever a page states, a row
    either becomes an offer the tables can hold or a quarantine row naming why not. An Enum: a million
    rows carry one byte each, not a string."""
    rules = _rules()
    reasons = pl.Enum([why for _, why in rules])
    reason = pl.lit(None, dtype=reasons)
    for broken, why in reversed(rules):
        reason = pl.when(broken).then(pl.lit(why, dtype=reasons)).otherwise(reason)
    return reason


def _names(pairs: pl.DataFrame) -> pl.DataFrame:
    """Breeder display name, strain name and their match keys of distinct (title, breeder) pairs in NFC:
    the costliest rules, and a product's packs all share its title."""
    return (
        pairs.lazy()  # lazy: the rules share subexpressions, computed once
        .with_columns(
            breeder_name=breeder_display_expr(pl.col("nfc_breeder")),
            strain_name=strain_name_expr(pl.col("nfc_title"), pl.col("nfc_breeder")),
        )
        .with_columns(
            breeder_key=breeder_key_expr(pl.col("breeder_name")),
            name_key=name_key_expr(pl.col("strain_name")),
        )
        .collect()
    )


def _texts(texts: pl.DataFrame) -> pl.DataFrame:
    """What the rules read in each distinct KEYS (from distinct_texts), the names and match key an offer
    takes from it, and whether they leave a listing without a name or with too long a key."""
    texts = read_texts(texts).with_columns(
        title=pl.col("name").str.strip_chars(),
        breeder_raw=pl.col("breeder").str.strip_chars(),
        nfc_title=pl.col("nfc_name").str.strip_chars(),
        nfc_breeder=pl.col("nfc_breeder").str.strip_chars(),
        flowering=pl.col("flowering").fill_null("photoperiod"),  # shops mark autos; unmarked is photo
    )
    pairs = ["nfc_title", "nfc_breeder"]
    names = _names(texts.select(pairs).unique())
    match_key = pl.concat_str(
        ["breeder_key", "name_key", pl.col("sex").fill_null("unknown"), "flowering"], separator="|"
    )
    return (
        texts.join(names, on=pairs, how="left", nulls_equal=True, maintain_order="left")
        .with_columns(match_key=match_key)
        .select(
            *_FROM_TEXTS,
            "variant_pack",
            "name_pack",
            no_name=pl.col("title").is_null() | (pl.col("strain_name").str.len_chars() == 0),
            long_match=pl.col("match_key").str.len_bytes() > MAX_KEY_BYTES,
        )
    )


def offer_names(listings: pl.DataFrame) -> pl.DataFrame:
    """Per listing (LISTING columns; those it lacks are null): the names and match key an offer takes from
    its texts, no_name and long_match. `goodseed match` keys rows with exactly the offers' rules."""
    texts, index = distinct_texts(LISTING.conform(listings), KEYS)
    return _texts(texts).select(*_FROM_TEXTS, "no_name", "long_match")[index]


def _rows(listed: pl.DataFrame, read: pl.DataFrame, fx: pl.DataFrame, to_base: pl.Expr) -> pl.DataFrame:
    """One narrow row per listing (`listed`: its _PER_ROW columns; `read`: what the rules read in its
    texts): its pack size, currency, prices in the base currency, offer key and reason (null: valid)."""
    listed = pl.concat([listed, read], how="horizontal")
    pack, _ = stated_pack(listed)
    rows = listed.with_columns(pack_size=pack).select(
        "no_name",
        "long_match",
        "price",
        "pack_size",
        currency=pl.col("currency").str.to_uppercase(),
        offer_key=pl.coalesce("product_id", "url") + pl.lit("#") + pl.col("pack_size").cast(pl.String),
    )
    return (
        rows.with_columns(
            duplicate=duplicated(rows, "offer_key"),
            per_eur=pl.col("currency").replace_strict(fx["currency"], fx["per_eur"], default=None),
        )
        .with_columns(  # null where numeric(14, 4) cannot hold it: _reason quarantines the row
            price_base=(pl.col("price") / pl.col("per_eur") * to_base).cast(PRICE, strict=False)
        )
        .with_columns(  # no division by a pack size of 0 (polars raises): null, and _reason says why
            price_per_seed_base=(
                pl.col("price_base") / pl.when(pl.col("pack_size") > 0).then(pl.col("pack_size"))
            ).cast(PRICE, strict=False)
        )
        .select(
            "offer_key",
            "pack_size",
            "currency",
            "price_base",
            "price_per_seed_base",
            reason=_reason(),
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
    frame = LISTING.conform(listings)
    texts, index = distinct_texts(frame, KEYS)
    texts = _texts(texts)
    # in one chunk, like the columns gathered from the texts: polars would align the chunks of every
    # frame that mixes the two, at every step
    listed = frame.select(_PER_ROW).rechunk()
    read = texts.select("variant_pack", "name_pack", "no_name", "long_match")[index]
    rows = _rows(listed, read, fx, pl.lit(base_rate[0], dtype=RATE))
    del read
    valid = rows["reason"].is_null()
    as_read = rows.select("pack_size", "currency", pl.col("reason").cast(pl.String)).filter(~valid)
    quarantine = frame.filter(~valid).with_columns(as_read)
    # an offer's columns, each filtered once; every full-length frame goes as soon as it has been used
    parts = [listed.select("url", "product_id", "price", "regular_price", "in_stock").filter(valid)]
    del listed
    parts.append(rows.drop("reason").filter(valid))
    del rows
    parts.append(texts.select(_FROM_TEXTS)[index.filter(valid)].rename({"breeder_name": "breeder"}))
    offers = pl.concat(parts, how="horizontal").with_columns(base_currency=pl.lit(base_currency))
    return NormalizedOffers(offers=OFFER.conform(offers), quarantine=quarantine)
