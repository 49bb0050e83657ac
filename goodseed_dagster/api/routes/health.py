"""GET /health: liveness plus what the database holds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from goodseed_dagster.api.schemas import Health
from goodseed_dagster.db import queries

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(request: Request) -> Health | JSONResponse:
    try:
        with request.app.state.engine.connect() as conn:
            return Health(status="ok", database="ok", **queries.health(conn))
    except SQLAlchemyError as e:
        body = Health(status="degraded", database=f"unavailable: {type(e).__name__}")
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
