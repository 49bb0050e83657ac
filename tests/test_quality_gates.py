"""Quality gates that can fail: a shop redesign that halves its listings blocks that seller's offers (the
previous ones stay published) while the other sellers publish; every soft gate fails on bad input and passes
on good input, with the reason a person reads in the UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dagster as dg
import pandas as pd
import polars as pl
import pytest
from pipeline_harness import SELLER_ASSETS, Pipeline
from pydantic import SecretStr
from sqlalchemy import Engine, text

from goodseed_dagster.alerts import AlertReceiver
from goodseed_dagster.market import Market
from goodseed_dagster.market.faults import FaultRates, Faults
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.sensors.alerts import build_sensors
from goodseed_dagster.settings import Settings
from goodseed_dagster.stages.quality import (
    DUPLICATE_REASON,
    count_change_verdict,
    duplicate_keys_verdict,
    expectations_verdict,
    fill_rate_verdict,
    price_band_verdict,
    quarantine_verdict,
)


def _offers(engine: Engine, seller: str) -> list[tuple[Any, ...]]:
    """Every column of every core.offers row of the seller (active or not), and its price history."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM core.offers WHERE seller = :s ORDER BY offer_key"), {"s": seller}
        )
        history = conn.execute(
            text("SELECT * FROM core.price_history WHERE seller = :s ORDER BY id"), {"s": seller}
        )
        return [tuple(r) for r in rows] + [tuple(r) for r in history]


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


@pytest.fixture
def broken_shop(crawled: Pipeline) -> Iterator[str]:
    """The first shop's template now shows 40 % of its products (the market's hide_share knob)."""
    slug = crawled.market.shops[0].slug
    crawled.market.faults = Faults(per_shop={slug: FaultRates(hide_share=0.6)})
    yield slug
    crawled.market.faults = Faults()


def test_listings_more_than_halved_block_only_that_seller_and_keep_its_offers(
    crawled: Pipeline, broken_shop: str
) -> None:
    before = _offers(crawled.engine, broken_shop)
    crawled.market.day = 1  # prices move: the sellers that publish visibly change their offers
    results = {s: crawled.materialize(SELLER_ASSETS, s, raise_on_error=False) for s in crawled.slugs}
    assert [s for s, r in results.items() if not r.success] == [broken_shop]  # only that seller's run fails

    blocked = results[broken_shop]
    steps = [e.step_key for e in blocked.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert steps == []  # a failed gate is no transient error: the extraction is not retried
    gate = _checks(blocked)["listing_count_stable"]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    assert (
        gate.description is not None
        and " fell from " in gate.description
        and "against crawl" in gate.description
    )
    meta = gate.metadata
    assert meta["listings"].value < 0.5 * meta["previous_listings"].value  # type: ignore[operator]
    assert blocked.asset_materializations_for_node("offers") == []  # skipped: nothing published
    assert _offers(crawled.engine, broken_shop) == before  # the previous offers stay exactly as they were

    truth, published = crawled.truth(), crawled.active_offers()
    for slug in crawled.slugs:
        if slug == broken_shop:
            continue
        checks = _checks(results[slug])
        assert checks["listing_count_stable"].passed, checks["listing_count_stable"].description
        assert published[slug] == truth[slug]  # the others published the new day
        failed = {n: c.description for n, c in checks.items() if not c.passed}
        assert failed == {}, (slug, failed)

    # still broken the next day: the baseline is the last published crawl, so it keeps failing
    crawled.market.day = 2
    again = crawled.materialize(SELLER_ASSETS, broken_shop, raise_on_error=False)
    assert not _checks(again)["listing_count_stable"].passed
    assert _offers(crawled.engine, broken_shop) == before
    # the shop is fixed: the gate passes and the seller publishes again
    crawled.market.faults = Faults()
    fixed = crawled.materialize(SELLER_ASSETS, broken_shop)
    assert _checks(fixed)["listing_count_stable"].passed
    assert crawled.active_offers()[broken_shop] == crawled.truth()[broken_shop]


def test_great_expectations_results_are_in_the_check_metadata(crawled: Pipeline) -> None:
    slug = crawled.slugs[1]
    result = crawled.materialize(SELLER_ASSETS, slug)
    ge = _checks(result)["offers_expectations"]
    assert ge.passed, ge.description
    outcomes = ge.metadata["expectations"].value
    assert isinstance(outcomes, list) and len(outcomes) >= 10
    assert {"type", "success", "unexpected_count"} <= set(outcomes[0])
    assert {o["type"] for o in outcomes} >= {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
    }
    assert all(o["success"] for o in outcomes)
    same = _checks(result)["listing_count_stable"]  # the same market day: the count of the published crawl
    assert (
        same.passed and same.description is not None and same.description.startswith("listings stayed from")
    )


def test_hide_share_knob_is_reproducible_and_per_shop() -> None:
    shops = [s.slug for s in Market().shops]
    healthy = Market(products_per_shop=200)
    broken = Market(products_per_shop=200, faults=Faults(per_shop={shops[0]: FaultRates(hide_share=0.5)}))
    shown = [p.handle for p in broken.products(shops[0])]
    n = len(healthy.products(shops[0]))
    assert len(shown) in (n // 2, n - n // 2)
    assert shown == [p.handle for p in broken.products(shops[0])]  # the same products every request
    assert len(broken.truth(shops[1])) == len(healthy.truth(shops[1]))


# --- each soft gate: fails on bad input, passes on good input -----------------------------------------------


def test_listing_count_change() -> None:
    fell = count_change_verdict(88, 212, 41, 0.5)
    assert not fell.passed
    assert fell.reason.startswith("listings fell from 212 to 88 (-58%) against crawl 41")
    assert count_change_verdict(150, 212, 41, 0.5).passed
    assert count_change_verdict(400, 212, 41, 0.5).passed  # a shop that grows is not broken


def _facts(pack: list[int | None]) -> pl.DataFrame:
    n = len(pack)
    return pl.DataFrame({"name": ["x"] * n, "price": [1.0] * n, "currency": ["EUR"] * n, "pack_size": pack})


def test_fill_rate() -> None:
    bad = fill_rate_verdict(_facts([5, None, None, 3]), 0.8)
    assert not bad.passed and bad.reason == "pack_size 50% filled in 4 listings (minimum 80%)"
    assert bad.metadata["fill_pack_size"] == 0.5
    assert fill_rate_verdict(_facts([5, 3, 10, 1]), 0.8).passed


def test_quarantine_share() -> None:
    bad = quarantine_verdict({"extract": 10, "normalize": 20}, 70, 0.2)
    assert not bad.passed and "30 of 100 records quarantined (30%" in bad.reason
    assert quarantine_verdict({"normalize": 3}, 97, 0.2).passed
    assert quarantine_verdict({}, 0, 0.2).passed


def test_duplicate_offer_keys() -> None:
    rejects = pl.DataFrame(
        {"url": ["u1", "u1", "u2"], "reason": [DUPLICATE_REASON, DUPLICATE_REASON, "no price"]}
    )
    bad = duplicate_keys_verdict(rejects, 50)
    assert not bad.passed and bad.metadata["duplicate_rows"] == 2 and "e.g. u1" in bad.reason
    assert duplicate_keys_verdict(rejects.filter(pl.col("url") == "u2"), 50).passed


def test_price_per_seed_band() -> None:
    offers = pl.DataFrame(
        {
            "currency": ["EUR", "USD", "USD", "GBP"],
            "price_per_seed_base": [Decimal("5"), Decimal("0.01"), Decimal("0.02"), Decimal("250")],
        }
    )
    bad = price_band_verdict(offers, 0.05, 100, "EUR")
    assert not bad.passed and bad.metadata["outside_USD"] == 2 and bad.metadata["outside_GBP"] == 1
    assert "3 of 4 offers outside 0.05-100 EUR/seed" in bad.reason
    assert price_band_verdict(offers.head(1), 0.05, 100, "EUR").passed


def _active(**change: list[Any]) -> pd.DataFrame:
    good = {
        "offer_key": ["a", "b"],
        "breeder": ["Dinafem", "Barney's Farm"],
        "strain_name": ["Critical", "Tangerine Dream"],
        "sex": ["feminized", None],
        "flowering": ["autoflower", "photoperiod"],
        "pack_size": [3, 5],
        "price": [20.0, 45.0],
        "currency": ["EUR", "GBP"],
        "price_per_seed_base": [6.67, 10.5],
    }
    return pd.DataFrame(good | change)


def test_great_expectations_suite() -> None:
    ok = expectations_verdict(_active(), 0.05, 100)
    assert ok.passed and ok.metadata["failed_expectations"] == 0
    bad = expectations_verdict(_active(offer_key=["a", "a"], currency=["EUR", "usd"]), 0.05, 100)
    assert not bad.passed and bad.metadata["failed_expectations"] == 2
    failed = {(o["type"], o["unexpected_count"]) for o in bad.metadata["expectations"] if not o["success"]}
    assert failed == {("expect_column_values_to_be_unique", 2), ("expect_column_values_to_match_regex", 1)}
    assert not expectations_verdict(_active().head(0), 0.05, 100).passed  # no active offers at all


def test_a_halved_seller_alerts_once_with_seller_check_and_reason(
    crawled: Pipeline, broken_shop: str
) -> None:
    """The run fails because the gate did: the data team hears it once, from the check, with its reason."""
    from pipeline_harness import DEFS

    crawled.market.day = 1
    result = crawled.materialize(SELLER_ASSETS, broken_shop, raise_on_error=False)
    assert not result.success
    pg = Postgres(url=crawled.engine.url.render_as_string(hide_password=False))
    with AlertReceiver() as receiver:
        sensors = {s.name: s for s in build_sensors(Settings(alert_urls=[SecretStr(receiver.apprise_url)]))}
        for _ in range(2):  # the daemon evaluates every sensor again and again
            run_failed = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alert_sensor",
                dagster_event=result.get_run_failure_event(),
                dagster_instance=crawled.instance,
                dagster_run=result.dagster_run,
                resources={"pg": pg},
            ).for_run_failure()
            sensors["run_failure_alert_sensor"](run_failed)
            with dg.build_sensor_context(
                instance=crawled.instance, resources={"pg": pg}, definitions=DEFS
            ) as context:
                sensors["check_failure_alert_sensor"](context)
        [got] = receiver.alerts()
    assert got.field("Seller") == broken_shop
    assert got.field("Check") == "listings:listing_count_stable"
    assert " fell from " in (got.field("Reason") or "")
