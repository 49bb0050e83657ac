"""GET /health and GET /metrics.

/health is 503 "degraded" when the API cannot serve current data: the database is unreachable, the marts
were never built, or no enabled seller is fresh. One stale seller leaves it 200 (the body lists each
seller's freshness, and the freshness alerts page the data team): a load balancer must not take the whole
API out because one shop is down, which the demo's deliberately closed shop always is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from goodseed_dagster.api.deps import read
from goodseed_dagster.api.schemas import Health, SellerFreshness
from goodseed_dagster.db import queries

router = APIRouter(tags=["health"])


async def _marts(
    conn: queries.Conn,
) -> tuple[tuple[str, datetime] | None, list[dict[str, Any]]] | str:
    """(data version, seller health), or why the marts cannot be read; raises when the database cannot be."""
    await queries.ping(conn)
    try:
        return await queries.data_version(conn), await queries.seller_health(conn)
    except psycopg.Error as e:
        return f"marts unavailable: {type(e).__name__}"


@router.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Degraded."}})
async def health(request: Request) -> Health | JSONResponse:
    try:
        marts = await read(request, _marts)
    except psycopg.Error as e:
        return _degraded(f"unavailable: {type(e).__name__}")
    if isinstance(marts, str):
        return _degraded("ok", marts)
    version, rows = marts
    sellers = [SellerFreshness(**r) for r in rows if r["is_enabled"]]
    body = Health(
        status="ok" if version is not None and any(s.is_fresh for s in sellers) else "degraded",
        database="ok",
        data_version=version[0] if version else None,
        built_at=version[1] if version else None,
        sellers=sellers,
    )
    if body.status == "ok":
        return body
    return JSONResponse(status_code=503, content=body.model_dump(mode="json"))


def _degraded(database: str, data: str | None = None) -> JSONResponse:
    body = Health(status="degraded", database=database if data is None else f"{database}; {data}")
    return JSONResponse(status_code=503, content=body.model_dump(mode="json"))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus text: requests by route and status, latency, cache hits and misses, 429s."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
