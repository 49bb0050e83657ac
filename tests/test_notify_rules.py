"""The alert rules over marts built by dbt on the crawled market: each rule fires on its case and not otherwise.

The price rules run on test_marts' staged scenario (a fake discount and a genuine 30 % drop at one shop). The
stock and catalogue rules need histories a one-day crawl does not have, so those cases are staged by editing
the built mart tables (a sell-out day, an earlier first sighting), which is all the rules read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from pipeline_harness import DBT_MODELS, Pipeline
from sqlalchemy import Connection, text
from test_marts import SHOP, scenario  # noqa: F401  (the staged market scenario fixture)

from goodseed_dagster.notify.rules import evaluate

NOW = datetime.now(UTC)


def add_user(conn: Connection, email: str, **cols: Any) -> int:
    values = {"digest": "instant", "webhook_url": None, "unsubscribed_at": None, **cols}
    return int(
        conn.execute(
            text("""INSERT INTO app.users (email, unsubscribe_secret, digest, webhook_url, unsubscribed_at)
                    VALUES (:email, md5(random()::text), :digest, :webhook_url, :unsubscribed_at) RETURNING id"""),
            {"email": email, **values},
        ).scalar_one()
    )


def watch(conn: Connection, user: int, strain_key: str, **cols: Any) -> int:
    values = {"seller": None, "pack_seeds": None, "target_price_per_seed": None, "target_price_pack": None,
              "min_drop_pct": None, "created_at": NOW - timedelta(days=60), **cols}  # fmt: skip
    return int(
        conn.execute(
            text("""INSERT INTO app.watch_items (user_id, strain_key, seller, pack_seeds, target_price_per_seed,
                        target_price_pack, min_drop_pct, created_at)
                    VALUES (:u, :strain_key, :seller, :pack_seeds, :target_price_per_seed, :target_price_pack,
                        :min_drop_pct, :created_at) RETURNING id"""),
            {"u": user, "strain_key": strain_key, **values},
        ).scalar_one()
    )


def offer(conn: Connection, seller: str, offer_key: str) -> dict[str, Any]:
    row = conn.execute(
        text("SELECT * FROM marts.fct_offer_current WHERE seller = :s AND offer_key = :k"),
        {"s": seller, "k": offer_key},
    ).one()
    return dict(row._mapping)


def alerts_of(p: Pipeline, user: int) -> pl.DataFrame:
    with p.engine.connect() as conn:
        return evaluate(conn).filter(pl.col("user_id") == user)


def test_price_rules_on_a_staged_fake_discount_and_a_genuine_drop(
    scenario: tuple[Pipeline, str, str],  # noqa: F811
) -> None:
    p, fake_key, genuine_key = scenario
    with p.engine.begin() as conn:
        fake, genuine = offer(conn, SHOP, fake_key), offer(conn, SHOP, genuine_key)
        exact = {"seller": SHOP, "pack_seeds": genuine["pack_seeds"], "created_at": NOW}  # no past restock
        fake_watcher = add_user(conn, "fake@example.org")
        watch(conn, fake_watcher, fake["strain_key"], seller=SHOP, pack_seeds=fake["pack_seeds"], min_drop_pct=5,
              created_at=NOW)  # fmt: skip
        target = add_user(conn, "target@example.org")
        watch(conn, target, genuine["strain_key"], **exact, target_price_pack=genuine["price_base"])
        dropper = add_user(conn, "drop@example.org")
        watch(conn, dropper, genuine["strain_key"], **exact)
        picky = add_user(conn, "picky@example.org")  # wants 40 % off, and a target below the price
        watch(conn, picky, genuine["strain_key"], **exact, min_drop_pct=40,
              target_price_per_seed=genuine["price_per_seed_base"] * 9 / 10)  # fmt: skip

    assert alerts_of(p, fake_watcher).is_empty(), "a fake discount never alerts"
    (hit,) = alerts_of(p, target).to_dicts()  # target reached by the genuine drop: one alert, not two
    assert hit["rule"] == "target_price" and hit["offer_key"] == genuine_key
    (drop,) = alerts_of(p, dropper).to_dicts()
    assert drop["rule"] == "price_drop" and "-30.00%" in drop["promise"]
    assert alerts_of(p, picky).is_empty()
    promise = pl.Series([hit["promise"]]).str.json_decode().to_list()[0]
    assert promise["url"] == genuine["offer_url"] and promise["price_base"] == str(genuine["price_base"])
    assert promise["rule"] == "target_price" and promise["in_stock"] is True


@pytest.fixture
def marts(crawled: Pipeline) -> Pipeline:
    assert crawled.materialize(DBT_MODELS).success
    return crawled


def _two_seller_strain(conn: Connection) -> tuple[str, list[str]]:
    """A strain in stock at two sellers or more, and those sellers."""
    row = conn.execute(
        text("""SELECT strain_key, array_agg(DISTINCT seller ORDER BY seller) AS sellers
                FROM marts.fct_offer_current WHERE is_in_stock
                GROUP BY strain_key HAVING count(DISTINCT seller) >= 2 ORDER BY strain_key LIMIT 1""")
    ).one()
    return row.strain_key, list(row.sellers)


def _sell_out(conn: Connection, seller: str, offer_key: str, days_ago: int) -> None:
    """Stage fct_price_daily: the offer was out of stock `days_ago` days ago, in stock the day after."""
    conn.execute(
        text("""INSERT INTO marts.fct_price_daily (day, seller, offer_key, strain_key, price_base, stock_status,
                    is_in_stock, is_change)
                SELECT day - d, seller, offer_key, strain_key, price_base,
                    CASE WHEN d = :n THEN 'out_of_stock' ELSE 'in_stock' END, d <> :n, true
                FROM marts.fct_price_daily CROSS JOIN generate_series(1, :n) AS d
                WHERE seller = :s AND offer_key = :k AND day = (now() AT TIME ZONE 'UTC')::date
                ON CONFLICT (seller, offer_key, day) DO UPDATE SET stock_status = excluded.stock_status"""),
        {"s": seller, "k": offer_key, "n": days_ago},
    )


def test_back_in_stock_fires_per_restock_and_only_for_a_watched_offer(marts: Pipeline) -> None:
    with marts.engine.begin() as conn:
        strain, sellers = _two_seller_strain(conn)
        restocked: str = conn.execute(
            text(
                "SELECT offer_key FROM marts.fct_offer_current WHERE strain_key = :k AND seller = :s LIMIT 1"
            ),
            {"k": strain, "s": sellers[0]},
        ).scalar_one()
        _sell_out(conn, sellers[0], restocked, 5)
        conn.execute(  # every seller listed it long ago: no new-seller alert in the way
            text(
                "UPDATE marts.fct_offer_current SET first_seen_at = now() - interval '20 days' WHERE strain_key = :k"
            ),
            {"k": strain},
        )
        user, late = add_user(conn, "stock@example.org"), add_user(conn, "late@example.org")
        watch(conn, user, strain, created_at=NOW - timedelta(days=10))
        watch(conn, late, strain, created_at=NOW)  # watched after the restock: not news
    (first,) = alerts_of(marts, user).to_dicts()
    assert first["rule"] == "back_in_stock" and (first["seller"], first["offer_key"]) == (
        sellers[0],
        restocked,
    )
    assert alerts_of(marts, late).is_empty()
    with marts.engine.begin() as conn:  # sold out again two days ago, back yesterday: a new alert
        _sell_out(conn, sellers[0], restocked, 2)
    (again,) = alerts_of(marts, user).to_dicts()
    assert again["rule"] == "back_in_stock" and again["dedupe_key"] != first["dedupe_key"]


def test_new_strain_from_a_followed_breeder_only_after_the_follow(marts: Pipeline) -> None:
    with marts.engine.begin() as conn:
        row = conn.execute(
            text("""SELECT s.breeder, count(*) FROM marts.strain_search s
                    WHERE s.strain_key IN (SELECT strain_key FROM marts.fct_offer_current) AND s.breeder IS NOT NULL
                    GROUP BY s.breeder ORDER BY count(*) DESC, s.breeder LIMIT 1""")
        ).one()
        breeder, strains = str(row[0]), int(row[1])
        early, late = add_user(conn, "early@example.org"), add_user(conn, "late@example.org")
        conn.execute(
            text("""INSERT INTO app.followed_breeders (user_id, breeder, created_at)
                    VALUES (:a, :b, now() - interval '30 days'), (:c, :b, now())"""),
            {"a": early, "b": breeder.upper(), "c": late},
        )
    got = alerts_of(marts, early)
    assert set(got["rule"]) == {"new_strain"} and got.height == strains
    assert alerts_of(marts, late).is_empty(), "strains seen before the follow are not new"


def test_new_seller_of_a_watched_strain(marts: Pipeline) -> None:
    with marts.engine.begin() as conn:
        strain, sellers = _two_seller_strain(conn)
        user = add_user(conn, "seller@example.org")
        watch(conn, user, strain, created_at=NOW - timedelta(days=1))
        filtered = add_user(conn, "one-shop@example.org")  # watches one seller: another shop is no news
        watch(conn, filtered, strain, seller=sellers[0], created_at=NOW - timedelta(days=1))
        conn.execute(  # every seller but the last listed the strain before the watch item
            text("""UPDATE marts.fct_offer_current SET first_seen_at = now() - interval '2 days'
                    WHERE strain_key = :k AND seller <> :s"""),
            {"k": strain, "s": sellers[-1]},
        )
    (hit,) = alerts_of(marts, user).to_dicts()
    assert hit["rule"] == "new_seller" and hit["seller"] == sellers[-1]
    assert alerts_of(marts, filtered).is_empty()
    with marts.engine.begin() as conn:  # the seller had listed it before (an offer since retired)
        conn.execute(
            text("""INSERT INTO marts.fct_price_daily (day, seller, offer_key, strain_key, price_base,
                        stock_status, is_in_stock, is_change)
                    VALUES ((now() AT TIME ZONE 'UTC')::date - 20, :s, 'retired-offer', :k, 1, 'in_stock', true, true)"""),
            {"k": strain, "s": sellers[-1]},
        )
    assert alerts_of(marts, user).is_empty()


def test_unsubscribed_and_off_users_get_no_alerts(marts: Pipeline) -> None:
    with marts.engine.begin() as conn:
        strain, _ = _two_seller_strain(conn)
        cheap = {"target_price_per_seed": 1_000_000}  # any in-stock offer reaches it
        users = {
            "instant": add_user(conn, "i@example.org"),
            "weekly": add_user(conn, "w@example.org", digest="weekly"),
            "off": add_user(conn, "o@example.org", digest="off"),
            "gone": add_user(conn, "g@example.org", unsubscribed_at=NOW),
        }
        for u in users.values():
            watch(conn, u, strain, created_at=datetime.now(UTC), **cheap)  # after the crawl: no new sellers
    fired = {name: alerts_of(marts, u).height for name, u in users.items()}
    assert fired == {"instant": 1, "weekly": 1, "off": 0, "gone": 0}
