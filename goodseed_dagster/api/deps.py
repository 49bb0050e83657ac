"""How routes reach the database: psycopg's async connection pools, the queries on the event loop.

Routes await `read(request, fn, ...)`, which runs the coroutine `fn(conn, ...)` (db/queries.py) on a pooled
autocommit connection: a read is one round trip. The queries ran in worker threads before; on 2 shared
cores the hand-offs between the event loop and those threads (and the GIL between them) made the latency
tail, p99 0.2-1 s at 8 connections where the median was 3 ms (bench/api.py); on the loop it is ~6 ms.
Writes run in one transaction on the primary (DATABASE_URL), which the reads share unless DATABASE_READ_URL
names a replica. The pools open and close with the app's lifespan (uvicorn, and the test clients, run it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from goodseed_dagster.db.engine import libpq_url
from goodseed_dagster.db.queries import Conn
from goodseed_dagster.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")
Query = Callable[Concatenate[Conn, P], Awaitable[T]]
WRITE_POOL_SIZE = 2  # scrape requests and unsubscribes: rare


class Database:
    """The read pool and the write pool (one and the same when both URLs are), made anew by each `open`."""

    def __init__(self, read_url: str, write_url: str, *, pool_size: int, timeout_s: float) -> None:
        self.read_url, self.write_url = libpq_url(read_url), libpq_url(write_url)
        self.pool_size, self.timeout_s = pool_size, timeout_s
        self._pools: tuple[AsyncConnectionPool[Conn], AsyncConnectionPool[Conn]] | None = None

    def _pool(self, url: str, size: int, name: str) -> AsyncConnectionPool[Conn]:
        # each query planned with its own values: the optional filters are `:x IS NULL OR ...`
        options = {"autocommit": True, "options": "-c plan_cache_mode=force_custom_plan"}
        return AsyncConnectionPool(
            url, kwargs=options, min_size=1, max_size=size, timeout=self.timeout_s, open=False, name=name
        )

    async def open(self) -> None:
        """Starts connecting in the background: the app comes up while the database is down, and answers 503."""
        reads = self._pool(self.read_url, self.pool_size, "api-reads")
        writes = (
            reads
            if self.write_url == self.read_url
            else self._pool(self.write_url, WRITE_POOL_SIZE, "api-writes")
        )
        self._pools = (reads, writes)
        for pool in {reads, writes}:
            await pool.open(wait=False)

    async def close(self) -> None:
        pools, self._pools = self._pools, None
        for pool in set(pools or ()):
            await pool.close()

    @property
    def pools(self) -> tuple[AsyncConnectionPool[Conn], AsyncConnectionPool[Conn]]:
        """(reads, writes)."""
        if self._pools is None:
            raise RuntimeError("the API's database pools are not open: run the app with its lifespan")
        return self._pools

    async def read(self, fn: Query[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self.pools[0].connection() as conn:
            return await fn(conn, *args, **kwargs)

    async def write(self, fn: Query[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self.pools[1].connection() as conn, conn.transaction():
            return await fn(conn, *args, **kwargs)


async def read(request: Request, fn: Query[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(conn, ...)` on a read connection (DATABASE_READ_URL when set)."""
    database: Database = request.app.state.database
    return await database.read(fn, *args, **kwargs)


async def write(request: Request, fn: Query[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(conn, ...)` in one transaction on the primary (DATABASE_URL)."""
    database: Database = request.app.state.database
    return await database.write(fn, *args, **kwargs)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
