"""No single value a page states can fail a seller's load: each listing lands (cleaned) or goes to
core.quarantine with its reason, and every other listing still lands. Once one price of "1e-50" among 50
good pages loaded 0 rows (issue #14)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seller_runs import add_seller, assert_history_agrees, count, load, new_crawl, offer
from sqlalchemy import Engine, text

from goodseed_dagster.db.engine import engine_for
from goodseed_dagster.normalize.values import clean_text, currency_code
from goodseed_dagster.scraping.models import RawOffer
from goodseed_dagster.scraping.parse import ParseResult
from goodseed_dagster.stages.extract import store_listings
from goodseed_dagster.stages.offers import publish_offers

SELLERS = (f"seller-{i}" for i in itertools.count())
FIELDS = [f.name for f in fields(RawOffer) if f.name != "extra"]


@pytest.fixture(scope="module")
def engine(new_database: Callable[[], str]) -> Engine:
    return engine_for(new_database())


def _run(engine: Engine, hostile: RawOffer, good: int) -> tuple[str, int, int]:
    """Load `good` plain offers and the hostile one, then publish offers; (seller, extract rejects,
    normalize rejects). Asserts the counts add up and every plain offer is an active offer."""
    seller = next(SELLERS)
    add_seller(engine, seller)
    crawl = new_crawl(engine, seller)
    plain = [offer(f"https://shop.example/p{i}", Decimal(10 + i)) for i in range(good)]
    extracted = load(engine, seller, crawl, [*plain, hostile])
    published = publish_offers(engine, seller, "EUR")
    listings = count(engine, "SELECT count(*) FROM core.listings WHERE seller = :s", seller)
    offers = count(engine, "SELECT count(*) FROM core.offers WHERE seller = :s AND active", seller)
    quarantined = count(engine, "SELECT count(*) FROM core.quarantine WHERE seller = :s", seller)
    assert listings + extracted.rejected.height == good + 1
    assert offers + published.quarantined == listings
    assert quarantined == extracted.rejected.height + published.quarantined
    with engine.connect() as conn:
        landed: set[str] = set(
            conn.execute(text("SELECT url FROM core.offers WHERE seller = :s"), {"s": seller}).scalars()
        )
    assert {o.url for o in plain} <= landed
    assert_history_agrees(engine, seller)
    return seller, extracted.rejected.height, published.quarantined


def _reasons(engine: Engine, seller: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT reason FROM core.quarantine WHERE seller = :s"), {"s": seller}
            ).scalars()
        )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("price", Decimal("1e-50"), "price below 0.0001"),  # polars panicked (a BaseException)
        ("price", Decimal("1e308"), "price out of range"),  # overflowed the Decimal cast
        ("price", "NaN", "price is not finite"),
        ("price", float("inf"), "price is not finite"),
        ("price", Decimal("-3"), "price out of range"),
        ("price", Decimal("99999999.99995"), "price out of range"),
        ("price", 10**400, "price out of range"),
        ("regular_price", Decimal("1e308"), "regular_price out of range"),
        ("currency", "Dollar", "unknown currency"),  # overflowed char(3)
        ("currency", "$", "unknown currency"),  # USD, CAD, AUD...: never guessed
        ("currency", "XYZ", "unknown currency"),
        ("currency", 978, "unknown currency"),
        ("pack_size", 2**40, "pack_size out of range"),
        ("pack_size", "5", "pack_size is not an integer"),
        ("in_stock", "yes", "in_stock is not true or false"),
        ("name", [1, 2], "name is not text"),
        ("url", None, "no url"),
    ],
)
def test_an_unstorable_value_quarantines_its_row_and_the_other_50_land(
    engine: Engine, field: str, value: Any, reason: str
) -> None:
    seller, extract_rejects, _ = _run(engine, offer("https://shop.example/bad", **{field: value}), good=50)
    assert extract_rejects == 1
    (stored,) = _reasons(engine, seller)
    assert stored.startswith(reason)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("name", "Gelato\ud800 Feminised", "Gelato Feminised"),  # broke the encoding at COPY
        ("name", "Gel\x00ato\u202e Feminised", "Gel ato  Feminised"),
        ("currency", "Euro", "EUR"),
        ("currency", "euros", "EUR"),
        ("currency", "€", "EUR"),
        ("currency", "US$", "USD"),
        ("currency", "gbp", "GBP"),
        ("price", "12.345678", Decimal("12.3457")),
        ("price", 12.5, Decimal("12.5000")),
    ],
)
def test_a_value_that_can_be_cleaned_lands(engine: Engine, field: str, value: Any, stored: Any) -> None:
    seller, extract_rejects, normalize_rejects = _run(
        engine, offer("https://shop.example/odd", **{field: value}), good=3
    )
    assert (extract_rejects, normalize_rejects) == (0, 0)
    with engine.connect() as conn:
        row: Any = conn.execute(
            text(f"SELECT {field} FROM core.listings WHERE seller = :s AND url LIKE '%odd'"), {"s": seller}
        ).scalar_one()
    assert row == stored


@pytest.mark.parametrize(
    ("fields_", "reason"),
    [
        ({"price": Decimal("99999999"), "currency": "XAU"}, "price in the base currency out of range"),
        ({"price": Decimal("0.0001"), "currency": "IDR"}, "price in the base currency rounds to zero"),
        ({"pack_size": 200_000}, "pack size over 100000"),
        ({"url": "https://shop.example/" + "ü" * 1500}, "product id or URL longer than 2000 bytes"),
        ({"name": "Gelato " + "Ω" * 1500}, "breeder and name longer than 2000 bytes"),
    ],
)
def test_a_listing_no_offer_can_hold_is_quarantined_by_normalize(
    engine: Engine, fields_: dict[str, Any], reason: str
) -> None:
    seller, extract_rejects, normalize_rejects = _run(
        engine, offer("https://shop.example/x", **fields_), good=3
    )
    assert (extract_rejects, normalize_rejects) == (0, 1)
    assert _reasons(engine, seller) == [reason]


def test_currency_words_name_one_iso_code() -> None:
    assert {w: currency_code(w) for w in ["Euro", "EUROS", " € ", "US$", "£", "zł", "CHF", "Fr.", "usd"]} == {
        "Euro": "EUR",
        "EUROS": "EUR",
        " € ": "EUR",
        "US$": "USD",
        "£": "GBP",
        "zł": "PLN",
        "CHF": "CHF",
        "Fr.": "CHF",
        "usd": "USD",
    }
    assert [currency_code(w) for w in ["$", "kr", "dollar", "XYZ", "", "E" * 1000]] == [None] * 6


def test_clean_text_joins_surrogate_pairs_and_drops_lone_halves_and_controls() -> None:
    assert clean_text("\ud83c\udf3f kush") == "🌿 kush"  # a pair JSON escaped as two halves
    assert clean_text("a\ud800b\udfffc") == "abc"
    assert clean_text("a\x00\x01b\u2028c\u202ed\x85e\tf") == "a b c d e f"
    assert clean_text("Blüte 🌿 ¼") == "Blüte 🌿 ¼"


# Anything a broken or hostile page could put in a field, and what an adapter could mistakenly pass on.
_CHARS = st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Zs", "L", "M", "N", "P", "S"])
_WORDS = st.sampled_from(
    ["\ud800", "a\x00b", "\u202egelato", "Euro", "euros", "€", "US$", "$", "kr", "XAU", "IDR", "1e-50",
     "1e308", "NaN", "-Infinity", "", " ", "x" * 3000, "🌿" * 800, "%_\\", "Ω" * 1500, "5 Seeds",
     "99999999999 seeds", "Feminised | Autoflowering"]
)  # fmt: skip
_NUMBERS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
    st.integers(),
    st.sampled_from([Decimal("1e-50"), Decimal("1e308"), Decimal("sNaN"), 10**4000, 2**63, -1, 0]),
)
_ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.text(_CHARS, max_size=40),
    _WORDS,
    _NUMBERS,
    st.lists(st.integers(), max_size=2),
)
_PLAIN = offer("https://shop.example/hostile")
_HOSTILE = st.fixed_dictionaries({f: st.one_of(st.just(getattr(_PLAIN, f)), _ANYTHING) for f in FIELDS})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_HOSTILE)
def test_any_value_in_any_field_lands_or_is_quarantined_never_fails(
    engine: Engine, values: dict[str, Any]
) -> None:
    _run(engine, offer("https://shop.example/hostile", **values), good=3)


def test_unparseable_pages_and_unstorable_rows_share_the_extract_quarantine(engine: Engine) -> None:
    seller = next(SELLERS)
    add_seller(engine, seller)
    parsed = ParseResult(
        offers=[("p1", offer("https://shop.example/a")), ("p2", offer("https://shop.example/b", "1e999"))],
        errors=[("https://shop.example/broken", "not HTML")],
    )
    out = store_listings(engine, seller, new_crawl(engine, seller), parsed)
    assert (out.listings.height, out.rejected.height) == (1, 1)
    with engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT stage, reason, record->>'url' AS url FROM core.quarantine
                    WHERE seller = :s ORDER BY id"""),
            {"s": seller},
        ).all()
    assert [(r.stage, r.reason.split(":")[0], r.url) for r in rows] == [
        ("extract", "not HTML", "https://shop.example/broken"),
        ("extract", "price out of range 0..99999999.9999", "https://shop.example/b"),
    ]
