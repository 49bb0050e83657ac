"""Offers merge into Postgres: change-only price history, idempotent re-runs, partial crawls retire nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Row, text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.db.offers import MergeCounts, merge_offers
from goodseed_dagster.db.quarantine import replace_quarantine
from goodseed_dagster.db.sources import start_crawl, sync_sources
from goodseed_dagster.normalize.fx import fx_frame
from goodseed_dagster.normalize.offers import normalize_offers
from goodseed_dagster.scraping.models import SourceConfig

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _offers(prices: dict[str, float], stock: dict[str, bool] | None = None) -> pl.DataFrame:
    urls = list(prices)
    listings = pl.DataFrame(
        {
            "url": urls,
            "name": ["Gelato Feminised"] * len(urls),
            "breeder": ["Blackskull"] * len(urls),
            "variant": ["5 Seeds"] * len(urls),
            "price": list(prices.values()),
            "currency": ["EUR"] * len(urls),
            "in_stock": [(stock or {}).get(u, True) for u in urls],
        }
    )
    return normalize_offers(listings, fx_frame({})).offers


def _snapshot(conn: Connection) -> tuple[Sequence[Row[Any]], Sequence[Row[Any]]]:
    offers = conn.execute(
        text("SELECT offer_key, price, in_stock, active, last_seen_at FROM core.offers ORDER BY 1")
    ).all()
    history = conn.execute(
        text("SELECT offer_key, crawl_id, price, in_stock FROM core.price_history ORDER BY 1, 2")
    ).all()
    return offers, history


def test_history_records_changes_only_and_reruns_change_nothing(fresh_pg_url: str) -> None:
    engine = engine_for(fresh_pg_url)
    with engine.begin() as conn:
        sync_sources(conn, [SourceConfig(slug="shop", name="Shop", base_url="https://shop.example/")])
        c1, c2, c3 = (start_crawl(conn, "shop") for _ in range(3))

    day1 = _offers({"a": 10.0, "b": 20.0, "c": 30.0})
    with engine.begin() as conn:
        counts = merge_offers(conn, "shop", c1, T0, day1, complete=True)
    assert counts == MergeCounts(offers=3, new_offers=3, price_changes=3, deactivated=0)

    # the same crawl again: identical tables
    with engine.begin() as conn:
        before = _snapshot(conn)
        merge_offers(conn, "shop", c1, T0, day1, complete=True)
        assert _snapshot(conn) == before

    # day 2: a's price moves, b sells out, c is unchanged, d appears
    day2 = _offers({"a": 9.0, "b": 20.0, "c": 30.0, "d": 5.0}, stock={"b": False})
    with engine.begin() as conn:
        counts = merge_offers(conn, "shop", c2, T0 + timedelta(days=1), day2, complete=True)
    assert counts.price_changes == 3 and counts.new_offers == 1
    with engine.begin() as conn:
        _, history = _snapshot(conn)
    assert [(h.offer_key, h.crawl_id) for h in history if h.crawl_id == c2] == [
        ("a#5", c2),
        ("b#5", c2),
        ("d#5", c2),
    ]

    # day 3, partial crawl that missed c and d: nothing retired; a complete one would retire them
    with engine.begin() as conn:
        seen = day2.filter(pl.col("url").is_in(["a", "b"]))
        counts = merge_offers(conn, "shop", c3, T0 + timedelta(days=2), seen, complete=False)
        assert counts.deactivated == 0 and counts.price_changes == 0
        counts = merge_offers(conn, "shop", c3, T0 + timedelta(days=2), seen, complete=True)
        assert counts.deactivated == 2
        active: Sequence[str] = (
            conn.execute(text("SELECT offer_key FROM core.offers WHERE active ORDER BY 1")).scalars().all()
        )
    assert active == ["a#5", "b#5"]


def test_quarantine_replaces_its_own_stage_and_crawl(fresh_pg_url: str) -> None:
    engine = engine_for(fresh_pg_url)
    rejects = pl.DataFrame(
        {"url": ["x", "y"], "price": [None, -1.0], "reason": ["no price", "price is not positive"]}
    )
    with engine.begin() as conn:
        assert replace_quarantine(conn, "shop", 1, "normalize", rejects) == 2
        assert replace_quarantine(conn, "shop", 1, "normalize", rejects) == 2
        replace_quarantine(conn, "shop", 1, "extract", rejects.head(1))
        rows = conn.execute(
            text("SELECT stage, reason, record->>'url' AS url FROM core.quarantine ORDER BY id")
        ).all()
    assert [(r.stage, r.reason, r.url) for r in rows] == [
        ("normalize", "no price", "x"),
        ("normalize", "price is not positive", "y"),
        ("extract", "no price", "x"),
    ]
