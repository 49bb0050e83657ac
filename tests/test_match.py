"""`goodseed match`: a CSV's rows keyed by the strain_catalogue's own rules, and how well those rules
group real shops' namings (pairwise precision and recall against labelled data)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from goodseed_dagster.cli import main
from goodseed_dagster.matching import run_match
from goodseed_dagster.normalize.catalogue import resolve_strains
from goodseed_dagster.normalize.fx import fx_frame
from goodseed_dagster.normalize.offers import MAX_KEY_BYTES, normalize_offers

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "matching"
SEEDCITY = ROOT / "goodseed_dagster" / "market" / "data" / "seedcity_catalog.csv"


def _match(tmp_path: Path, content: str | bytes) -> tuple[int, list[dict[str, str]], list[str]]:
    path = tmp_path / "offers.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    out, err = io.StringIO(), io.StringIO()
    status = run_match(str(path), out, err)
    return status, list(csv.DictReader(io.StringIO(out.getvalue()))), err.getvalue().splitlines()


def test_one_strain_named_many_ways_gets_one_key(tmp_path: Path) -> None:
    """The issue's namings: type words, the breeder's spellings, the breeder only in its column (the
    sex then comes from the one version of that name with a sex); the auto version and another
    breeder's strain of the same name are other strains."""
    header = "seller,name,breeder,url,price\n"
    named = (
        "a,Mimosa EVO Feminised Seeds,Barneys Farm,https://a/1,10\n"
        "b,Mimosa Evo,Barney's Farm Seeds,https://b/1,11\n"
        "c,MIMOSA EVO - Feminized,BARNEYS FARM,,12\n"
        "d,Mimosa Evo Auto,Barneys Farm,,13\n"
        "e,Mimosa Evo Feminised,Other Genetics,,14\n"
    )
    status, rows, err = _match(tmp_path, header + named)
    assert status == 0 and err == []
    assert [r["price"] for r in rows] == ["10", "11", "12", "13", "14"]  # rows and columns kept
    keys = [r["strain_key"] for r in rows]
    assert keys[0] == keys[1] == keys[2] == "barneysfarm|mimosaevo|feminized|photoperiod"
    assert len(set(keys[2:])) == 3
    # with a regular version too, an unstated sex is not guessed: three strains, none merged
    _, rows, _ = _match(tmp_path, header + named + "f,Mimosa Evo Regular Seeds,Barneys Farm,,15\n")
    keys = [r["strain_key"] for r in rows]
    assert keys[1] == "barneysfarm|mimosaevo|unknown|photoperiod"
    assert len({keys[0], keys[1], keys[5]}) == 3


def test_a_breeder_named_only_in_the_title(tmp_path: Path) -> None:
    """No breeder column: a name that is a known breeder's name and one of its strains is that strain;
    a name that merely begins with a breeder's name ("Sweet Tooth", Sweet Seeds) is not."""
    _, rows, _ = _match(
        tmp_path,
        "seller,name,breeder\n"
        "a,Mimosa EVO Feminised Seeds,Barneys Farm\n"
        "b,barneys farm mimosa evo strain fem photo,\n"
        "c,Mimosa Evo Feminized by Barney's Farm,\n"
        "d,Sweet Tooth Feminised,\n"
        "e,Cream Mandarine Auto,Sweet Seeds\n",
    )
    keys = [r["strain_key"] for r in rows]
    assert keys[0] == keys[1] == keys[2] == "barneysfarm|mimosaevo|feminized|photoperiod"
    assert keys[3] == "unknown|sweettooth|feminized|photoperiod"


def test_keys_are_the_strain_catalogues(tmp_path: Path) -> None:
    """The same names keyed by normalize_offers + resolve_strains (the strain_catalogue path) and by
    `goodseed match` get the same strain keys."""
    names = ["Gelato Feminised Seeds", "Girl Scout Cookie Fem", "Girl Scout Cookies Feminized", "Gelato 41"]
    breeders = ["Blackskull Seeds", "Seedsman", "Seedsman", "Blackskull"]
    listings = pl.DataFrame(
        {
            "url": [f"https://shop/p{i}" for i in range(len(names))],
            "name": names,
            "breeder": breeders,
            "variant": ["5 Seeds"] * len(names),
            "price": [Decimal(10)] * len(names),
            "currency": ["EUR"] * len(names),
        }
    )
    offers = normalize_offers(listings, fx_frame({})).offers
    mapping, _ = resolve_strains(offers.select("match_key", "breeder", "strain_name"))
    expected = offers.join(mapping, on="match_key", how="left", maintain_order="left")["strain_key"]
    body = "".join(f"s,{n},{b}\n" for n, b in zip(names, breeders, strict=True))
    _, rows, _ = _match(tmp_path, "seller,name,breeder\n" + body)
    assert [r["strain_key"] for r in rows] == expected.to_list()
    assert rows[1]["strain_key"] == rows[2]["strain_key"]  # the catalogue's fuzzy rule ran


def test_bad_rows_get_a_reason_and_no_key(tmp_path: Path) -> None:
    content = (
        b"seller,name,breeder\n"
        b"a,Gelato Feminised Seeds,Blackskull\n"
        b"a,,Blackskull\n"
        b",Gelato,Blackskull\n"
        b"a,Bad \xff\xfe Bytes,Blackskull\n"
        b"a," + b"x" * (MAX_KEY_BYTES + 1) + b",Blackskull\n"
        b"a,too,many,fields\n"
        b"a,Seeds,\n"
        b"a,Gelato Feminised,Blackskull Seeds\n"
    )
    status, rows, err = _match(tmp_path, content)
    assert status == 0
    keys = [r["strain_key"] for r in rows]
    assert keys[0] == keys[7] == "blackskull|gelato|feminized|photoperiod"
    assert keys[1:7] == [""] * 6
    reasons = ["no name", "no seller", "not valid UTF-8", "longer than", "4 fields", "no strain name"]
    assert len(err) == 6
    for line, record, reason in zip(err, range(2, 8), reasons, strict=True):
        assert f"record {record}:" in line and reason in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,breeder\nGelato,Blackskull\n", "missing required column(s): seller"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        (b"", "not a CSV file (no header)"),
        (b'seller,name\na,"unterminated\n', "not a CSV file"),
    ],
)
def test_files_that_cannot_be_matched_exit_1(tmp_path: Path, content: bytes, message: str) -> None:
    status, rows, err = _match(tmp_path, content)
    assert status == 1 and rows == []
    assert len(err) == 1 and message in err[0]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", str(tmp_path / "missing.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
    path = tmp_path / "o.csv"
    path.write_text("seller,name\na,Gelato Fem\n")
    assert main(["match", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "seller,name,strain_key",
        "a,Gelato Fem,unknown|gelato|feminized|photoperiod",
    ]


# --- the evaluation -------------------------------------------------------------------------------


def _pairs(groups: Iterable[str]) -> set[tuple[int, int]]:
    """Every pair of row indices that share a group (empty: the row is in no group)."""
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        if group:
            members.setdefault(group, []).append(i)
    return {pair for rows in members.values() for pair in itertools.combinations(rows, 2)}


def _counts(truth: Sequence[str], keys: Sequence[str]) -> tuple[int, int, int]:
    """(pairs both group, pairs the keys group, pairs the truth groups)."""
    true, found = _pairs(truth), _pairs(keys)
    return len(true & found), len(found), len(true)


def _seedcity_truth(names: list[str], breeders: list[str]) -> list[str]:
    """Each listing is its own product; "SALE - <name> - <breeder>" repeats <name>; and the pairs
    reviewed by hand as one product (fixtures README)."""
    same = {
        (r["breeder"], r["name"]): r["same_as"]
        for r in csv.DictReader((FIXTURES / "seedcity_same_strain.csv").open(encoding="utf-8"))
    }
    truth = []
    for name, breeder in zip(names, breeders, strict=True):
        if name.upper().startswith("SALE - "):
            head, sep, tail = name[7:].rpartition(" - ")
            name = head if sep and breeder.lower().startswith(tail.lower()) else name[7:]
        truth.append(f"seedcity|{breeder}|{same.get((breeder, name), name)}")
    return truth


def _inputs(tmp_path: Path) -> dict[str, tuple[pl.DataFrame, list[str]]]:
    """Each labelled set as a `goodseed match` input with each row's ground-truth group: the Sensi feed's
    titles (no breeder column: the breeder's own shop, one seller per locale) and the Seed City
    catalogue (breeder column, pack options as labels). Matched apart: no pair across them is labelled."""
    sensi = pl.read_csv(FIXTURES / "sensi_feed_titles.csv", infer_schema_length=0)
    seedcity = pl.read_csv(SEEDCITY, infer_schema_length=0)
    return {
        "sensi (8 languages)": (
            sensi.select(seller="sensi-" + pl.col("locale"), name="title"),
            sensi["seed_id"].to_list(),
        ),
        "seedcity": (
            seedcity.select(
                seller=pl.lit("seedcity"), name="strain_name", breeder="breeder", labels="pack_options"
            ),
            _seedcity_truth(seedcity["strain_name"].to_list(), seedcity["breeder"].to_list()),
        ),
    }


def test_pairwise_precision_and_recall_on_real_namings(tmp_path: Path) -> None:
    """Pairs of rows that should share a strain key against pairs that do, per set and pooled."""
    counts = {}
    for part, (frame, truth) in _inputs(tmp_path).items():
        path = tmp_path / "eval.csv"
        frame.write_csv(path)
        out = io.StringIO()
        assert run_match(str(path), out, io.StringIO()) == 0
        keys = [r["strain_key"] for r in csv.DictReader(io.StringIO(out.getvalue()))]
        assert len(keys) == len(truth) and "" not in keys
        counts[part] = _counts(truth, keys)
    counts["all"] = tuple(sum(c) for c in zip(*counts.values(), strict=True))
    scores = {part: (hits / found, hits / true) for part, (hits, found, true) in counts.items()}
    for part, (precision, recall) in scores.items():
        print(f"matching {part}: pairwise precision {precision:.3f}, recall {recall:.3f}")
    # Issue #18's target, >= 0.95 each, holds for the Sensi feed and pooled (measured 0.997 / 0.971: a bare
    # "Automatic" is the autoflower marker it is in breeders' names, and the market's catalogue agrees).
    for part in ("all", "sensi (8 languages)"):
        precision, recall = scores[part]
        assert precision >= 0.95 and recall >= 0.95, part
    # Seed City has few true pairs (sale listings, five respellings): one wrong merge costs ~1.5 %. Measured
    # 1.000 / 0.967 (sale titles whose breeder suffix a length limit cut are read without it); the two pairs
    # missed are unlabelled listings of a regular strain, which the rules no longer guess to be regular.
    precision, recall = scores["seedcity"]
    assert precision >= 0.95 and recall >= 0.95


def test_names_that_only_look_alike_stay_apart(tmp_path: Path) -> None:
    """A word that begins differently, a chemotype word (also when the breeder is named by it), an accessory's
    contents and an unlabelled sex that would be the exception are not read as the same strain; a plural still
    is."""
    _, rows, _ = _match(
        tmp_path,
        "seller,name,breeder\n"
        "a,Professor Trichome - Zruntz Feminised,Bulk Seeds\n"
        "a,Professor Trichome - Runtz Feminised,Bulk Seeds\n"
        "a,CBD Amnesia,CBD Seeds\n"
        "a,Amnesia Feminised,CBD Seeds\n"
        "a,5 Single Seed Storage Packs,Seed Storage\n"
        "a,1 Single Seed Storage Pack,Seed Storage\n"
        "a,White Widow,The Bulldog Seeds\n"
        "a,White Widow (Regular),The Bulldog Seeds\n"
        "a,Girl Scout Cookie Fem,Seedsman\n"
        "a,Girl Scout Cookies Feminized,Seedsman\n",
    )
    keys = [r["strain_key"] for r in rows]
    assert len(set(keys[:8])) == 8, keys
    assert keys[2] == "cbd|cbdamnesia|unknown|photoperiod"
    assert keys[8] == keys[9]
