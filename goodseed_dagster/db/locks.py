"""Per-seller advisory locks: runs that overlap (the listings asset and `goodseed reparse`, two crawls of one
seller) take turns instead of interleaving their writes.

- writes: a transaction-level lock every listings and offers write of a seller runs under (released at
  commit or rollback, so a killed process never leaves it held);
- crawl: a session-level lock a crawl holds from start to end on a connection of its own. Postgres releases
  it when that connection ends, with the process or without it; so while it is free, no live process is
  crawling the seller, and a core.crawls row still `running` is abandoned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError


def _key(kind: str, seller_sql: str = ":seller") -> str:
    """The lock's bigint key: kind and seller hashed (a collision only makes two sellers take turns)."""
    return f"hashtextextended('{kind}:' || {seller_sql}, 0)"


CRAWL_LOCK_FREE = f"pg_try_advisory_xact_lock({_key('crawl', 'seller')})"
"""SQL, true where no live process holds the crawl lock of the row's `seller` (held until commit)."""


@contextmanager
def seller_writes(engine: Engine, seller: str) -> Iterator[Connection]:
    """A transaction holding the seller's write lock: listings and offers writes of one seller never overlap."""
    with engine.begin() as conn:
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_key('writes')})"), {"seller": seller})
        yield conn


class CrawlRunning(Exception):
    """Another live process holds the seller's crawl lock."""


@contextmanager
def crawl_lock(engine: Engine, seller: str) -> Iterator[None]:
    """Hold the seller's crawl lock for the block; CrawlRunning at once when another process holds it."""
    params = {"seller": seller}
    with engine.connect() as conn:
        if not conn.execute(text(f"SELECT pg_try_advisory_lock({_key('crawl')})"), params).scalar_one():
            raise CrawlRunning(seller)
        conn.commit()
        try:
            yield
        finally:  # the pooled connection outlives the block: unlock, or drop it (which unlocks too)
            try:
                conn.execute(text(f"SELECT pg_advisory_unlock({_key('crawl')})"), params)
                conn.commit()
            except SQLAlchemyError:
                conn.invalidate()
