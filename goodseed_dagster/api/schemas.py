"""Response models: the API's contract, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    database: str
    sellers: int = 0
    strains: int = 0
    offers: int = 0
    last_crawl_at: datetime | None = None


class BestOffer(BaseModel):
    seller: str
    pack_size: int
    price: Decimal
    currency: str
    price_per_seed: Decimal
    base_currency: str
    url: str


class Strain(BaseModel):
    id: str
    name: str
    breeder: str
    sex: str | None
    flowering: str | None
    sellers: list[str]
    offer_count: int
    best_offer: BestOffer


class StrainPage(BaseModel):
    items: list[Strain]
    next_cursor: str | None
