"""GET /v1/strains (search, filters, keyset pages), /v1/strains/{id} (offers) and its price history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from goodseed_dagster.api import cursor as cursors
from goodseed_dagster.api.deps import read
from goodseed_dagster.api.schemas import (
    Error,
    OfferSeries,
    PriceHistory,
    PricePoint,
    StrainDetail,
    StrainPage,
)
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1/strains", tags=["strains"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Error, "description": "No such strain."}}
MAX_HISTORY_DAYS = 366
Text = Annotated[str | None, AfterValidator(cursors.printable)]
StrainId = Annotated[str, AfterValidator(cursors.printable)]


def _strain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A strain_search row as the Strain model's input (its other columns are ignored). Routes validate the
    whole response in one model_validate call: per-row model objects cost more than the query (bench/api.py)."""
    best = None
    if row["best_seller"] is not None:
        best = {
            "seller": row["best_seller"],
            "offer_key": row["best_offer_key"],
            "url": row["best_offer_url"],
            "pack_seeds": row["best_pack_seeds"],
            "price_local": row["best_price_local"],
            "currency_local": row["best_currency_local"],
            "price_per_seed_base": row["best_price_per_seed_base"],
        }
    return {**row, "id": row["strain_key"], "name": row["strain_name"], "sellers": row["sellers"] or [],
            "best_offer": best}  # fmt: skip


_SORT_VALUE = {
    "price_per_seed": "best_price_per_seed_base",
    "name": "strain_name",
    "last_change": "last_change_at",
}


class StrainQuery(BaseModel):
    """GET /v1/strains' query parameters as one model: FastAPI validates it in one call, where ten separate
    parameters cost more than the search's SQL (bench/api.py). The OpenAPI lists them one by one as before."""

    q: Annotated[
        Text, Field(min_length=2, max_length=100, description="Name, breeder or alias contains (literally).")
    ] = None
    sex: Literal["feminized", "regular"] | None = None
    flowering: Literal["autoflower", "photoperiod"] | None = None
    breeder: Annotated[Text, Field(min_length=1, max_length=100, description="Exact breeder.")] = None
    seller: Annotated[Text, Field(min_length=1, max_length=100, description="Sold by (slug).")] = None
    max_price_per_seed: Annotated[
        Decimal | None, Field(ge=0, lt=10**9, allow_inf_nan=False, description="Best price per seed at most.")
    ] = None
    in_stock: Annotated[
        bool | None, Field(description="Only strains with (true) / without any in-stock offer.")
    ] = None
    sort: Annotated[
        Literal["price_per_seed", "name", "last_change"],
        Field(description="price_per_seed ascending (none in stock last), name, last_change newest first."),
    ] = "price_per_seed"
    limit: Annotated[int, Field(ge=1, le=100, description="Page size.")] = 20
    cursor: Annotated[Text, Field(max_length=1024, description="next_cursor of the previous page.")] = None


@router.get("", response_model=StrainPage)
async def list_strains(request: Request, query: Annotated[StrainQuery, Query()]) -> StrainPage:
    sort, limit, cursor = query.sort, query.limit, query.cursor
    try:
        after = cursors.decode(cursor, sort) if cursor is not None else None
    except ValueError as e:
        raise _invalid("cursor", cursor, str(e)) from e
    rows = await read(
        request, queries.strains, sort=sort, limit=limit + 1, after=after, q=query.q, sex=query.sex,
        flowering=query.flowering, breeder=query.breeder, seller=query.seller,
        max_price_per_seed=query.max_price_per_seed, in_stock=query.in_stock,
    )  # fmt: skip
    last = rows[limit - 1] if len(rows) > limit else None
    return StrainPage.model_validate(
        {
            "items": [_strain(r) for r in rows[:limit]],
            "next_cursor": cursors.encode(sort, last[_SORT_VALUE[sort]], last["strain_key"])
            if last
            else None,
        }
    )


def _invalid(name: str, value: object, message: str) -> HTTPException:
    """A 422 in FastAPI's own validation shape, for checks that need more than the parameter alone."""
    detail = [{"type": "value_error", "loc": ["query", name], "msg": message, "input": value}]
    return HTTPException(status_code=422, detail=detail)


@router.get("/{strain_id}", response_model=StrainDetail, responses=NOT_FOUND)
async def get_strain(request: Request, strain_id: StrainId) -> StrainDetail:
    found = await read(request, queries.strain, strain_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no strain {strain_id!r}")
    offers = [{**o, "url": o["offer_url"]} for o in found["offers"]]
    return StrainDetail.model_validate({**_strain(found), "offers": offers})


@router.get("/{strain_id}/price-history", response_model=PriceHistory, responses=NOT_FOUND)
async def price_history(
    request: Request,
    strain_id: StrainId,
    start: Annotated[
        date | None, Query(alias="from", description="First day (default: `to` - 90 days).")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day (default: today).")] = None,
) -> PriceHistory:
    end = end or date.today()
    try:
        start = start or end - timedelta(days=90)
    except OverflowError as e:
        raise _invalid("to", end.isoformat(), "too early a day") from e
    if start > end:
        raise _invalid("from", start.isoformat(), "must not be after `to`")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise _invalid("from", start.isoformat(), f"range is at most {MAX_HISTORY_DAYS} days")
    found = await read(request, queries.price_history, strain_id, start, end)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no strain {strain_id!r}")
    series: dict[tuple[str, str], list[PricePoint]] = {}
    for row in found:
        series.setdefault((row["seller"], row["offer_key"]), []).append(PricePoint(**row))
    return PriceHistory.model_validate(
        {
            "strain_id": strain_id,
            "from": start,
            "to": end,
            "series": [OfferSeries(seller=s, offer_key=k, points=p) for (s, k), p in series.items()],
        }
    )
