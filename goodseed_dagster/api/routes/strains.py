"""GET /v1/strains (search, filters, keyset pages), /v1/strains/{id} (offers) and its price history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AfterValidator

from goodseed_dagster.api import cursor as cursors
from goodseed_dagster.api.deps import read
from goodseed_dagster.api.schemas import (
    BestOffer,
    Error,
    Offer,
    OfferSeries,
    PriceHistory,
    PricePoint,
    Strain,
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
    """A strain_search row as the Strain model's fields."""
    best = None
    if row["best_seller"] is not None:
        best = BestOffer(
            seller=row["best_seller"],
            offer_key=row["best_offer_key"],
            url=row["best_offer_url"],
            pack_seeds=row["best_pack_seeds"],
            price_local=row["best_price_local"],
            currency_local=row["best_currency_local"],
            price_per_seed_base=row["best_price_per_seed_base"],
        )
    return {
        "id": row["strain_key"],
        "name": row["strain_name"],
        **{k: row[k] for k in ("breeder", "sex", "flowering", "seller_count", "offer_count")},
        **{k: row[k] for k in ("in_stock_offer_count", "is_in_stock", "base_currency")},
        "sellers": list(row["sellers"] or []),
        "best_offer": best,
        "last_change_at": row["last_change_at"],
        "first_seen_at": row["first_seen_at"],
    }


_SORT_VALUE = {
    "price_per_seed": "best_price_per_seed_base",
    "name": "strain_name",
    "last_change": "last_change_at",
}


@router.get("", response_model=StrainPage)
async def list_strains(
    request: Request,
    q: Annotated[
        Text,
        Query(min_length=2, max_length=100, description="Name, breeder or alias contains (literally)."),
    ] = None,
    sex: Literal["feminized", "regular"] | None = None,
    flowering: Literal["autoflower", "photoperiod"] | None = None,
    breeder: Annotated[Text, Query(min_length=1, max_length=100, description="Exact breeder.")] = None,
    seller: Annotated[Text, Query(min_length=1, max_length=100, description="Sold by (slug).")] = None,
    max_price_per_seed: Annotated[
        Decimal | None, Query(ge=0, lt=10**9, allow_inf_nan=False, description="Best price per seed at most.")
    ] = None,
    in_stock: Annotated[
        bool | None, Query(description="Only strains with (true) / without any in-stock offer.")
    ] = None,
    sort: Annotated[
        Literal["price_per_seed", "name", "last_change"],
        Query(description="price_per_seed ascending (none in stock last), name, last_change newest first."),
    ] = "price_per_seed",
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: Annotated[Text, Query(max_length=1024, description="next_cursor of the previous page.")] = None,
) -> StrainPage:
    try:
        after = cursors.decode(cursor, sort) if cursor is not None else None
    except ValueError as e:
        raise _invalid("cursor", cursor, str(e)) from e
    rows = await read(
        request, queries.strains, sort=sort, limit=limit + 1, after=after, q=q, sex=sex, flowering=flowering, breeder=breeder,
        seller=seller, max_price_per_seed=max_price_per_seed, in_stock=in_stock,
    )  # fmt: skip
    last = rows[limit - 1] if len(rows) > limit else None
    return StrainPage(
        items=[Strain(**_strain(r)) for r in rows[:limit]],
        next_cursor=cursors.encode(sort, last[_SORT_VALUE[sort]], last["strain_key"]) if last else None,
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
    offers = [Offer(**{**o, "url": o["offer_url"]}) for o in found["offers"]]
    return StrainDetail(**_strain(found), aliases=found["aliases"], offers=offers)


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
