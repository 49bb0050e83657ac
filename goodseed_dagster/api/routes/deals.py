"""GET /v1/deals: offers whose price dropped below their 30-day median, fake discounts left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator

from goodseed_dagster.api.cursor import printable
from goodseed_dagster.api.deps import read
from goodseed_dagster.api.schemas import Deal
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1/deals", tags=["deals"])


@router.get("", response_model=list[Deal])
async def list_deals(
    request: Request,
    min_drop_pct: Annotated[
        Decimal,
        Query(ge=0, le=100, allow_inf_nan=False, description="Drop below the 30-day median, percent."),
    ] = Decimal(0),
    seller: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Only this seller."),
        AfterValidator(printable),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[Deal]:
    """In-stock offers below their 30-day median price, biggest drop first."""
    rows = await read(request, queries.deals, min_drop_pct=min_drop_pct, seller=seller, limit=limit)
    return [Deal(**{**r, "strain_id": r["strain_key"], "url": r["offer_url"]}) for r in rows]
