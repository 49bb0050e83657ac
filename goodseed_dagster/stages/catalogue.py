"""strain_catalogue: cross-seller entity resolution over every active offer."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from goodseed_dagster.db.strains import CatalogueCounts, catalogue_inputs, write_catalogue
from goodseed_dagster.normalize.catalogue import alias_keys, resolve_strains


@dataclass(frozen=True, slots=True)
class CatalogueOutcome:
    offers: pl.DataFrame  # match_key, breeder, strain_name of every active offer
    mapping: pl.DataFrame  # match_key -> strain_key
    strains: pl.DataFrame
    counts: CatalogueCounts


def build_catalogue(engine: Engine) -> CatalogueOutcome:
    """Curated aliases override fuzzy matching; existing strain keys are preferred so keys stay stable."""
    with engine.begin() as conn:
        inputs = catalogue_inputs(conn)
    mapping, strains = resolve_strains(inputs.offers, alias_keys(inputs.aliases), inputs.existing_keys)
    with engine.begin() as conn:
        counts = write_catalogue(conn, mapping, strains)
    return CatalogueOutcome(offers=inputs.offers, mapping=mapping, strains=strains, counts=counts)
