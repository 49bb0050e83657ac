"""GET /v1/strains: the catalogue, most widely sold first, with each strain's best in-stock offer."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from goodseed_dagster.api.deps import ConnDep
from goodseed_dagster.api.schemas import BestOffer, Strain, StrainPage
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1/strains", tags=["strains"])


def _encode(n: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{n}|{key}".encode()).decode()


def _decode(cursor: str) -> tuple[int, str]:
    try:
        n, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return int(n), key
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise HTTPException(
            status_code=400, detail="invalid cursor: pass next_cursor from a previous page"
        ) from e


@router.get("", response_model=StrainPage)
def list_strains(
    conn: ConnDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page.")
    ] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="Name contains.")] = None,
    sex: Literal["feminized", "regular"] | None = None,
    flowering: Literal["autoflower", "photoperiod"] | None = None,
) -> StrainPage:
    rows = queries.strains(
        conn, q=q, sex=sex, flowering=flowering, limit=limit + 1, after=_decode(cursor) if cursor else None
    )
    items = [
        Strain(
            id=r["strain_key"],
            name=r["name"],
            breeder=r["breeder"],
            sex=r["sex"],
            flowering=r["flowering"],
            sellers=r["sellers"],
            offer_count=r["n_offers"],
            best_offer=BestOffer(
                seller=r["best_seller"],
                pack_size=r["best_pack_size"],
                price=r["best_price"],
                currency=r["best_currency"],
                price_per_seed=r["best_price_per_seed"],
                base_currency=r["base_currency"],
                url=r["best_url"],
            ),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return StrainPage(
        items=items,
        next_cursor=_encode(rows[limit - 1]["n_sellers"], rows[limit - 1]["strain_key"]) if more else None,
    )
