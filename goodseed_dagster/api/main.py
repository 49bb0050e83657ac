"""The FastAPI app: mounts one router per noun; the engine comes from settings or the caller."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from goodseed_dagster.api.methods import HeadOptionsMiddleware
from goodseed_dagster.api.routes import health, strains
from goodseed_dagster.db.engine import database_url, engine_for


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(title="GoodSeed API", version="1", description="Cannabis-seed prices across seed banks.")
    app.state.engine = engine or engine_for(database_url())
    app.include_router(health.router)
    app.include_router(strains.router)
    app.add_middleware(HeadOptionsMiddleware)
    return app
