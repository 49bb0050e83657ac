"""Name rules against the forms real shops use, including every pack label of the Seed City catalogue."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from goodseed_dagster.normalize.text import (
    breeder_key_expr,
    flowering_expr,
    name_key_expr,
    pack_size_expr,
    sex_expr,
    strain_name_expr,
)

CATALOGUE = (
    Path(__file__).resolve().parents[2] / "goodseed_dagster" / "market" / "data" / "seedcity_catalog.csv"
)
# "5 Feminised Seeds (GBP 28.08)", "8 X 1 Single Feminised Seed (GBP 9.00)", "7 X 10 Regular Seeds (...)"
SEED_PACK = re.compile(
    r"^(\d+)(?: X (\d+))? (?:Single )?(Feminised|Regular)(?: Auto)? Seeds?$", re.IGNORECASE
)


def _eval(expr: pl.Expr, values: Sequence[str | None]) -> list[object]:
    return pl.DataFrame({"t": values}, schema={"t": pl.String}).select(expr.alias("out"))["out"].to_list()


def _catalogue_pack_labels() -> list[tuple[str, int, str]]:
    out = []
    with CATALOGUE.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for option in filter(None, row["pack_options"].split(" | ")):
                label = re.sub(r"\s+", " ", option.rsplit(" (", 1)[0].strip())
                m = SEED_PACK.match(label)
                if m:
                    size = int(m.group(1)) * int(m.group(2) or 1)
                    out.append(
                        (label, size, "feminized" if m.group(3).lower().startswith("fem") else "regular")
                    )
    return out


def test_every_seed_pack_label_in_the_real_catalogue_parses() -> None:
    labels = _catalogue_pack_labels()
    assert len(labels) > 10_000
    texts = [label for label, _, _ in labels]
    assert _eval(pack_size_expr(pl.col("t")), texts) == [size for _, size, _ in labels]
    assert _eval(sex_expr(pl.col("t")), texts) == [sex for _, _, sex in labels]


@pytest.mark.parametrize(
    ("text", "pack", "sex", "flowering"),
    [
        ("5 Feminised Seeds", 5, "feminized", None),
        ("1 Single Regular Seed", 1, "regular", None),
        ("Pack 5 semillas feminizadas", 5, "feminized", None),
        ("5er Packung", 5, None, None),
        ("5 zaden", 5, None, None),
        ("Gelato Auto Fem x3", 3, "feminized", "autoflower"),
        ("Northern Lights Autoflowering - Pack of 10", 10, None, "autoflower"),
        ("Critical Fast Version 3 Seeds", 3, None, "photoperiod"),
        ("Afghan Kush Reguläre Hanfsamen", None, "regular", None),
        ("Amnesia Haze Feminisierte Hanfsamen 10 Stk", 10, "feminized", None),
        ("Big Bud Auto 5 Photoperiod Seeds", 5, None, None),  # says both: not stated
        ("Gorilla Glue #4 Fem 10 Seeds", 10, "feminized", None),
        ("Skunk Reg 10-pack", 10, "regular", None),
        ("Skunk Reg 3pk", 3, "regular", None),
    ],
)
def test_real_label_forms(text: str, pack: int | None, sex: str | None, flowering: str | None) -> None:
    """Each rule states what the text says and nothing else: unknown is null (offers then default
    flowering to photoperiod, see tests/normalize/test_offers.py)."""
    assert _eval(pack_size_expr(pl.col("t")), [text]) == [pack]
    assert _eval(sex_expr(pl.col("t")), [text]) == [sex]
    assert _eval(flowering_expr(pl.col("t")), [text]) == [flowering]


@pytest.mark.parametrize(
    ("label", "n"),
    [
        ("5 Feminised Seeds", 5),
        ("1 Single Regular Seed", 1),
        ("Pack of 10", 10),
        ("Single Seed", 1),
        ("3 seeds", 3),
        ("Gelato Auto Fem 5 Seeds", 5),
        ("Gorilla Glue #4 Fem 10 Seeds", 10),
        ("x25", 25),
        ("10-pack", 10),
        ("8 X 1 Single Feminised Seed", 8),
        ("7 X 10 Regular Seeds", 70),
        ("Gelato", None),
        ("Cindy 99 Feminized Cannabis Seeds", None),
        ("", None),
        (None, None),
    ],
)
def test_pack_size(label: str | None, n: int | None) -> None:
    assert _eval(pack_size_expr(pl.col("t")), [label]) == [n]


def test_words_never_guess() -> None:
    sex = ["Gelato Feminised Seeds", "Skunk Reg", "Gelato", "Fem and Regular mix", None]
    assert _eval(sex_expr(pl.col("t")), sex) == ["feminized", "regular", None, None, None]
    flowering = ["Big Bud Autoflowering", "Auto Fem", "Photoperiod", "Autumn Gelato", "Auto or Photo"]
    assert _eval(flowering_expr(pl.col("t")), flowering) == [
        "autoflower",
        "autoflower",
        "photoperiod",
        None,
        None,
    ]


def test_breeder_spellings_share_one_key() -> None:
    keys = _eval(
        breeder_key_expr(pl.col("t")),
        ["Barneys Farm Seeds", "Barney's Farm", "BARNEYS FARM", "Barney’s Farm"],
    )
    assert len(set(keys)) == 1
    assert _eval(breeder_key_expr(pl.col("t")), ["Dutch Passion"]) != keys[:1]


def test_breeders_named_in_sale_titles_match_the_breeder_column() -> None:
    """The catalogue writes "Dutch Passion Seeds" in the breeder column and "Dutch Passion" in its SALE
    titles: every such pair must share one key."""
    with CATALOGUE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    column = {r["breeder"] for r in rows}
    in_titles = {m.group(1).strip() for r in rows if (m := re.match(r"SALE - .+ - (.+)$", r["strain_name"]))}

    def plain(b: str) -> str:
        return re.sub(r"\bseeds?\b|[^a-z]", "", b.lower())

    pairs = [(t, c) for t in in_titles for c in column if t != c and plain(t) == plain(c)]
    assert len(pairs) >= 5
    keys = dict(
        zip([*column, *in_titles], _eval(breeder_key_expr(pl.col("t")), [*column, *in_titles]), strict=True)
    )
    assert [(t, c) for t, c in pairs if keys[t] != keys[c]] == []


@pytest.mark.parametrize(
    ("title", "breeder", "name"),
    [
        ("SALE - Gelato 41 - Flavour Chasers", "Flavour Chasers", "Gelato 41"),
        ("SALE - Purple Queen - Royal Queen Seeds", "Royal Queen Seeds", "Purple Queen"),
        ("Blackskull Gelato Feminized", "Blackskull", "Gelato"),
        ("GELATO (FEM) - BLACKSKULL SEEDS", "Blackskull Seeds", "Gelato"),
        ("Gorilla Glue #4 Auto 5 Seeds", "Expert Seeds", "Gorilla Glue #4"),
        ("Original Sensible Seed Co. Gorilla #4 Auto Feminized", "Original Sensible Seed Co.", "Gorilla #4"),
        ("Barneys Farm Tangerine Dream Feminised Seeds", "Barney's Farm", "Tangerine Dream"),
        ("Girl Scout Cookies Auto 3 Pack", None, "Girl Scout Cookies"),
        ("BOMB AUTO (FEM) - BOMB SEEDS", "BOMB", "Bomb"),
        ("Skywalker OG Auto Feminised Seeds", "Barneys Farm Seeds", "Skywalker OG"),
        ("CBD Critical Mass Auto", None, "CBD Critical Mass"),
    ],
)
def test_strain_names_lose_sale_pack_type_and_breeder_words(
    title: str, breeder: str | None, name: str
) -> None:
    df = pl.DataFrame({"t": [title], "b": [breeder]}, schema={"t": pl.String, "b": pl.String})
    got = df.select(strain_name_expr(pl.col("t"), pl.col("b")))[0, 0]
    assert got == name
    assert df.select(name_key_expr(pl.lit(got)))[0, 0] == re.sub(r"[^0-9a-z]", "", name.lower())
