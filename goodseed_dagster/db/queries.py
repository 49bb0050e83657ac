"""Read queries of the API over the marts (schema `marts`, built by dbt): the only SQL the API runs.

Every statement is a constant `text()` with bound parameters. The strain search has one statement per sort
order, built here at import from constant fragments (never from request values), so each keyset condition
matches its index: (best_price_per_seed_base, strain_key), (strain_name, strain_key),
(last_change_at desc, strain_key). Optional filters are `CAST(:x AS type) IS NULL OR ...`; the API's engine
sets plan_cache_mode=force_custom_plan so Postgres plans them with the values at hand.

The functions are coroutines over a psycopg AsyncConnection (the API's pools, api/deps.py), each statement
compiled once here from its `text()`: SQLAlchemy's per-statement execution and result machinery cost more
CPU than the query itself in the API benchmark (0.26 against 0.12 ms a search). `text()` stays the source of
truth (bench/api.py feeds pgbench from it); errors are psycopg's own.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

SORTS = ("price_per_seed", "name", "last_change")
Conn = AsyncConnection[Any]
_DIALECT = psycopg_dialect()
_COMPILED: dict[TextClause, str] = {}


def _sql(statement: TextClause) -> str:
    sql = _COMPILED.get(statement)
    if sql is None:
        sql = _COMPILED[statement] = str(statement.compile(dialect=_DIALECT))
    return sql


async def _rows(
    conn: Conn, statement: TextClause, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """`statement`'s rows as dicts."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_sql(statement), params)
        return await cur.fetchall()


_STRAIN_COLUMNS = """strain_key, strain_name, breeder, sex, flowering, seller_count, offer_count,
    in_stock_offer_count, sellers, best_seller, best_offer_key, best_offer_url, best_pack_seeds,
    best_price_local, best_currency_local, best_price_per_seed_base, base_currency, is_in_stock,
    last_change_at, first_seen_at"""

_FILTERS = """
WHERE (CAST(:q AS text) IS NULL OR search_text LIKE '%' || CAST(:q AS text) || '%' ESCAPE '\\')
  AND (CAST(:sex AS text) IS NULL OR sex = CAST(:sex AS text))
  AND (CAST(:flowering AS text) IS NULL OR flowering = CAST(:flowering AS text))
  AND (CAST(:breeder AS text) IS NULL OR breeder = CAST(:breeder AS text))
  AND (CAST(:seller AS text) IS NULL OR sellers @> ARRAY[CAST(:seller AS text)])
  AND (CAST(:max_price AS numeric) IS NULL OR best_price_per_seed_base <= CAST(:max_price AS numeric))
  AND (CAST(:in_stock AS boolean) IS NULL OR is_in_stock = CAST(:in_stock AS boolean))
"""

# sort -> (keyset condition after the cursor's row, ORDER BY); :after_key is NULL on the first page
_KEYSETS = {
    "price_per_seed": (
        """(CAST(:after_key AS text) IS NULL
            OR (CAST(:after_num AS numeric) IS NULL
                AND best_price_per_seed_base IS NULL AND strain_key > CAST(:after_key AS text))
            OR (CAST(:after_num AS numeric) IS NOT NULL
                AND ((best_price_per_seed_base, strain_key) > (CAST(:after_num AS numeric), CAST(:after_key AS text))
                     OR best_price_per_seed_base IS NULL)))""",
        "best_price_per_seed_base ASC NULLS LAST, strain_key",
    ),
    "name": (
        """(CAST(:after_key AS text) IS NULL
            OR (strain_name, strain_key) > (CAST(:after_text AS text), CAST(:after_key AS text)))""",
        "strain_name, strain_key",
    ),
    "last_change": (
        """(CAST(:after_key AS text) IS NULL
            OR last_change_at < CAST(:after_time AS timestamptz)
            OR (last_change_at = CAST(:after_time AS timestamptz) AND strain_key > CAST(:after_key AS text)))""",
        "last_change_at DESC, strain_key",
    ),
}

STRAINS = {
    sort: text(
        f"SELECT {_STRAIN_COLUMNS} FROM marts.strain_search {_FILTERS} AND {cond} ORDER BY {order} LIMIT :limit"
    )
    for sort, (cond, order) in _KEYSETS.items()
}


def like_literal(q: str) -> str:
    """`q` as a LIKE pattern matching itself: % _ and \\ are characters, not wildcards; search_text is lower."""
    return re.sub(r"([\\%_])", r"\\\1", q.lower())


async def strains(
    conn: Conn,
    *,
    sort: str,
    limit: int,
    after: tuple[Any, str] | None,
    q: str | None = None,
    sex: str | None = None,
    flowering: str | None = None,
    breeder: str | None = None,
    seller: str | None = None,
    max_price_per_seed: Decimal | None = None,
    in_stock: bool | None = None,
) -> list[dict[str, Any]]:
    """One page of marts.strain_search in `sort` order after the keyset `after` = (sort value, strain_key)."""
    value, key = after if after else (None, None)
    params = {
        "q": None if q is None else like_literal(q),
        "sex": sex,
        "flowering": flowering,
        "breeder": breeder,
        "seller": seller,
        "max_price": max_price_per_seed,
        "in_stock": in_stock,
        "after_key": key,
        "after_num": value if sort == "price_per_seed" else None,
        "after_text": value if sort == "name" else None,
        "after_time": value if sort == "last_change" else None,
        "limit": limit,
    }
    return await _rows(conn, STRAINS[sort], params)


STRAIN = text(f"SELECT {_STRAIN_COLUMNS}, aliases FROM marts.strain_search WHERE strain_key = :key")

OFFERS = text("""
SELECT seller, seller_name, offer_key, offer_url, title, pack_seeds, price_local, currency_local,
       regular_price_local, price_base, price_per_seed_base, base_currency, stock_status, is_in_stock, is_best,
       first_seen_at, last_seen_at
FROM marts.fct_offer_current WHERE strain_key = :key
ORDER BY price_per_seed_base ASC NULLS LAST, seller, offer_key""")


async def strain(conn: Conn, key: str) -> dict[str, Any] | None:
    """The strain and its current offers (cheapest per seed first); None when the strain is unknown."""
    found = await _rows(conn, STRAIN, {"key": key})
    if not found:
        return None
    return {**found[0], "offers": await _rows(conn, OFFERS, {"key": key})}


PRICE_HISTORY = text("""
SELECT seller, offer_key, day, price_local, currency_local, price_base, price_per_seed_base, stock_status,
       is_in_stock, is_change
FROM marts.fct_price_daily
WHERE strain_key = :key AND day BETWEEN :start AND :end
ORDER BY seller, offer_key, day""")
STRAIN_EXISTS = text("SELECT 1 FROM marts.strain_search WHERE strain_key = :key")


async def price_history(conn: Conn, key: str, start: date, end: date) -> list[dict[str, Any]] | None:
    """Daily rows of the strain's offers from `start` to `end`; None when the strain is unknown."""
    if not await _rows(conn, STRAIN_EXISTS, {"key": key}):
        return None
    return await _rows(conn, PRICE_HISTORY, {"key": key, "start": start, "end": end})


_SELLER = "SELECT seller, seller_name, platform, is_enabled, active_offer_count, strain_count, last_seen_at"
SELLERS = text(f"{_SELLER} FROM marts.dim_seller ORDER BY seller")
SELLER = text(f"{_SELLER} FROM marts.dim_seller WHERE seller = :s")

SELLER_HEALTH = text("""
SELECT seller, seller_name, platform, is_enabled, last_crawl_id, last_crawl_status, last_crawl_started_at,
       last_crawl_finished_at, last_crawl_pages, last_crawl_failed_pages, last_success_at, hours_since_success,
       is_fresh, crawls_30d, crawl_success_rate_30d, active_offer_count, fill_breeder, fill_sex, fill_flowering,
       fill_stock, quarantine_rate
FROM marts.seller_health
WHERE CAST(:seller AS text) IS NULL OR seller = CAST(:seller AS text)
ORDER BY seller""")


async def sellers(conn: Conn) -> list[dict[str, Any]]:
    return await _rows(conn, SELLERS)


async def seller(conn: Conn, slug: str) -> dict[str, Any] | None:
    """The seller (dim_seller) with its health row; None when unknown."""
    found = await _rows(conn, SELLER, {"s": slug})
    if not found:
        return None
    health = await _rows(conn, SELLER_HEALTH, {"seller": slug})
    return {**found[0], "health": health[0] if health else None}


async def seller_health(conn: Conn) -> list[dict[str, Any]]:
    return await _rows(conn, SELLER_HEALTH, {"seller": None})


DEALS = text("""
SELECT seller, offer_key, strain_key, strain_name, breeder, offer_url, title, pack_seeds, price_base,
       price_per_seed_base, base_currency, median_30d_price_base, previous_price_base, drop_pct, changed_at
FROM marts.price_drops
WHERE is_deal AND drop_pct >= :min_drop
  AND (CAST(:seller AS text) IS NULL OR seller = CAST(:seller AS text))
ORDER BY drop_pct DESC, seller, offer_key
LIMIT :limit""")


async def deals(conn: Conn, *, min_drop_pct: Decimal, seller: str | None, limit: int) -> list[dict[str, Any]]:
    params = {"min_drop": min_drop_pct, "seller": seller, "limit": limit}
    return await _rows(conn, DEALS, params)


DATA_VERSION = text("SELECT version, built_at FROM marts.data_version LIMIT 1")


async def data_version(conn: Conn) -> tuple[str, datetime] | None:
    """(version, built_at) of the marts' last dbt build; None before the first one."""
    rows = await _rows(conn, DATA_VERSION)
    return (str(rows[0]["version"]), rows[0]["built_at"]) if rows else None


INSERT_SCRAPE_REQUEST = text("""
INSERT INTO app.scrape_requests (id, seller, requested_by, note) VALUES (:id, :seller, :by, :note)""")


async def insert_scrape_request(
    conn: Conn, *, seller: str, note: str | None, requested_by: str
) -> uuid.UUID | None:
    """A pending request for a seller of marts.dim_seller (None when unknown), with an id made here: the API
    role may insert into app but not read it (no RETURNING)."""
    if not await _rows(conn, SELLER, {"s": seller}):
        return None
    request_id = uuid.uuid4()
    params = {"id": request_id, "seller": seller, "by": requested_by, "note": note}
    await conn.execute(_sql(INSERT_SCRAPE_REQUEST), params)
    return request_id


UNSUBSCRIBE = text("SELECT app.unsubscribe(:token) AS done")


async def unsubscribe(conn: Conn, token: str) -> bool:
    """app.unsubscribe: True when the token was a user's (they are unsubscribed now, or were already)."""
    return bool((await _rows(conn, UNSUBSCRIBE, {"token": token}))[0]["done"])


async def ping(conn: Conn) -> None:
    await conn.execute("SELECT 1")
