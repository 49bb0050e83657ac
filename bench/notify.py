"""Notification batches benchmark: 100,000 users × 20 watch items against the demo marts.

    python bench/notify.py [--users 100000] [--items 20] [--keep]

1. Setup (not timed): an embedded Postgres under .goodseed/bench-notify, migrated; the simulated market at
   demo size (9 shops, 200 products each) crawled on market day 6 and again on day 7 (day 6's history moved
   back a day: the marts hold one day's real price and stock changes, what a daily batch sees), then dbt. Users and watch items
   are loaded with generate_series SQL: each item a random strain with offers, ~half with a target per seed
   around the strain's best price, ~a third with a min drop %, 10 % with a seller filter, created 12 hours
   ago; every 4th user follows 2 breeders (since 12 hours: after the first crawl, before the second).
2. Timed: `run_batch` (the core the asset calls) on the fresh watchlists (every alert new: stores them and
   queues the messages), then again (nothing new: the dedupe path), then the `notification_batches` asset
   once through dg.materialize. Peak RSS of this process, and of the Postgres server's processes (sampled
   every 0.2 s, summed).
Target: the first run <= 60 s. Benchmarks are not tests: it exits 0 whatever the figure.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

from peak_rss import PeakRss
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


from goodseed_dagster.db import embedded
from goodseed_dagster.db.engine import _with_driver
from goodseed_dagster.db.migrate import upgrade
from goodseed_dagster.market import Market
from goodseed_dagster.notify.batches import run_batch
from goodseed_dagster.settings import PROJECT_ROOT

HOME = PROJECT_ROOT / ".goodseed" / "bench-notify"
TARGET_S = 60.0
FIRST_DAY, LATER_DAY = 6, 7  # two consecutive market days: one daily batch's worth of change

LOAD_USERS = """
INSERT INTO app.users (email, unsubscribe_secret, digest, webhook_url)
SELECT 'user' || g || '@bench.example', md5(g::text),
    CASE WHEN g % 10 = 0 THEN 'weekly' WHEN g % 50 = 1 THEN 'off' ELSE 'instant' END,
    CASE WHEN g % 5 = 0 THEN 'http://127.0.0.1:9/hook/' || g END
FROM generate_series(1, :users) AS g
"""

LOAD_ITEMS = """
WITH strains AS (
    SELECT row_number() OVER (ORDER BY strain_key) - 1 AS i, strain_key, best_price_per_seed_base AS best,
        sellers[1] AS a_seller
    FROM marts.strain_search WHERE offer_count > 0
), n AS (SELECT count(*) AS n FROM strains)
INSERT INTO app.watch_items (user_id, strain_key, seller, target_price_per_seed, min_drop_pct, created_at)
SELECT u.id, s.strain_key,
    CASE WHEN random() < 0.1 THEN s.a_seller END,
    CASE WHEN random() < 0.5 AND s.best IS NOT NULL THEN round((s.best * (0.8 + random() * 0.4))::numeric, 4) END,
    CASE WHEN random() < 0.33 THEN 5 + floor(random() * 25) END,
    now() - interval '12 hours'
FROM app.users AS u
CROSS JOIN generate_series(1, :items) AS k
CROSS JOIN n
JOIN strains AS s ON s.i = (u.id * 7919 + k * 104729) % n.n
"""

LOAD_FOLLOWS = """
INSERT INTO app.followed_breeders (user_id, breeder, created_at)
SELECT u.id, b.breeder, now() - interval '12 hours'
FROM app.users AS u
JOIN LATERAL (
    SELECT breeder FROM (SELECT DISTINCT breeder FROM marts.strain_search WHERE breeder IS NOT NULL) AS d
    ORDER BY md5(d.breeder || u.id) LIMIT 2
) AS b ON true
WHERE u.id % 4 = 0
"""


def log(msg: str) -> None:
    print(f"[notify {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build_marts(url: str, workdir: Path) -> None:
    """Crawl the demo-size market on FIRST_DAY and LATER_DAY (the first crawl moved back a day), then dbt."""
    from pipeline_harness import DBT_MODELS, pipeline

    workdir.mkdir(parents=True, exist_ok=True)
    with pipeline(Market(day=FIRST_DAY), url, workdir) as p:
        assert all(p.crawl_all().values())
        with p.engine.begin() as conn:
            conn.execute(
                text("UPDATE core.price_history SET observed_at = observed_at - :s"),
                {"s": timedelta(LATER_DAY - FIRST_DAY)},
            )
            for table in ("core.offers", "core.strains"):
                conn.execute(
                    text(f"UPDATE {table} SET first_seen_at = first_seen_at - :s"),
                    {"s": timedelta(LATER_DAY - FIRST_DAY)},
                )
        p.market.day = LATER_DAY
        assert all(p.crawl_all().values())
        assert p.materialize(DBT_MODELS).success


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the database directory afterwards")
    ap.add_argument("--reuse", action="store_true", help="reuse a kept database's marts (skip crawl and dbt)")
    args = ap.parse_args()
    if not args.reuse:
        shutil.rmtree(HOME, ignore_errors=True)
    pgdata = HOME / "pg"
    url = _with_driver(embedded.start(pgdata), "psycopg")
    try:
        upgrade(url)
        if not args.reuse:
            log(f"crawling the demo market (days {FIRST_DAY} and {LATER_DAY}) and building the marts")
            build_marts(url, HOME / "work")
        from pipeline_harness import ASSETS

        from goodseed_dagster.db.engine import engine_for
        from goodseed_dagster.resources.postgres import Postgres

        engine = engine_for(url)
        with engine.begin() as conn:
            conn.execute(
                text("DROP INDEX IF EXISTS app.outbox_items_notification_idx")
            )  # a DB kept from before
            conn.execute(text("TRUNCATE app.users CASCADE"))
            conn.execute(text(LOAD_USERS), {"users": args.users})
            conn.execute(text(LOAD_ITEMS), {"items": args.items})
            conn.execute(text(LOAD_FOLLOWS))
            conn.execute(text("ANALYZE app.users; ANALYZE app.watch_items; ANALYZE app.followed_breeders"))
            items: int = conn.execute(text("SELECT count(*) FROM app.watch_items")).scalar_one()
        log(f"loaded {args.users} users, {items} watch items")
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        with PeakRss(lambda: [pid], interval_s=0.2) as pg_rss:
            figures = []
            for label in ("fresh", "rerun"):
                started = time.perf_counter()
                result = run_batch(engine, f"bench-{label}")
                figures.append(time.perf_counter() - started)
                log(f"run_batch ({label}): {figures[-1]:.1f} s, {result.candidates} alerts hold, "
                    f"{result.new_alerts} new {result.by_rule}, {result.messages} messages, "
                    f"{result.users_reached} users")  # fmt: skip
            import dagster as dg

            started = time.perf_counter()
            with dg.instance_for_test() as instance:
                batches = [a for a in ASSETS if dg.AssetKey("notification_batches") in a.keys]
                dg.materialize(batches, instance=instance, resources={"pg": Postgres(url=url)})
            asset_s = time.perf_counter() - started
        py_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log(f"asset notification_batches (rerun, in process): {asset_s:.1f} s")
        log(f"peak RSS: this process {py_rss:.0f} MB, Postgres {pg_rss.peak / 2**20:.0f} MB")
        verdict = "met" if figures[0] <= TARGET_S else "MISSED"
        print(f"notification_batches {args.users} users x {args.items} items: {figures[0]:.1f} s "
              f"(target <= {TARGET_S:.0f} s: {verdict}; ratio {figures[0] / TARGET_S:.2f})")  # fmt: skip
    finally:
        embedded.stop(pgdata)
        if not args.keep:
            shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
