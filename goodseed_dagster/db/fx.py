"""core.fx_rates: one row per (day, currency), units of the currency per 1 EUR."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text


def upsert_fx(conn: Connection, day: date, rates: Mapping[str, Decimal | float]) -> int:
    if not rates:
        return 0
    conn.execute(
        text("""INSERT INTO core.fx_rates (day, currency, per_eur) VALUES (:day, :cur, :rate)
                ON CONFLICT (day, currency) DO UPDATE SET per_eur = EXCLUDED.per_eur"""),
        [{"day": day, "cur": c, "rate": r} for c, r in rates.items()],
    )
    return len(rates)


def latest_fx(conn: Connection) -> tuple[date, dict[str, Decimal]]:
    """The newest day's rates; fails clearly when fx_rates never ran."""
    day = conn.execute(text("SELECT max(day) FROM core.fx_rates")).scalar()
    if day is None:
        raise LookupError("core.fx_rates is empty: materialize the fx_rates asset first")
    rows = conn.execute(text("SELECT currency, per_eur FROM core.fx_rates WHERE day = :d"), {"d": day})
    return day, {r.currency: r.per_eur for r in rows}
