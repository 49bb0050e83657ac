"""The ECB-format FX feed (eurofxref-daily.xml) with deterministic per-day rates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from goodseed_dagster.market.catalog import unit

EPOCH = date(2025, 11, 3)  # market day 0
BASE_RATES: dict[str, Decimal] = {
    "USD": Decimal("1.1581"),
    "JPY": Decimal("178.12"),
    "GBP": Decimal("0.8803"),
    "CHF": Decimal("0.9312"),
    "CAD": Decimal("1.6295"),
    "AUD": Decimal("1.7805"),
    "SEK": Decimal("10.9870"),
}


def market_date(day: int) -> date:
    """The calendar date of a market day."""
    return EPOCH + timedelta(days=day)


def rates(day: int) -> dict[str, Decimal]:
    """EUR-based reference rates for the day: within ±1.5 % of the base, four significant decimals."""
    out = {}
    for ccy, base in BASE_RATES.items():
        factor = Decimal(str(round(1 + 0.03 * (unit("fx", ccy, day) - 0.5), 5)))
        out[ccy] = (base * factor).quantize(Decimal("0.01") if base > 100 else Decimal("0.0001"))
    return out


def eurofxref_xml(day: int) -> str:
    """The daily feed exactly as the ECB shapes it."""
    cubes = "\n".join(f"\t\t\t<Cube currency='{c}' rate='{r}'/>" for c, r in rates(day).items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n"
        f"\t<Cube>\n\t\t<Cube time='{market_date(day).isoformat()}'>\n{cubes}\n\t\t</Cube>\n\t</Cube>\n"
        "</gesmes:Envelope>\n"
    )
