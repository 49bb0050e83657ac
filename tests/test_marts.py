"""The history marts on a staged market scenario: a fake discount (a raise, then a "drop" back to the old
price) is flagged and never a deal; a genuine drop is a deal; fct_price_daily forward-fills between changes.

The pipeline stamps history with the real clock, so the scenario is crawled market day by market day and each
crawl's history is then moved back to its market day (today = the last scenario day).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from pipeline_harness import DBT_MODELS, SELLER_ASSETS, Pipeline
from sqlalchemy import text

from goodseed_dagster.assets.exports import MARTS

SHOP = "hazehouse"  # EUR: base prices equal local ones, no FX in the arithmetic
TODAY = 28
FAKE = {0: Decimal(1), 5: Decimal("1.3"), 20: Decimal(1)}  # raised on day 5, "discounted" back on day 20
GENUINE = {0: Decimal(1), 25: Decimal("0.7")}  # 30 % off on day 25
CRAWL_DAYS = [5, 20, 25]


def _pick(p: Pipeline) -> tuple[tuple[str, int, str], tuple[str, int, str]]:
    """Two packs of always-listed products, in stock on the days that matter: (handle, pack, product URL)."""
    market = p.market
    stocked = {
        (o.product_url, o.pack_size)
        for day in (20, 25)
        for o in market.truth(SHOP, day)
        if o.in_stock and o.regular_price is None
    }
    picks = [
        (prod.handle, v.pack_size, f"{p.url}/s/{SHOP}/{prod.path}")
        for prod in market.products(SHOP, 0)[:10]
        for v in prod.variants
    ]
    picks = [x for x in picks if (x[2], x[1]) in stocked]
    return picks[0], next(x for x in picks if x[0] != picks[0][0])


def _backdate(p: Pipeline, crawl_day: dict[int, int]) -> None:
    """Move each crawl's history (and its offers' first sighting) back to its market day."""
    with p.engine.begin() as conn:
        for crawl_id, day in crawl_day.items():
            shift = timedelta(days=TODAY - day)
            conn.execute(
                text("UPDATE core.price_history SET observed_at = observed_at - :s WHERE crawl_id = :c"),
                {"s": shift, "c": crawl_id},
            )
        conn.execute(
            text("""UPDATE core.offers o SET first_seen_at = h.first FROM
                             (SELECT seller, offer_key, min(observed_at) AS first FROM core.price_history
                              GROUP BY 1, 2) h
                             WHERE h.seller = o.seller AND h.offer_key = o.offer_key""")
        )


@pytest.fixture
def scenario(crawled: Pipeline, monkeypatch: pytest.MonkeyPatch) -> tuple[Pipeline, str, str]:
    """The crawled market (day 0) with FAKE and GENUINE staged, crawled on CRAWL_DAYS, then the marts built."""
    fake, genuine = _pick(crawled)
    monkeypatch.setattr(
        crawled.market,
        "price_script",
        {(SHOP, fake[0], fake[1]): FAKE, (SHOP, genuine[0], genuine[1]): GENUINE},
    )
    with crawled.engine.connect() as conn:
        ids: list[int] = list(conn.execute(text("SELECT id FROM core.crawls")).scalars())
    crawl_day = dict.fromkeys(ids, 0)
    for day in CRAWL_DAYS:
        crawled.market.day = day
        crawled.materialize(SELLER_ASSETS, SHOP)
        with crawled.engine.connect() as conn:
            crawl_day[conn.execute(text("SELECT max(id) FROM core.crawls")).scalar_one()] = day
    _backdate(crawled, crawl_day)
    assert crawled.materialize(DBT_MODELS).success
    with crawled.engine.connect() as conn:
        keys = {
            (r.url, r.pack_size): r.offer_key
            for r in conn.execute(
                text("SELECT offer_key, url, pack_size FROM core.offers WHERE seller = :s"), {"s": SHOP}
            )
        }
    return crawled, keys[(fake[2], fake[1])], keys[(genuine[2], genuine[1])]


def _drop(p: Pipeline, offer_key: str) -> dict[str, Any] | None:
    with p.engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM marts.price_drops WHERE seller = :s AND offer_key = :k"),
            {"s": SHOP, "k": offer_key},
        ).first()
    return None if row is None else dict(row._mapping)


def test_price_history_marts_on_a_staged_scenario(scenario: tuple[Pipeline, str, str]) -> None:
    """One scenario (three crawls and a dbt build), three properties."""
    p, fake, genuine = scenario
    _fake_discount_is_flagged_and_never_a_deal(p, fake)
    _genuine_drop_is_a_deal(p, genuine)
    _price_daily_forward_fills_each_day_from_the_changes(p, fake)


def _fake_discount_is_flagged_and_never_a_deal(p: Pipeline, fake: str) -> None:
    drop = _drop(p, fake)
    assert drop is not None, "back to the old price after 15 days 30 % higher: below the 30-day median"
    assert drop["is_fake_discount"] is True and drop["is_deal"] is False
    assert abs(drop["drop_pct"] - Decimal("23.08")) <= Decimal("0.05")  # 1 - 1/1.3, prices in cents
    assert drop["price_base"] * Decimal("1.3") == pytest.approx(
        drop["previous_price_base"], abs=Decimal("0.01")
    )
    with p.engine.connect() as conn:
        listed = conn.execute(
            text("SELECT count(*) FROM marts.price_drops WHERE is_deal AND offer_key = :k"), {"k": fake}
        )
        assert listed.scalar_one() == 0


def _genuine_drop_is_a_deal(p: Pipeline, genuine: str) -> None:
    drop = _drop(p, genuine)
    assert drop is not None
    assert drop["is_fake_discount"] is False and drop["is_in_stock"] is True and drop["is_deal"] is True
    assert abs(drop["drop_pct"] - Decimal("30.00")) <= Decimal("0.05")
    assert drop["median_30d_price_base"] == drop["previous_price_base"]


def _price_daily_forward_fills_each_day_from_the_changes(p: Pipeline, fake: str) -> None:
    with p.engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT day, price_base, is_change FROM marts.fct_price_daily
                    WHERE seller = :s AND offer_key = :k ORDER BY day"""),
            {"s": SHOP, "k": fake},
        ).all()
        today: date = conn.execute(text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    assert [r.day for r in rows] == [today - timedelta(days=TODAY - d) for d in range(TODAY + 1)]
    assert [i for i, r in enumerate(rows) if r.is_change] == [0, 5, 20]
    base = rows[0].price_base
    for i, r in enumerate(rows):
        level = FAKE[max(d for d in FAKE if d <= i)]
        assert r.price_base == pytest.approx(base * level, abs=Decimal("0.01")), i


def test_weekly_export_writes_every_mart_as_parquet_with_its_row_count(crawled: Pipeline) -> None:
    result = crawled.materialize(DBT_MODELS | dg.AssetSelection.assets("marts_parquet_export"))
    (export,) = result.asset_materializations_for_node("marts_parquet_export")
    meta = export.metadata
    store = Path(crawled.resources["store"].root)
    with crawled.engine.connect() as conn:
        for mart in MARTS:
            want: int = conn.execute(text(f"SELECT count(*) FROM marts.{mart}")).scalar_one()
            (path,) = store.glob(f"exports/marts/*/{mart}.parquet")
            frame = pl.read_parquet(path)
            assert frame.height == want == meta[f"rows/{mart}"].value, mart
    assert want == 1 and frame["version"].len() == 1  # data_version, last in MARTS
    assert meta["dagster/row_count"].value == sum(int(str(meta[f"rows/{m}"].value)) for m in MARTS)
