"""The FastAPI app: one router per noun over the marts, wrapped (outside in) by CORS, HEAD/OPTIONS,
metrics, the rate limit and the response cache. Everything is built from one Settings value."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import psycopg
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url

from goodseed_dagster.api.caching import CacheMiddleware, DataVersion, ResponseCache
from goodseed_dagster.api.deps import Database
from goodseed_dagster.api.limits import RateLimitMiddleware
from goodseed_dagster.api.methods import HeadOptionsMiddleware
from goodseed_dagster.api.metrics import Metrics, MetricsMiddleware
from goodseed_dagster.api.routes import admin, deals, health, sellers, strains, unsubscribe
from goodseed_dagster.db.engine import database_url
from goodseed_dagster.settings import Settings, get_settings

log = logging.getLogger(__name__)


def as_api_role(url: str, settings: Settings) -> str:
    """The owner's URL as goodseed_api once that role has a password (`goodseed db roles`): the API then
    reads marts and inserts scrape requests, and can do nothing else."""
    if settings.api_role_password is None:
        return url
    password = settings.api_role_password.get_secret_value()
    return make_url(url).set(username="goodseed_api", password=password).render_as_string(hide_password=False)


def create_app(settings: Settings | None = None, database: str | None = None) -> FastAPI:
    """`database` (a URL: tests) serves reads and writes; otherwise DATABASE_URL writes (as goodseed_api once
    it has a password) and DATABASE_READ_URL, when set, reads."""
    settings = settings or get_settings()
    if database is None:
        write_url = as_api_role(database_url(settings), settings)
        read_url = settings.database_read_url.get_secret_value() if settings.database_read_url else write_url
    else:
        read_url = write_url = database
    db = Database(
        read_url, write_url, pool_size=settings.api_read_pool_size, timeout_s=settings.api_db_timeout_s
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await db.open()
        _freeze_startup_objects()
        try:
            yield
        finally:
            await db.close()

    app = FastAPI(
        title="GoodSeed API",
        version="1",
        description="Cannabis-seed prices across seed banks.",
        lifespan=lifespan,
    )
    app.state.settings, app.state.database = settings, db
    app.state.metrics = metrics = Metrics()
    app.state.versions = versions = DataVersion(db)
    app.state.cache = cache = ResponseCache(settings.api_cache_entries)
    routers = (health.router, strains.router, sellers.router, deals.router, admin.router, unsubscribe.router)
    for router in routers:
        app.include_router(router)
    app.add_exception_handler(psycopg.Error, _database_error)
    app.add_exception_handler(Exception, _server_error)
    # add_middleware wraps: the last added is the outermost
    app.add_middleware(
        CacheMiddleware, versions=versions, cache=cache, metrics=metrics, max_age=settings.api_max_age_s
    )
    app.add_middleware(RateLimitMiddleware, per_minute=settings.api_rate_per_minute, metrics=metrics)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(HeadOptionsMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "HEAD", "OPTIONS", "POST"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"], expose_headers=["ETag", "Retry-After"],
        )  # fmt: skip
    return app


@cache
def _freeze_startup_objects() -> None:
    """Once per process, the objects importing and building the app made (FastAPI's routes and models,
    pydantic schemas, SQLAlchemy's statements: most of the heap) go to the permanent generation: each full
    collection then walks only what requests allocate. Walking all of them paused the event loop 36-97 ms
    every few seconds, the last tail at 8 connections (bench/api.py)."""
    gc.collect()
    gc.freeze()


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database is down (or no connection came within api_db_timeout_s) or the marts are not built yet:
    the service is unavailable, not broken."""
    log.error("database error on %s: %s", request.url.path, type(exc).__name__)
    return JSONResponse(status_code=503, content={"detail": "data unavailable, retry later"})


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """Last resort (tests show none happen): logged with its traceback, a JSON 500 without details."""
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "internal error"})
