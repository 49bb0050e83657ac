"""The FastAPI app: one router per noun over the marts, wrapped (outside in) by CORS, HEAD/OPTIONS,
metrics, the rate limit and the response cache. Everything is built from one Settings value."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from goodseed_dagster.api.caching import CacheMiddleware, DataVersion, ResponseCache
from goodseed_dagster.api.limits import RateLimitMiddleware
from goodseed_dagster.api.methods import HeadOptionsMiddleware
from goodseed_dagster.api.metrics import Metrics, MetricsMiddleware
from goodseed_dagster.api.routes import admin, deals, health, sellers, strains, unsubscribe
from goodseed_dagster.db.engine import _with_driver, database_url, engine_for
from goodseed_dagster.settings import Settings, get_settings

log = logging.getLogger(__name__)


def read_engine(url: str, pool_size: int = 16) -> Engine:
    """Autocommit: a read is one round trip, not BEGIN + query + ROLLBACK (the marts change only by dbt's
    atomic table swaps). Each query is planned with its own values (the optional filters are
    `:x IS NULL OR ...`). No overflow: connections opened for a burst and closed after it (a Postgres
    backend forked per request) cost more than queueing for a pooled one, and 2 cores gain nothing from
    more queries at once (bench/api.py)."""
    return create_engine(
        url, pool_size=pool_size, max_overflow=0, pool_recycle=1800, isolation_level="AUTOCOMMIT",
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )  # fmt: skip


def as_api_role(url: str, settings: Settings) -> str:
    """The owner's URL as goodseed_api once that role has a password (`goodseed db roles`): the API then
    reads marts and inserts scrape requests, and can do nothing else."""
    if settings.api_role_password is None:
        return url
    password = settings.api_role_password.get_secret_value()
    return make_url(url).set(username="goodseed_api", password=password).render_as_string(hide_password=False)


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """`engine` (tests) serves reads and writes; otherwise DATABASE_URL writes, DATABASE_READ_URL reads."""
    settings = settings or get_settings()
    app = FastAPI(title="GoodSeed API", version="1", description="Cannabis-seed prices across seed banks.")
    if engine is None:
        write_url = as_api_role(database_url(settings), settings)
        read_url = settings.database_read_url
        write = engine_for(write_url)
        read_url_ = _with_driver(read_url.get_secret_value(), "psycopg") if read_url else write_url
        read = read_engine(read_url_, settings.api_read_pool_size)
    else:
        write = read = engine
    app.state.settings, app.state.read_engine, app.state.write_engine = settings, read, write
    app.state.metrics = metrics = Metrics()
    app.state.versions = versions = DataVersion(read)
    app.state.cache = cache = ResponseCache(settings.api_cache_entries)
    routers = (health.router, strains.router, sellers.router, deals.router, admin.router, unsubscribe.router)
    for router in routers:
        app.include_router(router)
    app.add_exception_handler(SQLAlchemyError, _database_error)
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


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database is down or the marts are not built yet: the service is unavailable, not broken."""
    log.error("database error on %s: %s", request.url.path, type(exc).__name__)
    return JSONResponse(status_code=503, content={"detail": "data unavailable, retry later"})


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    """Last resort (tests show none happen): logged with its traceback, a JSON 500 without details."""
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "internal error"})
