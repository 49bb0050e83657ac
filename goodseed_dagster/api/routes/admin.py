"""POST /v1/admin/scrape-requests: ask for a crawl of one seller (scrape_requests_sensor launches it).

The bearer token is compared in constant time; without a configured token the route is off (503), so a
deployment that forgot it is not left open.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from goodseed_dagster.api.deps import SettingsDep, write
from goodseed_dagster.api.schemas import Error, ScrapeRequestAccepted, ScrapeRequestIn
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1/admin", tags=["admin"])
bearer = HTTPBearer(auto_error=False, description="GOODSEED_API_TOKEN")


async def require_token(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    if settings.api_token is None:
        raise HTTPException(status_code=503, detail="admin routes are off: no API token is configured")
    expected = settings.api_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(given, expected):
        raise HTTPException(
            status_code=401, detail="missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


@router.post(
    "/scrape-requests",
    status_code=202,
    response_model=ScrapeRequestAccepted,
    dependencies=[Depends(require_token)],
    responses={
        401: {"model": Error, "description": "Missing or wrong bearer token."},
        404: {"model": Error, "description": "No such seller."},
        503: {"model": Error, "description": "No API token is configured."},
    },
)
async def request_scrape(body: ScrapeRequestIn, request: Request) -> ScrapeRequestAccepted:
    client = request.client.host if request.client else "api"
    request_id = await write(
        request, queries.insert_scrape_request, seller=body.seller, note=body.note, requested_by=client
    )
    if request_id is None:
        raise HTTPException(status_code=404, detail=f"no seller {body.seller!r}")
    return ScrapeRequestAccepted(id=request_id, seller=body.seller)
