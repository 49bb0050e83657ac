"""core.strains and core.strain_aliases: the cross-seller catalogue and its curated overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, text

from goodseed_dagster.db.copy import copy_frame, temp_table_like

STRAIN_COLUMNS = ["strain_key", "breeder", "name", "sex", "flowering"]


@dataclass(frozen=True, slots=True)
class CatalogueInputs:
    offers: pl.DataFrame  # match_key, breeder, strain_name: one row per active offer
    aliases: pl.DataFrame  # breeder, name, strain_key: curated, as people wrote them
    existing_keys: list[str]


@dataclass(frozen=True, slots=True)
class CatalogueCounts:
    strains: int
    new_strains: int
    offers_relinked: int


def _frame(conn: Connection, sql: str, columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [dict(r._mapping) for r in conn.execute(text(sql))], schema=dict.fromkeys(columns, pl.String)
    )


def catalogue_inputs(conn: Connection) -> CatalogueInputs:
    return CatalogueInputs(
        offers=_frame(
            conn,
            "SELECT match_key, breeder, strain_name FROM core.offers WHERE active",
            ["match_key", "breeder", "strain_name"],
        ),
        aliases=_frame(
            conn,
            "SELECT breeder, name, strain_key FROM core.strain_aliases",
            ["breeder", "name", "strain_key"],
        ),
        existing_keys=list(conn.execute(text("SELECT strain_key FROM core.strains")).scalars()),
    )


_UPSERT = text(f"""
INSERT INTO core.strains ({", ".join(STRAIN_COLUMNS)}) SELECT {", ".join(STRAIN_COLUMNS)} FROM stage_strains
ON CONFLICT (strain_key) DO UPDATE SET breeder = EXCLUDED.breeder, name = EXCLUDED.name,
  sex = EXCLUDED.sex, flowering = EXCLUDED.flowering
RETURNING (xmax = 0) AS inserted""")

_LINK = text("""
UPDATE core.offers o SET strain_key = m.strain_key FROM stage_map m
WHERE o.match_key = m.match_key AND o.active AND o.strain_key IS DISTINCT FROM m.strain_key""")


def write_catalogue(conn: Connection, mapping: pl.DataFrame, strains: pl.DataFrame) -> CatalogueCounts:
    """Upsert the strains, then link every active offer to its strain through its match key."""
    temp_table_like(conn, "stage_strains", "core.strains", STRAIN_COLUMNS)
    copy_frame(conn, "stage_strains", strains.select(STRAIN_COLUMNS))
    inserted: Sequence[bool] = conn.execute(_UPSERT).scalars().all()
    temp_table_like(conn, "stage_map", "core.offers", ["match_key", "strain_key"])
    copy_frame(conn, "stage_map", mapping.select("match_key", "strain_key"))
    linked = conn.execute(_LINK).rowcount
    return CatalogueCounts(strains=len(inserted), new_strains=sum(inserted), offers_relinked=linked)
