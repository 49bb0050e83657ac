"""Listings and offers runs of one seller against a real database, with no crawl: the offers a page would
state go straight through the extract stage's storage (store_listings) and the offers stage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from goodseed_dagster.db.fx import upsert_fx
from goodseed_dagster.scraping.models import RawOffer
from goodseed_dagster.scraping.parse import ParseResult
from goodseed_dagster.stages.extract import ExtractOutcome, store_listings

# EUR is 1; XAU is so dear that a large price in it overflows numeric(14, 4) once converted to EUR
RATES = {"GBP": Decimal("0.85"), "USD": Decimal("1.1"), "IDR": Decimal("17000"), "XAU": Decimal("0.0004")}


def add_seller(engine: Engine, slug: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("""INSERT INTO core.sources (slug, name, platform, base_url, config, config_hash)
                    VALUES (:s, :s, 'auto', 'https://shop.example/', '{}', 'h')"""),
            {"s": slug},
        )
        upsert_fx(conn, date(2026, 11, 1), RATES)


def new_crawl(engine: Engine, seller: str, *, status: str = "ok", started_at: datetime | None = None) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                text("""INSERT INTO core.crawls (seller, started_at, finished_at, status)
                        VALUES (:s, :at, :at, :status) RETURNING id"""),
                {"s": seller, "at": started_at or datetime.now(UTC), "status": status},
            ).scalar_one()
        )


def offer(url: str, price: Any = Decimal("10"), /, **fields: Any) -> RawOffer:
    """A pack the page states: an in-stock feminized 5-seed pack of Gelato in EUR unless `fields` (any
    RawOffer field, url and price included) say otherwise."""
    o = RawOffer(url=url, name="Gelato Feminised", breeder="Blackskull", variant="5 Seeds", adapter="test")
    o.price, o.currency, o.in_stock = price, "EUR", True
    for name, value in fields.items():
        setattr(o, name, value)
    return o


def load(engine: Engine, seller: str, crawl_id: int, offers: Sequence[RawOffer]) -> ExtractOutcome:
    """The extract stage's storage step, as if every offer came from its own page."""
    parsed = ParseResult(offers=[(f"{o.url}#page" if isinstance(o.url, str) else "page", o) for o in offers])
    return store_listings(engine, seller, crawl_id, parsed)


def count(engine: Engine, sql: str, seller: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), {"s": seller}).scalar_one())


def assert_history_agrees(engine: Engine, seller: str) -> dict[str, tuple[Any, ...]]:
    """Every offer's newest price_history row states its current price, currency and stock; returns
    {offer_key: (price, in_stock, active)}."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT o.offer_key, o.price, o.currency, o.in_stock, o.active,
                           h.price AS h_price, h.currency AS h_currency, h.in_stock AS h_in_stock
                    FROM core.offers o
                    LEFT JOIN LATERAL (SELECT * FROM core.price_history h
                                       WHERE h.seller = o.seller AND h.offer_key = o.offer_key
                                       ORDER BY h.observed_at DESC, h.id DESC LIMIT 1) h ON true
                    WHERE o.seller = :s"""),
            {"s": seller},
        ).all()
    for r in rows:
        assert (r.h_price, r.h_currency, r.h_in_stock) == (r.price, r.currency, r.in_stock), r
    return {r.offer_key: (r.price, r.in_stock, r.active) for r in rows}
