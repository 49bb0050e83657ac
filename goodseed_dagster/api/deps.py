"""How routes reach the database: one worker-thread hop per request.

Routes are `async def` and hand one plain function to a worker thread, which opens a connection (the read
engine: DATABASE_READ_URL when set), runs its queries and returns rows. A sync FastAPI dependency plus a
sync route cost several thread hops per request (enter, call, exit), which showed in the API benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection

from goodseed_dagster.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


async def read(
    request: Request, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(conn, ...)` on a read connection, in a worker thread."""

    def run() -> T:
        with request.app.state.read_engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    return await anyio.to_thread.run_sync(run)


async def write(
    request: Request, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """`fn(conn, ...)` in one transaction on the primary (DATABASE_URL), in a worker thread."""

    def run() -> T:
        with request.app.state.write_engine.begin() as conn:
            return fn(conn, *args, **kwargs)

    return await anyio.to_thread.run_sync(run)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
