"""What a listing states, read by the text rules: pack size, sex and flowering, each from the first text
that states it (the `goodseed extract` facts, and the first step of normalizing offers).

- pack_size: the number the page states (eligibleQuantity) > the variant label > the product name, the
  name only when it is the product's one offer on that page (a name names every pack of the product);
- sex and flowering: the name and variant label together > the labels (attribute table, tags,
  categories); null when none says, or when one says both.
"""

from __future__ import annotations

import polars as pl

from goodseed_dagster.normalize.text import flowering_expr, pack_size_expr, sex_expr
from goodseed_dagster.schema import LISTING

# where a fact was read: the stated number, or the listing column whose words the rule read
FROM_COLUMNS = ("pack_size_from", "sex_from", "flowering_from")


def _first(*candidates: tuple[pl.Expr, str]) -> tuple[pl.Expr, pl.Expr]:
    """The first non-null candidate value, and the name of the column it came from."""
    source = pl.lit(None, dtype=pl.String)
    for value, name in reversed(candidates):
        source = pl.when(value.is_not_null()).then(pl.lit(name)).otherwise(source)
    return pl.coalesce([v for v, _ in candidates]), source


def stated_facts(listings: pl.DataFrame, *, provenance: bool = False) -> pl.DataFrame:
    """`listings` in the LISTING schema with pack_size, sex and flowering as the page states them.

    With provenance, FROM_COLUMNS say which column each fact was read from ("pack_size" for a stated
    number, else "variant", "name" or "labels")."""
    frame = LISTING.conform(listings)
    name, variant, labels = pl.col("name"), pl.col("variant"), pl.col("labels")
    words = pl.concat_str([name, variant], separator=" ", ignore_nulls=True)
    one_offer = pl.len().over(pl.col("page_url"), pl.coalesce("product_id", "url")) == 1
    pack, pack_from = _first(
        (pl.col("pack_size"), "pack_size"),
        (pack_size_expr(variant), "variant"),
        (pl.when(one_offer).then(pack_size_expr(name)), "name"),
    )
    sex_words, flowering_words = sex_expr(words), flowering_expr(words)
    sex, sex_from = _first((sex_words, "name"), (sex_expr(labels), "labels"))
    flowering, flowering_from = _first((flowering_words, "name"), (flowering_expr(labels), "labels"))
    facts = {"pack_size": pack, "sex": sex, "flowering": flowering}
    if provenance:  # in the same step: the sources read the listing's own pack_size
        facts |= {
            "pack_size_from": pack_from,
            "sex_from": _by_variant(sex_from, sex_expr(variant), sex_words),
            "flowering_from": _by_variant(flowering_from, flowering_expr(variant), flowering_words),
        }
    return frame.with_columns(**facts)


def _by_variant(source: pl.Expr, in_variant: pl.Expr, in_words: pl.Expr) -> pl.Expr:
    """ "variant" where the name-and-variant reading is the variant label's own."""
    return pl.when((source == "name") & (in_variant == in_words)).then(pl.lit("variant")).otherwise(source)
