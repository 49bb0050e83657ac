"""The alert rules: the marts × every watchlist, as set-based SQL (one statement for all users).

A Python loop per user cannot serve 100k users × 20 watch items within a minute; one query over
app.watch_items joined to the marts can. Each rule is a SELECT of the same shape (user_id, rule, dedupe_key,
strain_key, seller, offer_key, promise, priority); `ALERTS_SQL` unions them and keeps one row per dedupe key.

The dedupe key names the state the alert is about, so a rule that still holds on the next run adds nothing,
and a new state (a lower price, a later restock) alerts again:
- target_price / price_drop: ``{user}:price:{seller}:{offer}:{price as listed}`` (shared: one alert per price,
  target_price wins; a listed price, so FX re-rating alone never re-alerts);
- back_in_stock: ``{user}:restock:{seller}:{offer}:{day of the restock}``;
- new_strain: ``{user}:new_strain:{strain}``; new_seller: ``{user}:new_seller:{strain}:{seller}``.

Only users who want instant or weekly mail and have not unsubscribed get alerts. Prices compare in the base
currency. The promise (what the message will claim, re-checked before sending) is built here in SQL.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from sqlalchemy import Connection

RULES: Final = ("target_price", "price_drop", "back_in_stock", "new_strain", "new_seller")
DEFAULT_MIN_DROP_PCT: Final = 10
RESTOCK_WINDOW_DAYS: Final = 30  # restocks older than this are not news, whatever the watch item's age


def promise_sql(o: str, rule: str, detail: str) -> str:
    """The promise jsonb of offer alias `o` (a row of fct_offer_current joined to strain_search as `s`);
    `rule` and `detail` are SQL expressions."""
    return f"""jsonb_build_object(
        'strain', s.strain_name, 'breeder', s.breeder, 'seller', {o}.seller, 'offer_key', {o}.offer_key,
        'url', {o}.offer_url, 'title', {o}.title, 'pack_seeds', {o}.pack_seeds,
        'price_local', {o}.price_local::text, 'currency_local', {o}.currency_local,
        'price_base', {o}.price_base::text, 'price_per_seed_base', {o}.price_per_seed_base::text,
        'base_currency', {o}.base_currency, 'in_stock', {o}.is_in_stock, 'rule', {rule}, 'detail', {detail})"""


def _offer_filter(item: str, o: str) -> str:
    """A watch item's optional seller and pack filters over offer alias `o`."""
    return f"""({item}.seller IS NULL OR {o}.seller = {item}.seller)
        AND ({item}.pack_seeds IS NULL OR {o}.pack_seeds = {item}.pack_seeds)"""


def _price_key(o: str) -> str:
    return f"i.user_id || ':price:' || {o}.seller || ':' || {o}.offer_key || ':' || {o}.price_local::text"


TARGET_PRICE = f"""
SELECT DISTINCT ON (i.id)
    i.user_id, 'target_price' AS rule, {_price_key("o")} AS dedupe_key, o.strain_key, o.seller, o.offer_key,
    CASE WHEN i.target_price_per_seed IS NOT NULL AND o.price_per_seed_base <= i.target_price_per_seed THEN 'target ' || i.target_price_per_seed::text || ' per seed reached' ELSE 'target ' || i.target_price_pack::text || ' per pack reached' END AS detail,
    1 AS priority
FROM items AS i
JOIN marts.fct_offer_current AS o ON o.strain_key = i.strain_key AND {_offer_filter("i", "o")}
WHERE o.is_in_stock
    AND (i.target_price_per_seed IS NOT NULL OR i.target_price_pack IS NOT NULL)
    AND (o.price_per_seed_base <= i.target_price_per_seed OR o.price_base <= i.target_price_pack)
ORDER BY i.id, o.price_per_seed_base, o.seller, o.offer_key
"""

PRICE_DROP = f"""
SELECT
    i.user_id, 'price_drop' AS rule, {_price_key("o")} AS dedupe_key, o.strain_key, o.seller, o.offer_key,
    '-' || d.drop_pct::text || '% vs the 30-day median ' || d.median_30d_price_base::text AS detail,
    2 AS priority
FROM marts.price_drops AS d
JOIN items AS i ON i.strain_key = d.strain_key AND {_offer_filter("i", "d")}
JOIN marts.fct_offer_current AS o ON o.seller = d.seller AND o.offer_key = d.offer_key
WHERE d.is_deal AND d.drop_pct >= coalesce(i.min_drop_pct, {DEFAULT_MIN_DROP_PCT})
"""

BACK_IN_STOCK = f"""
SELECT
    i.user_id, 'back_in_stock' AS rule,
    i.user_id || ':restock:' || o.seller || ':' || o.offer_key || ':' || r.day::text AS dedupe_key,
    o.strain_key, o.seller, o.offer_key,
    'back in stock since ' || r.day::text AS detail,
    3 AS priority
FROM restocks AS r
JOIN marts.fct_offer_current AS o ON o.seller = r.seller AND o.offer_key = r.offer_key
JOIN items AS i ON i.strain_key = o.strain_key AND {_offer_filter("i", "o")}
WHERE o.is_in_stock AND r.day >= (i.created_at AT TIME ZONE 'UTC')::date
"""

NEW_STRAIN = """
SELECT DISTINCT ON (f.user_id, s.strain_key)
    f.user_id, 'new_strain' AS rule, f.user_id || ':new_strain:' || s.strain_key AS dedupe_key,
    s.strain_key, o.seller, o.offer_key,
    'new from ' || s.breeder AS detail,
    4 AS priority
FROM app.followed_breeders AS f
JOIN users AS u ON u.id = f.user_id
JOIN marts.strain_search AS s ON lower(s.breeder) = lower(f.breeder) AND s.first_seen_at > f.created_at
JOIN marts.fct_offer_current AS o ON o.strain_key = s.strain_key
ORDER BY f.user_id, s.strain_key, o.is_in_stock DESC, o.price_per_seed_base, o.seller, o.offer_key
"""

NEW_SELLER = """
SELECT DISTINCT ON (i.user_id, o.strain_key, o.seller)
    i.user_id, 'new_seller' AS rule,
    i.user_id || ':new_seller:' || o.strain_key || ':' || o.seller AS dedupe_key, o.strain_key, o.seller, o.offer_key,
    'now also at ' || o.seller AS detail,
    5 AS priority
FROM seller_debut AS b
JOIN items AS i ON i.strain_key = b.strain_key AND i.seller IS NULL AND b.first_seen_at > i.created_at
JOIN marts.fct_offer_current AS o ON o.strain_key = b.strain_key AND o.seller = b.seller
    AND (i.pack_seeds IS NULL OR o.pack_seeds = i.pack_seeds)
ORDER BY i.user_id, o.strain_key, o.seller, o.is_in_stock DESC, o.price_per_seed_base, o.offer_key
"""

# Shared inputs: the users who get alerts, their watch items, restocks (out_of_stock on one day, in stock the
# next: the last such day per offer), and when each seller first listed each strain (active offers; an earlier,
# retired offer in fct_price_daily means the seller is not new to it).
CONTEXT = f"""
users AS MATERIALIZED (
    SELECT id FROM app.users WHERE unsubscribed_at IS NULL AND digest <> 'off'
),
items AS MATERIALIZED (
    SELECT w.* FROM app.watch_items AS w JOIN users AS u ON u.id = w.user_id
),
restocks AS MATERIALIZED (
    SELECT DISTINCT ON (seller, offer_key) seller, offer_key, day
    FROM (
        SELECT seller, offer_key, day, stock_status,
            lag(stock_status) OVER (PARTITION BY seller, offer_key ORDER BY day) AS before
        FROM marts.fct_price_daily
        WHERE day > (now() AT TIME ZONE 'UTC')::date - {RESTOCK_WINDOW_DAYS}
    ) AS t
    WHERE before = 'out_of_stock' AND stock_status <> 'out_of_stock'
    ORDER BY seller, offer_key, day DESC
),
seller_debut AS MATERIALIZED (
    SELECT o.strain_key, o.seller, min(o.first_seen_at) AS first_seen_at
    FROM marts.fct_offer_current AS o
    WHERE o.strain_key IN (SELECT strain_key FROM items)
    GROUP BY o.strain_key, o.seller
    HAVING NOT EXISTS (
        SELECT 1 FROM marts.fct_price_daily AS d
        WHERE d.strain_key = o.strain_key AND d.seller = o.seller
            AND d.day < (min(o.first_seen_at) AT TIME ZONE 'UTC')::date
    )
)"""

COLUMNS: Final = ("user_id", "rule", "dedupe_key", "strain_key", "seller", "offer_key", "promise")

# The rules yield narrow rows (a detail text, no promise) so the dedupe sort stays small; alerts already stored
# are dropped before it (a rerun sorts almost nothing); the promise is built last, for the survivors only.
ALERTS_SQL = f"""
WITH {CONTEXT},
candidates AS (
    ({TARGET_PRICE}) UNION ALL ({PRICE_DROP}) UNION ALL ({BACK_IN_STOCK})
    UNION ALL ({NEW_STRAIN}) UNION ALL ({NEW_SELLER})
),
chosen AS (
    SELECT DISTINCT ON (c.dedupe_key) c.*
    FROM candidates AS c
    WHERE NOT EXISTS (SELECT 1 FROM app.notifications AS n WHERE n.dedupe_key = c.dedupe_key)
    ORDER BY c.dedupe_key, c.priority
)
SELECT c.user_id, c.rule, c.dedupe_key, c.strain_key, c.seller, c.offer_key,
    {promise_sql("o", "c.rule", "c.detail")} AS promise
FROM chosen AS c
JOIN marts.fct_offer_current AS o ON o.seller = c.seller AND o.offer_key = c.offer_key
JOIN marts.strain_search AS s ON s.strain_key = c.strain_key
"""


def evaluate(conn: Connection) -> pl.DataFrame:
    """Every alert the rules raise now (already-sent ones included: the store's ON CONFLICT drops those)."""
    columns = ", ".join(c if c != "promise" else "promise::text AS promise" for c in COLUMNS)
    return pl.read_database(f"SELECT {columns} FROM ({ALERTS_SQL}) AS a", conn)
