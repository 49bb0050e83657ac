"""Response models: the API's contract (and its OpenAPI), never ORM rows. Money in the base currency is
`*_base`, in the shop's currency `*_local`; ids of strains are the marts' strain_key."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

StockStatus = Literal["in_stock", "out_of_stock", "unknown"]


class Error(BaseModel):
    detail: str


class BestOffer(BaseModel):
    seller: str
    offer_key: str
    url: str
    pack_seeds: int | None
    price_local: Decimal | None
    currency_local: str | None
    price_per_seed_base: Decimal | None


class Strain(BaseModel):
    id: str
    name: str
    breeder: str | None
    sex: str | None
    flowering: str | None
    sellers: list[str]
    seller_count: int
    offer_count: int
    in_stock_offer_count: int
    is_in_stock: bool
    base_currency: str | None
    best_offer: BestOffer | None = Field(description="Cheapest in-stock offer per seed; null when none is.")
    last_change_at: datetime | None
    first_seen_at: datetime | None


class StrainPage(BaseModel):
    items: list[Strain]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class Offer(BaseModel):
    seller: str
    seller_name: str | None
    offer_key: str
    url: str
    title: str | None
    pack_seeds: int | None
    price_local: Decimal | None
    currency_local: str | None
    regular_price_local: Decimal | None
    price_base: Decimal | None
    price_per_seed_base: Decimal | None
    base_currency: str | None
    stock_status: StockStatus
    is_in_stock: bool
    is_best: bool = Field(description="The strain's cheapest in-stock offer per seed.")
    first_seen_at: datetime | None
    last_seen_at: datetime | None


class StrainDetail(Strain):
    aliases: str | None
    offers: list[Offer]


class PricePoint(BaseModel):
    day: date
    price_local: Decimal | None
    currency_local: str | None
    price_base: Decimal | None
    price_per_seed_base: Decimal | None
    stock_status: StockStatus
    is_in_stock: bool
    is_change: bool = Field(
        description="A price or stock change was recorded that day (else forward-filled)."
    )


class OfferSeries(BaseModel):
    seller: str
    offer_key: str
    points: list[PricePoint]


class PriceHistory(BaseModel):
    strain_id: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    series: list[OfferSeries]

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class Seller(BaseModel):
    slug: str
    name: str | None
    platform: str | None
    is_enabled: bool
    active_offer_count: int
    strain_count: int
    last_seen_at: datetime | None


class Crawl(BaseModel):
    """A seller's last crawl and freshness (marts.seller_health)."""

    seller: str
    last_crawl_id: int | None
    last_crawl_status: str | None
    last_crawl_started_at: datetime | None
    last_crawl_finished_at: datetime | None
    last_crawl_pages: int | None
    last_crawl_failed_pages: int | None
    last_success_at: datetime | None
    hours_since_success: float | None
    is_fresh: bool


class SellerHealth(Crawl):
    crawls_30d: int | None
    crawl_success_rate_30d: float | None
    active_offer_count: int | None
    fill_breeder: float | None
    fill_sex: float | None
    fill_flowering: float | None
    fill_stock: float | None
    quarantine_rate: float | None


class SellerDetail(Seller):
    health: SellerHealth | None


class Deal(BaseModel):
    seller: str
    offer_key: str
    strain_id: str
    strain_name: str | None
    breeder: str | None
    url: str
    title: str | None
    pack_seeds: int | None
    price_base: Decimal | None
    price_per_seed_base: Decimal | None
    base_currency: str | None
    median_30d_price_base: Decimal | None
    previous_price_base: Decimal | None
    drop_pct: Decimal
    changed_at: datetime | None


class ScrapeRequestIn(BaseModel):
    seller: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    note: str | None = Field(default=None, max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")


class ScrapeRequestAccepted(BaseModel):
    id: uuid.UUID
    seller: str
    status: Literal["pending"] = "pending"


class SellerFreshness(BaseModel):
    seller: str
    is_fresh: bool
    last_success_at: datetime | None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    data_version: str | None = None
    built_at: datetime | None = None
    sellers: list[SellerFreshness] = []
