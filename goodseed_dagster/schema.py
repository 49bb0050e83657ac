"""Every column of a listing, of the facts `goodseed extract` prints, and of an offer, declared once.

The extraction model (scraping.models.RawOffer, checked against LISTING by tests/test_schema.py), the
polars frames, the COPY column lists, reconcile's field list and the tests all derive from these
declarations; a test compares LISTING and OFFER with the tables the migrations create. Prices are Decimal
end to end (polars Decimal, Postgres numeric): no float where a price is stored or compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

PRICE = pl.Decimal(14, 4)  # numeric(14, 4) in Postgres
RATE = pl.Decimal(18, 8)  # numeric(18, 8): units of a currency per 1 EUR


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: pl.DataType
    nullable: bool
    doc: str
    stated: bool = False  # a field the page states, whose producer extraction records (`<name>_source`)


@dataclass(frozen=True, slots=True)
class Table:
    """A frame's columns in order; `table` is where it is stored (None: never stored), with `keys` added
    by the loader and `maintained` kept by the storage layer itself (never in the frame)."""

    table: str | None
    columns: tuple[Column, ...]
    keys: tuple[Column, ...] = ()
    maintained: tuple[Column, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}

    @property
    def stated(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.stated)

    def frame(self, rows: Iterable[Mapping[str, Any]] = ()) -> pl.DataFrame:
        """Rows (dicts with any subset of the columns; other keys are ignored) as a frame of exactly this
        schema."""
        names = self.names
        return pl.DataFrame([{k: r.get(k) for k in names} for r in rows], schema=self.schema)

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` cast to this schema, columns in order; a column it lacks is all null."""
        return frame.select(
            [
                pl.col(c.name).cast(c.dtype)
                if c.name in frame.columns
                else pl.lit(None, c.dtype).alias(c.name)
                for c in self.columns
            ]
        )


def _c(name: str, dtype: pl.DataType, doc: str, *, nullable: bool = True, stated: bool = False) -> Column:
    return Column(name, dtype, nullable, doc, stated)


SELLER = _c("seller", pl.String(), "the seller's slug (partition key)", nullable=False)
CRAWL_ID = _c("crawl_id", pl.Int64(), "the crawl (core.crawls.id) this row comes from", nullable=False)
URL = _c("url", pl.String(), "the product's canonical URL", nullable=False)
PRODUCT_ID = _c("product_id", pl.String(), "the shop's own product id, when it states one")
NAME = _c("name", pl.String(), "product name as printed", stated=True)
BREEDER = _c("breeder", pl.String(), "breeder / brand as printed", stated=True)
PRICE_NOW = _c("price", PRICE, "the pack's price in `currency`", stated=True)
CURRENCY = _c("currency", pl.String(), "ISO 4217 code of `price`", stated=True)
IN_STOCK = _c("in_stock", pl.Boolean(), "true / false; null when the page does not say", stated=True)
REGULAR_PRICE = _c("regular_price", PRICE, 'the struck "was" price, when the page shows one', stated=True)
SEX = _c("sex", pl.String(), "feminized | regular; null when nothing the page states says")
FLOWERING = _c("flowering", pl.String(), "autoflower | photoperiod; null when nothing the page states says")

# What extraction hands on: the page's own words and numbers, no inference (normalize reads them).
LISTING = Table(
    "core.listings",
    (
        _c("page_url", pl.String(), "the page the offer was read from", nullable=False),
        URL,
        PRODUCT_ID,
        NAME,
        BREEDER,
        _c("variant", pl.String(), "the pack's variant title or option values as printed", stated=True),
        _c(
            "labels",
            pl.String(),
            "what the page states about the product's kind: attribute-table values (Sex, Flowering Type), "
            "tags, categories; ' | '-separated",
            stated=True,
        ),
        _c(
            "pack_size",
            pl.Int64(),
            "seeds per pack when the page states it as a number (schema.org eligibleQuantity); otherwise "
            "normalize reads it from the variant or the name",
            stated=True,
        ),
        PRICE_NOW,
        CURRENCY,
        IN_STOCK,
        REGULAR_PRICE,
        _c("adapter", pl.String(), "the extraction adapter that produced the offer", nullable=False),
        _c(
            "evidence",
            pl.String(),
            "JSON {stated field: platform | structured | config | visible}: what each value rests on "
            "(extraction.evidence_of), set by listing_frame, not by an adapter",
        ),
    ),
    keys=(CRAWL_ID, SELLER),
)

# What a page states about one offer once normalize's text rules have read its words: the
# `goodseed extract` contract (in this order) and the extraction scorecard. Never stored.
FACTS = Table(
    None,
    (
        URL,
        NAME,
        BREEDER,
        SEX,
        FLOWERING,
        _c("pack_size", pl.Int64(), "seeds per pack: stated, or read from the variant or the name"),
        PRICE_NOW,
        CURRENCY,
        IN_STOCK,
    ),
)

OFFER = Table(
    "core.offers",
    (
        _c(
            "offer_key",
            pl.String(),
            "product id (or URL) + '#' + pack size: unique per seller",
            nullable=False,
        ),
        _c("url", pl.String(), "the product's URL", nullable=False),
        PRODUCT_ID,
        _c("title", pl.String(), "product name as printed, trimmed", nullable=False),
        _c("breeder_raw", pl.String(), "breeder as printed"),
        _c("breeder", pl.String(), "breeder display name ('Unknown' when not stated)", nullable=False),
        _c("strain_name", pl.String(), "canonical strain name", nullable=False),
        _c("sex", pl.String(), "feminized | regular | null (not stated)"),
        _c("flowering", pl.String(), "autoflower | photoperiod (photoperiod unless stated otherwise)"),
        _c("pack_size", pl.Int64(), "seeds per pack (> 0)", nullable=False),
        _c("price", PRICE, "the pack's price in `currency` (> 0)", nullable=False),
        _c("currency", pl.String(), "ISO 4217 code of `price`", nullable=False),
        _c("regular_price", PRICE, 'the struck "was" price'),
        _c("price_base", PRICE, "price in the base currency", nullable=False),
        _c("price_per_seed_base", PRICE, "price_base / pack_size", nullable=False),
        _c("base_currency", pl.String(), "ISO 4217 code of the base currency", nullable=False),
        _c("in_stock", pl.Boolean(), "true / false / null (unknown)"),
        _c(
            "match_key", pl.String(), "breeder|strain|sex|flowering key for entity resolution", nullable=False
        ),
    ),
    keys=(SELLER, CRAWL_ID),
    maintained=(
        _c("strain_key", pl.String(), "the catalogue strain (core.strains) entity resolution linked"),
        _c("active", pl.Boolean(), "seen in the seller's last complete crawl", nullable=False),
        _c("first_seen_at", pl.Datetime("us", "UTC"), "when the offer first appeared", nullable=False),
        _c("last_seen_at", pl.Datetime("us", "UTC"), "when a crawl last saw it", nullable=False),
    ),
)

FX = Table(
    "core.fx_rates",
    (
        _c("currency", pl.String(), "ISO 4217 code", nullable=False),
        _c("per_eur", RATE, "units of the currency per 1 EUR (> 0)", nullable=False),
    ),
    keys=(_c("day", pl.Date(), "the day the rates are for", nullable=False),),
)
