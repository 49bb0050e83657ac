"""strain_catalogue: one strain per (breeder, strain, sex, flowering) across every seller."""

from dataclasses import asdict

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import md_preview
from goodseed_dagster.resources.postgres import Postgres
from goodseed_dagster.stages.catalogue import build_catalogue


@dg.asset(group_name="catalogue", kinds={"rapidfuzz", "postgres"}, deps=["offers"])
def strain_catalogue(pg: Postgres) -> dg.MaterializeResult:
    """One row per strain in core.strains; every active offer linked to its strain. Curated
    core.strain_aliases override fuzzy matching (rapidfuzz) of names within breeder, sex and flowering."""
    out = build_catalogue(pg.engine)
    per_strain = out.offers.join(out.mapping, on="match_key").group_by("strain_key").len()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": out.strains.height,
            **asdict(out.counts),
            "offers_linked": out.offers.height,
            "match_keys_merged": out.mapping.height - out.mapping["strain_key"].n_unique(),
            "strains_with_several_offers": per_strain.filter(pl.col("len") > 1).height,
            "preview": md_preview(out.strains.drop("strain_key")),
        }
    )
