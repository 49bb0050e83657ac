"""Listings → offers: base-currency prices, per-seed prices, and a reason for every rejected row."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from goodseed_dagster.normalize.catalogue import resolve_strains
from goodseed_dagster.normalize.facts import distinct_texts, stated_facts
from goodseed_dagster.normalize.fx import fx_frame
from goodseed_dagster.normalize.offers import normalize_offers
from goodseed_dagster.schema import OFFER, PRICE

FX = fx_frame({"GBP": Decimal("0.8"), "USD": Decimal("1.25")})


def _listings(**cols: list[object]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base: dict[str, list[object]] = {
        "url": [f"https://shop.example/p{i}" for i in range(n)],
        "name": ["Gelato Feminised Seeds"] * n,
        "breeder": ["Blackskull Seeds"] * n,
        "variant": ["5 Seeds"] * n,
        "price": [Decimal(10)] * n,
        "currency": ["GBP"] * n,
    }
    return pl.DataFrame({**base, **cols})


def test_prices_convert_to_the_base_currency_and_per_seed() -> None:
    out = normalize_offers(
        _listings(
            price=[Decimal(8), Decimal("12.5")], currency=["GBP", "USD"], variant=["5 Seeds", "Pack of 10"]
        ),
        FX,
        "EUR",
    )
    assert out.quarantine.is_empty()
    rows = out.offers.sort("pack_size").to_dicts()
    assert [r["price_base"] for r in rows] == [Decimal(10), Decimal(10)]
    assert [r["price_per_seed_base"] for r in rows] == [Decimal(2), Decimal(1)]
    assert {r["base_currency"] for r in rows} == {"EUR"}
    assert (
        rows[0]["strain_name"] == "Gelato"
        and rows[0]["breeder"] == "Blackskull"
        and rows[0]["sex"] == "feminized"
        and rows[0]["flowering"] == "photoperiod"  # not stated: shops mark autos, so photoperiod
    )


def test_prices_stay_decimal_in_the_offer_schema() -> None:
    """No float where a price is stored or compared: 1/3 of a price keeps four exact decimals."""
    out = normalize_offers(_listings(price=[Decimal("10.00")], variant=["3 Seeds"]), FX, "USD")
    assert out.offers.schema == pl.Schema(OFFER.schema)
    assert {
        out.offers.schema[c] for c in ("price", "regular_price", "price_base", "price_per_seed_base")
    } == {PRICE}
    row = out.offers.row(0, named=True)
    assert (row["price_base"], row["price_per_seed_base"]) == (Decimal("15.6250"), Decimal("5.2083"))


def test_each_fact_is_read_from_the_first_text_that_states_it() -> None:
    listings = pl.DataFrame(
        {
            "page_url": ["p1", "p1", "p1", "p2", "p3", "p4"],
            "url": ["a", "a", "a", "b", "c", "d"],
            "name": ["Gelato 5 Seeds", "Gelato 5 Seeds", "Gelato Fem", "Skunk 3 Seeds", "Skunk", "Haze"],
            "variant": ["Small", "Large", "Regular", None, None, "Feminized 10 Seeds"],
            "labels": [None, None, None, "Regular | Autoflowering", "Feminised", "Regular | Photoperiod"],
            "pack_size": [None, None, 7, None, None, None],
        }
    )
    facts = stated_facts(listings, provenance=True)
    assert facts["pack_size"].to_list() == [None, None, 7, 3, None, 10]  # a name names every pack
    assert facts["pack_size_from"].to_list() == [None, None, "pack_size", "name", None, "variant"]
    assert facts["sex"].to_list() == [
        None,
        None,
        None,
        "regular",
        "feminized",
        "feminized",
    ]  # "Fem" + "Regular"
    assert facts["sex_from"].to_list() == [None, None, None, "labels", "labels", "variant"]
    assert facts["flowering"].to_list() == [None, None, None, "autoflower", None, "photoperiod"]


def test_a_name_states_the_pack_of_its_products_one_offer_on_the_page() -> None:
    """The name counts only where the product has one offer on its page, whatever the other offers on the
    page state (they are counted too), and listings without a page URL share one."""
    listings = pl.DataFrame(
        {
            "page_url": ["p5", "p5", "p6", "p6", None, None],
            "url": ["x", "y", "z", "z", "v", "w"],
            "name": [
                "Skunk 3 Seeds",
                "Haze",
                "Gelato 3 Seeds",
                "Gelato 3 Seeds",
                "Kush 4 Seeds",
                "Kush 4 Seeds",
            ],
            "variant": [None, "5 Seeds", None, None, None, None],
            "pack_size": [None, None, None, 7, None, None],
        }
    )
    facts = stated_facts(listings, provenance=True)
    assert facts["pack_size"].to_list() == [3, 5, None, 7, 4, 4]
    assert facts["pack_size_from"].to_list() == ["name", "variant", None, "pack_size", "name", "name"]


def test_decomposed_accents_read_like_composed_ones() -> None:
    """Sensi's Portuguese feed writes "Automáticas" as "a" + U+0301: the rules read the text in NFC, so the
    offer is an autoflower, "Automáticas" is read as a flowering word (not left in the strain name), and
    both spellings share one match key; the title stays as printed."""
    composed = "Sementes de Amnesia Automáticas"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    listings = _listings(url=["a", "b"], name=[composed, decomposed], breeder=["Sensi Seeds"] * 2)
    rows = normalize_offers(listings, FX).offers.to_dicts()
    assert [r["title"] for r in rows] == [composed, decomposed]
    assert {(r["strain_name"], r["flowering"], r["match_key"]) for r in rows} == {
        ("Amnesia", "autoflower", "sensi|amnesia|unknown|autoflower")
    }
    assert stated_facts(listings)["flowering"].to_list() == ["autoflower"] * 2


def test_texts_whose_hashes_collide_are_still_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules run once per distinct text, found by a hash of the texts and checked against them: when
    two texts share a hash, they are grouped by the texts themselves and nothing changes."""
    listings = _listings(
        name=["Gelato Feminised Seeds", "Skunk Auto", None, "Gelato Feminised Seeds", "Haze"],
        variant=["5 Seeds", "Pack of 10", "5 Seeds", None, "Regular x3"],
        breeder=["Blackskull Seeds", None, "Bomb", "Blackskull Seeds", "Blackskull Seeds"],
    )
    texts, index = distinct_texts(listings, ("name", "variant", "breeder"))
    expected = normalize_offers(listings, FX)

    def two_hashes(columns: Sequence[str]) -> pl.Expr:  # every listing with a name shares one
        return pl.col(columns[0]).is_null().cast(pl.UInt64)

    monkeypatch.setattr("goodseed_dagster.normalize.hashing.row_hash", two_hashes)
    collided, collided_index = distinct_texts(listings, ("name", "variant", "breeder"))
    assert texts.height == collided.height == 5
    assert_frame_equal(texts[index], collided[collided_index])
    out = normalize_offers(listings, FX)
    assert_frame_equal(out.offers, expected.offers)
    assert_frame_equal(out.quarantine, expected.quarantine)


def test_base_currency_other_than_eur() -> None:
    out = normalize_offers(_listings(price=[Decimal(8)], currency=["GBP"]), FX, "USD")
    assert out.offers["price_base"][0] == Decimal("12.5")


def test_every_bad_row_is_quarantined_with_its_reason() -> None:
    listings = _listings(
        price=[None, Decimal(-1), Decimal(10), Decimal(10), Decimal(10), Decimal(10)],
        variant=["5 Seeds", "5 Seeds", "a bag", "5 Seeds", "5 Seeds", "5 Seeds"],
        currency=["GBP", "GBP", "GBP", None, "JPY", "GBP"],
        name=["Gelato Feminised Seeds"] * 5 + [None],
    )
    out = normalize_offers(listings, FX)
    assert out.offers.is_empty()
    assert out.quarantine["reason"].to_list() == [
        "no price",
        "price is not positive",
        "no pack size",
        "no currency",
        "no FX rate for currency",
        "no product name",
    ]
    assert out.quarantine.height + out.offers.height == listings.height


def test_duplicate_offers_are_quarantined_not_merged() -> None:
    listings = _listings(
        url=["https://shop.example/p", "https://shop.example/p"], price=[Decimal(10), Decimal(11)]
    )
    out = normalize_offers(listings, FX)
    assert out.offers.is_empty()
    assert out.quarantine["reason"].to_list() == ["duplicate offer (same product and pack)"] * 2


def test_catalogue_merges_spellings_and_unstated_sex_but_not_numbers() -> None:
    listings = pl.DataFrame(
        {
            "url": ["a", "b", "c", "d", "e"],
            "name": [
                "Girl Scout Cookies Feminised",
                "Girl Scout Cookie Fem",
                "Gelato 33 Fem",
                "Gelato 41 Fem",
                "Girl Scout Cookies",
            ],
            "breeder": [
                "Barneys Farm Seeds",
                "Barney's Farm",
                "Barneys Farm",
                "Barneys Farm",
                "BARNEYS FARM",
            ],
            "variant": ["5 Seeds"] * 5,
            "price": [Decimal(10)] * 5,
            "currency": ["EUR"] * 5,
        }
    )
    offers = normalize_offers(listings, FX).offers
    mapping, strains = resolve_strains(offers)
    strain_of = dict(zip(mapping["match_key"], mapping["strain_key"], strict=True))
    key_of = {url: strain_of[m] for url, m in zip(offers["url"], offers["match_key"], strict=True)}
    assert key_of["a"] == key_of["b"] == key_of["e"]
    assert len({key_of["a"], key_of["c"], key_of["d"]}) == 3
    assert strains.height == 3
    assert set(strains["sex"]) == {"feminized"}


def test_catalogue_keeps_existing_keys_and_obeys_aliases() -> None:
    offers = pl.DataFrame(
        {
            "match_key": ["bf|gsc|feminized|photoperiod", "bf|girlscoutcookies|feminized|photoperiod"],
            "breeder": ["BF", "BF"],
            "strain_name": ["GSC", "Girl Scout Cookies"],
        }
    )
    mapping, _ = resolve_strains(offers)
    assert mapping["strain_key"].n_unique() == 2
    aliases = pl.DataFrame(
        {"bkey": ["bf"], "nkey": ["gsc"], "strain_key": ["bf|girlscoutcookies|feminized|photoperiod"]}
    )
    mapping, strains = resolve_strains(offers, aliases)
    assert mapping["strain_key"].n_unique() == 1 and strains.height == 1
