"""What a listing states, read by the text rules: pack size, sex and flowering, each from the first text
that states it (the `goodseed extract` facts, and the first step of normalizing offers).

- pack_size: the number the page states (eligibleQuantity) > the variant label > the product name, the
  name only when it is the product's one offer on that page (a name names every pack of the product);
- sex and flowering: the name and variant label together > the labels (attribute table, tags,
  categories); null when none says, or when one says both.

The rules read text in NFC (shops print "á" as one character or as "a" + a combining accent), and run
once per distinct text: a seller's listings repeat a few thousand names and labels many times over.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from goodseed_dagster.normalize.hashing import distinct
from goodseed_dagster.normalize.text import flowering_expr, pack_size_expr, sex_expr
from goodseed_dagster.schema import LISTING

TEXTS = ("name", "variant", "labels")  # the listing columns the fact rules read
# where a fact was read: the stated number, or the listing column whose words the rule read
FROM_COLUMNS = ("pack_size_from", "sex_from", "flowering_from")


def distinct_texts(frame: pl.DataFrame, columns: Sequence[str] = TEXTS) -> tuple[pl.DataFrame, pl.Series]:
    """The distinct rows of `columns` (as printed, and each text in NFC as `nfc_<column>`: what the rules
    read) and, for each row of `frame`, the index of its texts among them."""
    texts, index = distinct(frame.select(columns))
    return texts.with_columns(_nfc(texts[c]).alias(f"nfc_{c}") for c in columns), index


def _nfc(text: pl.Series) -> pl.Series:
    """`text` in NFC. Only values with a non-ASCII character can change, and polars normalizes every value
    it is given at ~100 MB/s: only those go through it."""
    wide = text.filter(text.str.contains(r"[^\x00-\x7F]")).unique()
    return text.replace(wide, wide.str.normalize("NFC"))


def read_texts(texts: pl.DataFrame, *, provenance: bool = False) -> pl.DataFrame:
    """`texts` (distinct_texts of TEXTS or more) with what the rules read in them: the pack size the
    variant label and the name state (variant_pack, name_pack), sex and flowering; with provenance,
    sex_from and flowering_from ("name", "variant" or "labels")."""
    name, variant, labels = (pl.col(f"nfc_{c}") for c in TEXTS)
    # lazy: the rules share subexpressions (each pattern is tested once), computed once
    read = texts.lazy().with_columns(words=pl.concat_str([name, variant], separator=" ", ignore_nulls=True))
    words = pl.col("words")
    read = read.with_columns(
        variant_pack=pack_size_expr(variant),
        name_pack=pack_size_expr(name),
        sex_words=sex_expr(words),
        sex_labels=sex_expr(labels),
        flowering_words=flowering_expr(words),
        flowering_labels=flowering_expr(labels),
    )
    facts = {}
    for fact, rule in (("sex", sex_expr), ("flowering", flowering_expr)):
        in_words = pl.col(f"{fact}_words")
        value, source = _first((in_words, "name"), (pl.col(f"{fact}_labels"), "labels"))
        facts[fact] = value
        if provenance:
            facts[f"{fact}_from"] = _by_variant(source, rule(variant), in_words)
    helpers = ["words", *(f"{f}_{w}" for f in ("sex", "flowering") for w in ("words", "labels"))]
    return read.with_columns(**facts).drop(helpers).collect()


def stated_pack(read: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(pack size, the column it was read from) of `read`: listings with read_texts' variant_pack and
    name_pack."""
    return _first(
        (pl.col("pack_size"), "pack_size"),
        (pl.col("variant_pack"), "variant"),
        (pl.when(_one_offer(read)).then(pl.col("name_pack")), "name"),
    )


def _one_offer(read: pl.DataFrame) -> pl.Expr:
    """Whether each listing is its product's one offer on its page, where that decides its pack size (only
    the name states one): counted on those pages alone, as a window over every listing costs more than
    the rules do."""
    by_name = (
        pl.col("pack_size").is_null() & pl.col("variant_pack").is_null() & pl.col("name_pack").is_not_null()
    )
    pages = read.select(pl.col("page_url").filter(by_name).unique().implode())["page_url"]
    alone = (
        read.select("page_url", "product_id", "url")
        .with_row_index()
        .filter(pl.col("page_url").is_in(pages, nulls_equal=True))
        .filter(pl.len().over("page_url", pl.coalesce("product_id", "url")) == 1)["index"]
    )
    return pl.lit(pl.zeros(read.height, dtype=pl.Boolean, eager=True).scatter(alone, True))


def stated_facts(listings: pl.DataFrame, *, provenance: bool = False) -> pl.DataFrame:
    """`listings` in the LISTING schema with pack_size, sex and flowering as the page states them.

    With provenance, FROM_COLUMNS say which column each fact was read from ("pack_size" for a stated
    number, else "variant", "name" or "labels")."""
    frame = LISTING.conform(listings)
    texts, index = distinct_texts(frame)
    texts = read_texts(texts, provenance=provenance).drop(*TEXTS, *(f"nfc_{c}" for c in TEXTS))
    read = pl.concat([frame, texts[index]], how="horizontal")
    pack, pack_from = stated_pack(read)
    facts = {"pack_size": pack} | ({"pack_size_from": pack_from} if provenance else {})
    order = [*LISTING.names, "sex", "flowering", *(FROM_COLUMNS if provenance else ())]
    return read.with_columns(**facts).select(order)


def _first(*candidates: tuple[pl.Expr, str]) -> tuple[pl.Expr, pl.Expr]:
    """The first non-null candidate value, and the name of the column it came from."""
    source = pl.lit(None, dtype=pl.String)
    for value, name in reversed(candidates):
        source = pl.when(value.is_not_null()).then(pl.lit(name)).otherwise(source)
    return pl.coalesce([v for v, _ in candidates]), source


def _by_variant(source: pl.Expr, in_variant: pl.Expr, in_words: pl.Expr) -> pl.Expr:
    """ "variant" where the name-and-variant reading is the variant label's own."""
    return pl.when((source == "name") & (in_variant == in_words)).then(pl.lit("variant")).otherwise(source)
