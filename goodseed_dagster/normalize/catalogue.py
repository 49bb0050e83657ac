"""Cross-seller entity resolution: offers' match keys → one strain per (breeder, strain, sex, flowering).

Exact keys come from the vectorized name rules; on top of them:
1. a curated alias (breeder key, name key) → strain key overrides everything;
2. an offer without a breeder whose name is a known breeder's name and one of that breeder's strains
   ("Barneys Farm Mimosa Evo", "Afghan Kush by White Label") is that breeder's strain; then an offer
   whose sex the shop does not state joins the one strain of that name that is feminized (what shops
   leave unsaid: regular seeds are the exception every shop labels, so an unlabelled listing is never
   taken for one);
3. rapidfuzz merges spelling variants within a (breeder, sex, flowering) block ("Girl Scout Cookie" ~
   "Girl Scout Cookies"), never across different numbers ("Gelato 33" ≠ "Gelato 41"), a name and one
   with a word more ("Princess Haze" ≠ "Princess Haze XX"), a word that begins differently ("Zruntz" is
   not a misspelt "Runtz": typos keep a word's first letter) or a chemotype word ("CBD"), preferring
   strain keys that already exist so keys stay stable from one run to the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl
from rapidfuzz import fuzz, process

from goodseed_dagster.normalize.text import KIND_TOKENS, breeder_key_expr, name_key_expr

FUZZY_CUTOFF = 92.0
UNKNOWN = "unknown"  # the breeder key of offers whose shop names no breeder
_DIGITS = re.compile(r"\d+")


def _split_keys(df: pl.DataFrame) -> pl.DataFrame:
    parts = pl.col("match_key").str.split_exact("|", 3)
    return df.with_columns(
        parts.struct.rename_fields(["bkey", "nkey", "sex_key", "flower_key"]).alias("parts")
    ).unnest("parts")


def _breeder_in_name(counts: pl.DataFrame) -> pl.DataFrame:
    """Rule 2, first half: (unknown, breeder + name) or (unknown, name + breeder) -> (breeder, name) where
    that breeder has a strain of that name; a name that reads two ways keeps its unknown breeder."""
    known = counts.filter(pl.col("bkey") != UNKNOWN).select("bkey", "nkey").unique().rows()
    spelled: dict[str, set[tuple[str, str]]] = {}
    for bkey, nkey in known:
        for whole in (bkey + nkey, nkey + bkey):
            spelled.setdefault(whole, set()).add((bkey, nkey))
    found = {whole: next(iter(pairs)) for whole, pairs in spelled.items() if len(pairs) == 1}
    nkeys = counts["nkey"].to_list()
    pairs = [
        found.get(nkey, (bkey, nkey)) if bkey == UNKNOWN else (bkey, nkey)
        for bkey, nkey in zip(counts["bkey"].to_list(), nkeys, strict=True)
    ]
    return counts.with_columns(
        bkey=pl.Series([b for b, _ in pairs], dtype=pl.String),
        nkey=pl.Series([n for _, n in pairs], dtype=pl.String),
    )


def _fill_unstated_sex(counts: pl.DataFrame) -> pl.DataFrame:
    """Rule 2: an unknown sex becomes feminized when that is the single sex stated for the same breeder,
    name and flowering."""
    stated = (
        counts.filter(pl.col("sex_key") != "unknown")
        .group_by("bkey", "nkey", "flower_key")
        .agg(pl.col("sex_key").unique())
        .filter((pl.col("sex_key").list.len() == 1) & (pl.col("sex_key").list.first() == "feminized"))
        .with_columns(pl.col("sex_key").list.first().alias("stated_sex"))
        .drop("sex_key")
    )
    return (
        counts.join(stated, on=["bkey", "nkey", "flower_key"], how="left")
        .with_columns(
            sex_key=pl.when(pl.col("sex_key") == "unknown")
            .then(pl.coalesce("stated_sex", "sex_key"))
            .otherwise("sex_key")
        )
        .drop("stated_sex")
    )


def _name_words(keyed: pl.DataFrame) -> dict[str, tuple[str, ...]]:
    """Name key -> the lowercase words of its most used strain name (rule 3 merges spellings, not words)."""
    words = keyed.group_by("nkey").agg(pl.col("strain_name").mode().sort().first().str.to_lowercase())
    return {nkey: tuple(name.split()) for nkey, name in words.iter_rows()}


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names' words can be spellings of each other: as many words, each beginning alike, and the
    same chemotype words."""
    return len(a) == len(b) and all(
        x[:1] == y[:1] and (x == y or not {x, y} & set(KIND_TOKENS)) for x, y in zip(a, b, strict=True)
    )


def _fuzzy_names(
    counts: pl.DataFrame, existing: set[str], words: dict[str, tuple[str, ...]]
) -> dict[tuple[str, str, str, str], str]:
    """Rule 3: (bkey, nkey, sex, flowering) -> the name key it merges into within its block, most used
    (and already existing) spellings first; only names _same_words allows."""
    canonical: dict[tuple[str, str, str, str], str] = {}
    for (bkey, sex, flower), block in counts.group_by("bkey", "sex_key", "flower_key"):
        totals = block.group_by("nkey").agg(pl.col("n").sum()).to_dicts()
        totals.sort(key=lambda r: (f"{bkey}|{r['nkey']}|{sex}|{flower}" not in existing, -r["n"], r["nkey"]))
        reps: list[str] = []
        for row in totals:
            nkey = row["nkey"]
            hit = (
                process.extractOne(nkey, reps, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF) if reps else None
            )
            if (
                hit
                and _DIGITS.findall(hit[0]) == _DIGITS.findall(nkey)
                and _same_words(words[hit[0]], words[nkey])
            ):
                canonical[(str(bkey), nkey, str(sex), str(flower))] = hit[0]
            else:
                reps.append(nkey)
                canonical[(str(bkey), nkey, str(sex), str(flower))] = nkey
    return canonical


def _apply_aliases(mapping: pl.DataFrame, keyed: pl.DataFrame, aliases: pl.DataFrame | None) -> pl.DataFrame:
    """Rule 1: a curated alias (bkey, nkey) -> strain_key overrides every other rule."""
    if aliases is None or not aliases.height:
        return mapping
    alias_map = (
        keyed.select("match_key", "bkey", "nkey")
        .unique()
        .join(aliases.select("bkey", "nkey", pl.col("strain_key").alias("alias_key")), on=["bkey", "nkey"])
    )
    return mapping.join(alias_map.select("match_key", "alias_key"), on="match_key", how="left").select(
        "match_key", strain_key=pl.coalesce("alias_key", "strain_key")
    )


def resolve_strains(
    offers: pl.DataFrame, aliases: pl.DataFrame | None = None, existing_keys: Iterable[str] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """offers: match_key, breeder, strain_name (one row per offer). Returns (mapping, strains).

    mapping: match_key → strain_key; strains: strain_key, breeder, name, sex, flowering.
    """
    keyed = _split_keys(offers.select("match_key", "breeder", "strain_name"))
    counts = _fill_unstated_sex(
        _breeder_in_name(keyed.group_by("match_key", "bkey", "nkey", "sex_key", "flower_key").agg(n=pl.len()))
    )
    canonical = _fuzzy_names(counts, set(existing_keys), _name_words(keyed))
    rows = counts.select("match_key", "bkey", "nkey", "sex_key", "flower_key").to_dicts()
    mapping = pl.DataFrame(
        {
            "match_key": [r["match_key"] for r in rows],
            "strain_key": [
                f"{r['bkey']}|{canonical[(r['bkey'], r['nkey'], r['sex_key'], r['flower_key'])]}"
                f"|{r['sex_key']}|{r['flower_key']}"
                for r in rows
            ],
        },
        schema={"match_key": pl.String, "strain_key": pl.String},
    )
    mapping = _apply_aliases(mapping, keyed, aliases)
    strains = (
        keyed.join(mapping, on="match_key")
        .group_by("strain_key")
        .agg(
            breeder=pl.col("breeder").mode().sort().first(),
            name=pl.col("strain_name").mode().sort().first(),
        )
        .with_columns(
            sex=pl.col("strain_key").str.split("|").list.get(2).replace("unknown", None),
            flowering=pl.col("strain_key").str.split("|").list.get(3),
        )
        .sort("strain_key")
    )
    return mapping, strains


def alias_keys(aliases: pl.DataFrame) -> pl.DataFrame:
    """Curated aliases (breeder, name, strain_key as people wrote them) keyed like offers' match keys."""
    return aliases.select(
        bkey=breeder_key_expr(pl.col("breeder")), nkey=name_key_expr(pl.col("name")), strain_key="strain_key"
    )
