"""Staged price moves on top of the market's own (tests and demos): a fake discount, a genuine drop.

`Market.price_script` maps (shop, handle, pack_size) to {day: multiplier}: from a scripted day on, the pack
costs its unscripted day-0 price times that day's multiplier, until the next scripted day; before the first
scripted day, the market's own price. Reproducible: a pure function of the script and the day.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from goodseed_dagster.market.model import CENT, Product

PriceScript = dict[tuple[str, str, int], dict[int, Decimal]]


def _scaled(value: Decimal, factor: Decimal) -> Decimal:
    return (value * factor).quantize(CENT, ROUND_HALF_UP)


def apply_script(
    script: PriceScript, slug: str, day: int, products: list[Product], day0: list[Product]
) -> list[Product]:
    """`products` (the shop's on `day`) with the scripted packs repriced from `day0` (the same shop on day 0)."""
    mine = {(handle, n): days for (shop, handle, n), days in script.items() if shop == slug}
    if not mine:
        return products
    base = {(p.handle, v.pack_size): v for p in day0 for v in p.variants}
    out = []
    for p in products:
        variants = []
        for v in p.variants:
            started = [d for d in mine.get((p.handle, v.pack_size), {}) if d <= day]
            if started and (p.handle, v.pack_size) in base:
                factor, old = mine[(p.handle, v.pack_size)][max(started)], base[(p.handle, v.pack_size)]
                regular = None if old.regular_price is None else _scaled(old.regular_price, factor)
                v = replace(v, price=_scaled(old.price, factor), regular_price=regular)
            variants.append(v)
        out.append(replace(p, variants=tuple(variants)))
    return out
