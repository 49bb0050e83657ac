"""The ECB euro reference rates feed (eurofxref-daily.xml): units of each currency per 1 EUR."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import polars as pl
from lxml import etree

from goodseed_dagster.errors import GoodSeedError
from goodseed_dagster.schema import FX

_NS = {"ecb": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"}


class FxFeedError(GoodSeedError):
    retryable = True


def parse_ecb_daily(xml: bytes) -> tuple[date, dict[str, Decimal]]:
    """(day, {currency: per_eur}); raises FxFeedError naming what is wrong with the feed."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as e:
        raise FxFeedError(f"FX feed is not valid XML: {e}") from e
    day_cube = root.find(".//ecb:Cube[@time]", _NS)
    if day_cube is None:
        raise FxFeedError("FX feed has no <Cube time=...> element (not the ECB daily format)")
    try:
        day = date.fromisoformat(day_cube.get("time", ""))
        rates = {c.get("currency", ""): Decimal(c.get("rate", "")) for c in day_cube.findall("ecb:Cube", _NS)}
    except (ValueError, ArithmeticError) as e:
        raise FxFeedError(f"FX feed has a bad date or rate: {e!r}") from e
    bad = [
        cur
        for cur, rate in rates.items()
        if len(cur) != 3 or not cur.isalpha() or not rate.is_finite() or rate <= 0
    ]
    if bad or not rates:
        raise FxFeedError(f"FX feed has invalid currencies or rates: {bad or 'none listed'}")
    return day, rates


def fx_frame(rates: Mapping[str, Decimal]) -> pl.DataFrame:
    """ECB-style rates (units of currency per 1 EUR) as an FX frame; EUR itself is 1."""
    table = {"EUR": Decimal(1), **rates}
    return FX.frame({"currency": c, "per_eur": r} for c, r in table.items())
