"""Every value a page states, checked where it enters a listing frame: what can be stored is cleaned, what
cannot names its reason, so one hostile value quarantines one row instead of failing a seller's load.

- text: lone surrogates and control characters (C0/C1, line and paragraph separators, bidi overrides)
  cannot reach Postgres or the apps: surrogate pairs are joined, lone halves dropped, controls become a
  space; numbers stated where text is expected become their text;
- prices: finite decimals in 0 ..< 10^8, rounded to 4 places (numeric(12, 4); the tables keep
  numeric(14, 4) so a converted price has headroom); a positive price that rounds to 0 is rejected;
- currency: an ISO 4217 code, read from a code in any case, a symbol or a currency name in the languages
  seed banks print (CLDR via babel: "€", "Euro", "euros", "US$", "zł"); an ambiguous symbol ("$", "kr") or
  an unknown word is rejected, never guessed;
- pack size: an integer Postgres `integer` holds (normalize decides which sizes make sense);
- in stock: true, false or unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import polars as pl
from babel import Locale
from babel.numbers import get_currency_name, get_currency_symbol, list_currencies

from goodseed_dagster.schema import LISTING

MAX_PRICE = Decimal("99999999.9999")  # numeric(12, 4)
PRICE_STEP = Decimal("0.0001")
INT32 = 2**31 - 1
_LOCALES = ("en", "en_US", "en_GB", "en_CA", "en_AU", "de", "de_CH", "fr", "fr_CH", "es", "it", "nl", "pt",
            "pl", "cs", "sv", "da", "nb", "fi", "hu", "ro")  # fmt: skip
_SPELLINGS = {"fr.": "CHF", "sfr.": "CHF", "sfr": "CHF"}  # shop spellings CLDR does not list
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNCLEAN = re.compile(f"{_CONTROLS.pattern}|{_SURROGATE.pattern}")
_PRICES = ("price", "regular_price")
_TEXTS = tuple(c.name for c in LISTING.columns if c.dtype == pl.String() and c.name != "currency")
_REQUIRED = tuple(c.name for c in LISTING.columns if not c.nullable)


class BadValue(ValueError):
    """A value that cannot be stored; the message is the quarantine reason."""


def clean_text(value: str) -> str:
    """`value` with surrogate pairs joined, lone surrogates dropped and every run of controls a space."""
    if _UNCLEAN.search(value) is None:  # nearly every value: one scan
        return value
    if _SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return _CONTROLS.sub(" ", value)


def _shown(value: Any) -> str:
    """A rejected value for the reason: cleaned, and short."""
    try:
        text = clean_text(value if isinstance(value, str) else str(value))
    except ValueError:  # an int past Python's 4300-digit str() limit
        return "(too long to print)"
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):  # a number where text was
        if isinstance(value, int) and value.bit_length() > 256:
            raise BadValue(f"{field} is not text: {_shown(value)}")
        return str(value)
    raise BadValue(f"{field} is not text: {type(value).__name__}")


def _price(field: str, value: Any) -> Decimal | None:
    """A stated price as a Decimal numeric(12, 4) holds, or BadValue."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise BadValue(f"{field} is not a number: {type(value).__name__}")
    if isinstance(value, int) and value.bit_length() > 64:
        raise BadValue(f"{field} out of range 0..{MAX_PRICE}: {_shown(value)}")
    if isinstance(value, str) and len(value) > 100:
        raise BadValue(f"{field} is not a number: {_shown(value)}")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else value)
    except (InvalidOperation, ValueError) as e:
        raise BadValue(f"{field} is not a number: {_shown(value)}") from e
    if not amount.is_finite():
        raise BadValue(f"{field} is not finite: {_shown(value)}")
    if not 0 <= amount <= MAX_PRICE:
        raise BadValue(f"{field} out of range 0..{MAX_PRICE}: {_shown(value)}")
    rounded = amount.quantize(PRICE_STEP, rounding=ROUND_HALF_EVEN)
    if amount > 0 and rounded == 0:
        raise BadValue(f"{field} below {PRICE_STEP}: {_shown(value)}")
    return rounded


@lru_cache(maxsize=1)
def _currency_words() -> dict[str, str]:
    """casefolded code, symbol or name -> ISO code, for the words that name exactly one currency."""
    codes = list_currencies()
    found: defaultdict[str, set[str]] = defaultdict(set)
    for tag in _LOCALES:
        locale = Locale.parse(tag)
        for code in codes:
            for word in (
                get_currency_symbol(code, locale),
                get_currency_name(code, 1, locale),
                get_currency_name(code, 2, locale),
            ):
                found[_word(word)].add(code)
    words = {w: next(iter(c)) for w, c in found.items() if len(c) == 1}
    return {**words, **_SPELLINGS, **{c.casefold(): c for c in codes}}


def _word(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@lru_cache(maxsize=4096)  # a seller states a handful of currencies, once per offer
def currency_code(value: str) -> str | None:
    """The ISO 4217 code a page's currency text names, or None when it names none (or several)."""
    return _currency_words().get(_word(value)) if len(value) <= 100 else None


def _currency(field: str, value: Any) -> str | None:
    if value is None:
        return None
    code = currency_code(value) if isinstance(value, str) else None
    if code is None:
        raise BadValue(f"unknown {field}: {_shown(value)}")
    return code


def _pack_size(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"{field} is not an integer: {_shown(value)}")
    if not -INT32 <= value <= INT32:
        raise BadValue(f"{field} out of range: {_shown(value)}")
    return value


def _in_stock(field: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise BadValue(f"{field} is not true or false: {_shown(value)}")


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    **dict.fromkeys(_TEXTS, _text),
    **dict.fromkeys(_PRICES, _price),
    "currency": _currency,
    "pack_size": _pack_size,
    "in_stock": _in_stock,
}


def check_listing(row: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """One listing's values as LISTING can store them, and the first reason it cannot be stored (None: it
    can). A value that cannot be stored is null in the returned row; the reason names it."""
    out: dict[str, Any] = {}
    reasons: list[str] = []
    for name, check in _CHECKS.items():
        try:
            out[name] = check(name, row.get(name))
        except BadValue as e:
            out[name] = None
            reasons.append(str(e))
    reasons += [f"no {n}" for n in _REQUIRED if out[n] is None]
    return out, reasons[0] if reasons else None


def checked_listings(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Listing rows (any values) as a LISTING frame plus `reason`: null where the row can be stored, else why
    not (its unstorable values are null). Never raises on a value."""
    checked = [check_listing(r) for r in rows]
    frame = LISTING.frame(row for row, _ in checked)
    return frame.with_columns(reason=pl.Series([r for _, r in checked], dtype=pl.String))
