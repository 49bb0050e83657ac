"""fx_rates: the ECB daily euro reference rates, so every price converts to the base currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from goodseed_dagster.db.fx import upsert_fx
from goodseed_dagster.normalize.fx import parse_ecb_daily


@dataclass(frozen=True, slots=True)
class FxOutcome:
    day: date
    rates: dict[str, Decimal]


def load_fx_rates(engine: Engine, feed: bytes) -> FxOutcome:
    """Parse the feed (FxFeedError names what is wrong) and upsert the day's rates."""
    day, rates = parse_ecb_daily(feed)
    with engine.begin() as conn:
        upsert_fx(conn, day, rates)
    return FxOutcome(day=day, rates=rates)
