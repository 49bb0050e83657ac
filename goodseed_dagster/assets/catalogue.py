"""strain_catalogue: one strain per (breeder, strain, sex, flowering) across every seller."""

import dagster as dg
import polars as pl

from goodseed_dagster.assets._meta import md_preview
from goodseed_dagster.db.offers import catalogue_inputs, write_catalogue
from goodseed_dagster.normalize.catalogue import resolve_strains
from goodseed_dagster.resources.postgres import Postgres


@dg.asset(group_name="catalogue", kinds={"rapidfuzz", "postgres"}, deps=["offers"])
def strain_catalogue(context: dg.AssetExecutionContext, pg: Postgres) -> dg.MaterializeResult:
    """One row per strain in core.strains; every active offer linked to its strain. Curated
    core.strain_aliases override fuzzy matching (rapidfuzz) of names within breeder, sex and flowering."""
    with pg.begin() as conn:
        offers, aliases, existing = catalogue_inputs(conn)
    mapping, strains = resolve_strains(offers, aliases, existing)
    with pg.begin() as conn:
        counts = write_catalogue(conn, mapping, strains)
    per_strain = offers.join(mapping, on="match_key").group_by("strain_key").len()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": strains.height,
            "new_strains": counts["new_strains"],
            "offers_linked": offers.height,
            "offers_relinked": counts["offers_relinked"],
            "match_keys_merged": mapping.height - mapping["strain_key"].n_unique(),
            "strains_with_several_offers": per_strain.filter(pl.col("len") > 1).height,
            "preview": md_preview(strains.drop("strain_key")),
        }
    )
