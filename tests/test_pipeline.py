"""The thin slice end to end, in-process: sources → raw_pages → listings → offers → strain_catalogue,
against the simulated market over real HTTP and a real Postgres.

The market is crawled once per session (conftest's `crawled_market`); each test works on a copy.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from pipeline_harness import DBT_MODELS, Pipeline, pipeline_on
from sqlalchemy import Engine, text

from goodseed_dagster.market import MarketServer


@pytest.fixture
def env(crawled: Pipeline) -> Pipeline:
    """A copy of the session's crawl: every shop crawled, then the catalogue."""
    return crawled


def _history(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT seller, offer_key, crawl_id, price, in_stock FROM core.price_history ORDER BY 1, 2, 3"
                )
            )
        ]


def test_every_shop_lands_exactly_and_the_catalogue_matches_across_shops(env: Pipeline) -> None:
    assert env.active_offers() == env.truth()
    with env.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM core.quarantine")).scalar() == 0
        linked = conn.execute(
            text("SELECT seller, url, pack_size, strain_key FROM core.offers WHERE active")
        ).all()
    assert all(r.strain_key for r in linked)
    # entity resolution against the market's own catalogue identity
    strain_id = {
        (o.shop, o.product_url, o.pack_size): o.strain_id
        for s in env.market.shops
        for o in env.market.truth(s.slug)
    }
    ids_per_key: dict[str, set[str]] = defaultdict(set)
    keys_per_id: dict[str, set[str]] = defaultdict(set)
    for r in linked:
        sid = strain_id[(r.seller, r.url, r.pack_size)]
        ids_per_key[r.strain_key].add(sid)
        keys_per_id[sid].add(r.strain_key)
    assert {k: v for k, v in ids_per_key.items() if len(v) > 1} == {}, "different strains merged"
    assert {k: v for k, v in keys_per_id.items() if len(v) > 1} == {}, "one strain split in several"
    shared = [k for k, ids in ids_per_key.items() if len({r.seller for r in linked if r.strain_key == k}) > 1]
    assert len(shared) >= 5


def test_dbt_marts_build_with_passing_tests(env: Pipeline) -> None:
    result = env.materialize(DBT_MODELS)
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 10 and [c.asset_check_key for c in checks if not c.passed] == []
    with env.engine.connect() as conn:
        strains = conn.execute(text("SELECT count(*) FROM core.strains")).scalar()
        in_stock = conn.execute(
            text(
                "SELECT count(DISTINCT strain_key) FROM core.offers"
                " WHERE active AND in_stock IS NOT false AND strain_key IS NOT NULL"
            )
        ).scalar()
        assert conn.execute(text("SELECT count(*) FROM marts.dim_strain")).scalar() == strains
        assert conn.execute(text("SELECT count(*) FROM marts.best_price_per_strain")).scalar() == in_stock
        cheapest = conn.execute(
            text("""SELECT count(*) FROM marts.best_price_per_strain b JOIN core.offers o USING (strain_key)
                    WHERE o.active AND o.in_stock IS NOT false AND o.price_per_seed_base < b.price_per_seed_base""")
        ).scalar()
    assert cheapest == 0


def test_rerunning_a_partition_changes_nothing(env: Pipeline) -> None:
    before = (env.active_offers(), _history(env.engine))
    slug = env.market.shops[0].slug
    env.materialize(["listings", "offers"], slug)
    env.materialize(["strain_catalogue"])
    assert (env.active_offers(), _history(env.engine)) == before


def test_next_market_day_adds_history_only_for_changed_offers(env: Pipeline) -> None:
    first = _history(env.engine)
    env.market.day = 1
    env.crawl_all()
    added = [h for h in _history(env.engine) if h not in first]
    diff = env.market.diff(0, 1)
    assert len(added) == len(diff.changed) + len(diff.appeared)
    assert len(diff.changed) > 0
    assert env.active_offers() == env.truth()


def test_materialization_reports_metadata(market: MarketServer, fresh_pg_url: str, tmp_path: Path) -> None:
    with pipeline_on(market, fresh_pg_url, tmp_path) as env:
        env.materialize(["seller_sources", "fx_rates"])
        slug = env.market.shops[0].slug
        env.instance.add_dynamic_partitions("sellers", [slug])
        result = env.materialize(["raw_pages", "listings", "offers"], slug)
    crawl = result.asset_materializations_for_node("raw_pages")[0].metadata
    fetched = crawl["pages_fetched"].value
    assert isinstance(fetched, int) and fetched > 0 and crawl["pages_failed"].value == 0
    listing = result.asset_materializations_for_node("listings")[0].metadata
    assert listing["fill_price"].value == 1.0
    assert listing["dagster/row_count"].value == len(env.market.truth(slug))
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} >= {"listing_count_stable", "offers_expectations"}
    assert [(c.check_name, c.description) for c in checks if not c.passed] == []
    first = next(c for c in checks if c.check_name == "listing_count_stable")
    assert first.description == "no previous complete crawl"
