"""The market without HTTP: catalogue parsing, shop subsets, the clock, source configs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from goodseed_dagster.market import FaultRates, Faults, Market, TruthOffer
from goodseed_dagster.market.catalog import load_catalogue
from goodseed_dagster.market.faults import decide
from goodseed_dagster.market.fx import rates
from goodseed_dagster.scraping.models import SourceConfig


@pytest.fixture(scope="module")
def market() -> Market:
    return Market()


def test_catalogue_parses_real_listings() -> None:
    items = load_catalogue()
    assert len(items) > 3000
    assert len({i.strain_id for i in items}) == len(items)
    gelato = next(i for i in items if i.strain_id == "blackskull-seeds__gelato__fem__phot")
    assert gelato.breeder == "Blackskull Seeds" and gelato.sex == "feminized"
    assert gelato.packs[0] == (3, Decimal("12.78"))
    autos = [i for i in items if i.flowering == "autoflower"]
    assert autos and all("auto" not in i.strain.lower().split() for i in autos)
    assert {i.sex for i in items} == {"feminized", "regular"}
    assert all(i.packs and all(p > 0 for _, p in i.packs) for i in items)


def test_shops_cover_platforms_and_currencies(market: Market) -> None:
    shops = market.shops
    assert len(shops) >= 6
    assert {s.platform for s in shops} >= {"shopify", "woocommerce", "microdata", "jsonld", "selectors"}
    assert {s.currency for s in shops} >= {"GBP", "EUR", "USD"}
    assert len({s.layout for s in shops}) == len(shops) - 1  # budbox shares greenleaf's Shopify layout


def test_truth_is_deterministic_and_sized(market: Market) -> None:
    other = Market()
    for shop in market.shops:
        truth = market.truth(shop.slug)
        assert truth == other.truth(shop.slug)
        products = {o.product_url for o in truth}
        assert 180 <= len(products) <= 220, shop.slug
        assert all(o.currency == shop.currency and o.price > 0 and o.pack_size > 0 for o in truth)
        assert len({o.key for o in truth}) == len(truth)
        on_sale = [o for o in truth if o.regular_price is not None]
        assert all(o.regular_price is not None and o.regular_price > o.price for o in on_sale)


def test_products_per_shop_knob() -> None:
    small = Market(products_per_shop=40)
    for shop in small.shops:
        assert 30 <= len({o.product_url for o in small.truth(shop.slug)}) <= 50


def test_shops_overlap_on_strains(market: Market) -> None:
    per_strain = Counter(sid for s in market.shops for sid in {o.strain_id for o in market.truth(s.slug)})
    shared = [sid for sid, n in per_strain.items() if n >= 2]
    assert len(shared) >= 150
    assert any(n >= 5 for n in per_strain.values())


def test_naming_styles_differ_per_shop(market: Market) -> None:
    sid = Counter(
        sid for s in market.shops for sid in {o.strain_id for o in market.truth(s.slug)}
    ).most_common(1)[0][0]
    titles = {o.shop: o.title for s in market.shops for o in market.truth(s.slug) if o.strain_id == sid}
    assert len(set(titles.values())) == len(titles) >= 4


def _by_key(offers: list[TruthOffer]) -> dict[tuple[str, int], TruthOffer]:
    return {o.key: o for o in offers}


@pytest.mark.parametrize(("a", "b", "most"), [(0, 1, 0.35), (1, 2, 0.35), (0, 5, 0.7)])
def test_diff_is_consistent_with_truth(market: Market, a: int, b: int, most: float) -> None:
    diff = market.diff(a, b)
    before = {k: v for s in market.shops for k, v in _by_key(market.truth(s.slug, a)).items()}
    after = {k: v for s in market.shops for k, v in _by_key(market.truth(s.slug, b)).items()}
    assert {o.key for o in diff.appeared} == set(after) - set(before)
    assert {o.key for o in diff.disappeared} == set(before) - set(after)
    moved = {
        k
        for k in set(before) & set(after)
        if (before[k].price, before[k].in_stock) != (after[k].price, after[k].in_stock)
    }
    assert {o.key for o in diff.changed} == moved
    assert all(after[o.key] == o for o in diff.changed)
    share = len(moved) / len(set(before) & set(after))
    assert 0.03 < share < most  # ~10 % of prices and a few stock flips a day
    assert diff.appeared or diff.disappeared


def test_clock_moves_prices_and_stock(market: Market) -> None:
    d0, d1 = (_by_key(market.truth("greenleaf", d)) for d in (0, 1))
    common = set(d0) & set(d1)
    assert any(d0[k].price != d1[k].price for k in common)
    assert any(d0[k].in_stock != d1[k].in_stock for k in common)
    sold_out = [k for k in common if not d0[k].in_stock]
    later = [_by_key(market.truth("greenleaf", d)) for d in range(2, 10)]
    assert any(day.get(k) and day[k].in_stock for k in sold_out for day in later)  # packs come back


def test_day_setter_changes_default_truth() -> None:
    m = Market()
    day0 = m.truth("packhaus")
    m.day = 3
    assert m.truth("packhaus") == m.truth("packhaus", 3) != day0
    with pytest.raises(ValueError):
        m.day = -1


def test_source_configs_are_valid(market: Market) -> None:
    configs = [SourceConfig(**e) for e in market.source_configs("http://127.0.0.1:9")]
    assert [c.slug for c in configs] == [s.slug for s in market.shops]
    for c in configs:
        assert c.base_url == f"http://127.0.0.1:9/s/{c.slug}/" and c.local and c.currency
        assert (c.selectors is not None) == (c.platform == "selectors")


def test_faults_are_deterministic() -> None:
    f = Faults(error_rate=0.2, throttle_rate=0.2, seed=7, per_shop={"budbox": FaultRates(error_rate=1.0)})
    kinds = [decide(f, "greenleaf", n) for n in range(500)]
    assert kinds == [decide(f, "greenleaf", n) for n in range(500)]
    counts = Counter(k.kind if k else None for k in kinds)
    assert 60 < counts["error"] < 140 and 60 < counts["throttle"] < 140
    assert all(k is not None and k.kind == "error" for k in (decide(f, "budbox", n) for n in range(50)))
    assert decide(Faults(), "greenleaf", 0) is None


def test_fx_rates_move_by_day() -> None:
    r0, r1 = rates(0), rates(1)
    assert {"USD", "GBP", "CAD", "CHF"} <= set(r0)
    assert r0 != r1 and r0 == rates(0)
    assert all(abs(r0[c] / r1[c] - 1) < Decimal("0.04") for c in r0)
