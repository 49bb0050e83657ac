"""GET /v1/sellers, /v1/sellers/{slug} (with its health) and /v1/crawls (each seller's last crawl)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import AfterValidator

from goodseed_dagster.api.cursor import printable
from goodseed_dagster.api.deps import read
from goodseed_dagster.api.schemas import Crawl, Error, Seller, SellerDetail, SellerHealth
from goodseed_dagster.db import queries

router = APIRouter(tags=["sellers"])


def _seller(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "slug": row["seller"], "name": row["seller_name"]}


@router.get("/v1/sellers", response_model=list[Seller])
async def list_sellers(request: Request) -> list[Seller]:
    return [Seller(**_seller(r)) for r in await read(request, queries.sellers)]


@router.get(
    "/v1/sellers/{slug}",
    response_model=SellerDetail,
    responses={404: {"model": Error, "description": "No such seller."}},
)
async def get_seller(request: Request, slug: Annotated[str, AfterValidator(printable)]) -> SellerDetail:
    found = await read(request, queries.seller, slug)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no seller {slug!r}")
    health = SellerHealth(**found["health"]) if found["health"] else None
    return SellerDetail(**{**_seller(found), "health": health})


@router.get("/v1/crawls", response_model=list[Crawl])
async def list_crawls(request: Request) -> list[Crawl]:
    """Each seller's last crawl and whether its data is fresh."""
    return [Crawl(**r) for r in await read(request, queries.seller_health)]
