"""GET /v1/strains: the catalogue, most widely sold first, with each strain's best in-stock offer."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import AfterValidator

from goodseed_dagster.api.deps import ConnDep
from goodseed_dagster.api.schemas import BestOffer, Strain, StrainPage
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1/strains", tags=["strains"])

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# what _encode writes: a seller count Postgres' integer holds, then a strain key
_CURSOR = re.compile(r"(0|[1-9]\d{0,8})\|([^\x00-\x1f\x7f-\x9f]{1,400})")


def _printable(value: str | None) -> str | None:
    """Control characters (a NUL above all: Postgres text cannot hold one) are a client error."""
    if value is not None and _CONTROLS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _encode(n: int, key: str) -> str:
    return base64.urlsafe_b64encode(f"{n}|{key}".encode()).decode()


def _decode(cursor: str) -> tuple[int, str]:
    """The (seller count, strain key) a cursor holds; 400 for anything _encode would not have written."""
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor.encode("ascii")).decode())
    except (ValueError, binascii.Error) as e:  # UnicodeError is a ValueError
        raise HTTPException(status_code=400, detail=f"invalid cursor: {_HINT}") from e
    if found is None:
        raise HTTPException(status_code=400, detail=f"invalid cursor: {_HINT}")
    return int(found[1]), found[2]


_HINT = "pass next_cursor from a previous page"


def _strain(row: Mapping[str, Any]) -> Strain:
    """A query row: best_* columns are the best offer, the rest the strain."""
    best = {k.removeprefix("best_"): v for k, v in row.items() if k.startswith("best_")}
    return Strain(**{k: v for k, v in row.items() if not k.startswith("best_")}, best_offer=BestOffer(**best))


@router.get("", response_model=StrainPage)
def list_strains(
    conn: ConnDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=2, max_length=100, description="Name contains (literally: % and _ are not wildcards)."
        ),
        AfterValidator(_printable),
    ] = None,
    sex: Literal["feminized", "regular"] | None = None,
    flowering: Literal["autoflower", "photoperiod"] | None = None,
) -> StrainPage:
    rows = queries.strains(
        conn, q=q, sex=sex, flowering=flowering, limit=limit + 1, after=_decode(cursor) if cursor else None
    )
    items = [_strain(r) for r in rows[:limit]]
    more = len(rows) > limit
    return StrainPage(
        items=items,
        next_cursor=_encode(rows[limit - 1]["n_sellers"], rows[limit - 1]["id"]) if more else None,
    )
