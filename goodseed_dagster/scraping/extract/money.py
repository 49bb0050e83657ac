"""Printed money read the way the page's readers read it: separators by locale, currency by symbol and place.

"2.449" is 2449 on an Argentine page (and a three-decimal price is printed by no seed bank); "1.234,56",
"1 234,56" and "1'234.50" each have one reading. The rule: spaces and apostrophes group; of two mark kinds
the last one is the decimal mark; a lone mark followed by exactly three digits, or a repeated one, groups
thousands; any other lone mark is the decimal mark. Currency: an ISO code or a symbol in the text; an ambiguous symbol ("$",
"kr", "¥") or no symbol is resolved by the page's country (html lang region, else the host's country-code
domain) through CLDR (babel), never by a shop's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from urllib.parse import urlsplit

from babel import UnknownLocaleError
from babel.numbers import get_currency_symbol, get_territory_currencies, list_currencies

_NUMBER = re.compile(r"\d(?:[\d.,'’\u00a0\u202f\u2009 ]*\d)?")
_GROUPS = "'’\u00a0\u202f\u2009 "
_ISO_IN_TEXT = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
# Printed symbols and abbreviations -> ISO 4217 (the unambiguous ones; "$", "kr", "¥" need the country).
_SYMBOLS = {
    "€": "EUR", "£": "GBP", "₽": "RUB", "руб": "RUB", "р.": "RUB", "₴": "UAH", "грн": "UAH", "zł": "PLN",
    "zl": "PLN", "kč": "CZK", "ft": "HUF", "lei": "RON", "kn": "HRK", "₩": "KRW", "원": "KRW", "₪": "ILS",
    "₹": "INR", "₸": "KZT", "тг": "KZT", "₺": "TRY", "tl": "TRY", "лв": "BGN", "r$": "BRL", "us$": "USD",
    "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "fr.": "CHF", "chf": "CHF", "฿": "THB",
    "₫": "VND", "₱": "PHP", "rm": "MYR", "rp": "IDR", "s/": "PEN", "din": "RSD", "дин": "RSD", "ден": "MKD",
    "円": "JPY", "元": "CNY", "сом": "KGS", "₾": "GEL", "₼": "AZN", "֏": "AMD",
}  # fmt: skip
_AMBIGUOUS = {"$": "USD", "kr": "SEK", "kr.": "DKK", "¥": "JPY", "rs": "INR", "rs.": "INR"}


def _symbol_pattern(symbol: str) -> str:
    """A symbol that starts or ends with a letter must not be part of a word ("from" holds no "rm")."""
    before = r"(?<![^\W\d_])" if symbol[0].isalpha() else ""
    after = r"(?![^\W\d_])" if symbol[-1].isalpha() else ""
    return before + re.escape(symbol) + after


_SYMBOL_RE = re.compile(
    "|".join(_symbol_pattern(s) for s in sorted({*_SYMBOLS, *_AMBIGUOUS}, key=len, reverse=True)), re.I
)
_GENERIC_TLDS = {
    "co",
    "io",
    "me",
    "tv",
    "cc",
    "fm",
    "ai",
    "ly",
    "to",
    "gg",
    "so",
    "sh",
    "ws",
    "nu",
    "am",
    "eu",
}


@dataclass(frozen=True, slots=True)
class PageLocale:
    """What the page says about where it sells: its language and country."""

    language: str | None = None
    country: str | None = None

    @property
    def currency(self) -> str | None:
        """The country's legal tender (CLDR), when the page names a country."""
        return _tender(self.country) if self.country else None


@cache
def _tender(country: str) -> str | None:
    try:
        found = get_territory_currencies(country.upper())
    except (ValueError, KeyError, LookupError):
        return None
    return found[0] if found else None


@cache
def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def page_locale(lang: str | None, url: str) -> PageLocale:
    """The page's language and country: `<html lang="es-AR">`, else the host's country-code domain."""
    language = country = None
    if lang:
        parts = re.split(r"[-_]", lang.strip())
        if parts and re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
            language = parts[0].lower()
        region = next((p for p in parts[1:] if re.fullmatch(r"[A-Za-z]{2}", p)), None)
        country = region.upper() if region else None
    if country is None:
        tld = (urlsplit(url).hostname or "").rsplit(".", 1)[-1].lower()
        if re.fullmatch(r"[a-z]{2}", tld) and tld not in _GENERIC_TLDS:
            country = "GB" if tld == "uk" else tld.upper()
    return PageLocale(language, country)


def read_number(printed: str) -> Decimal | None:
    """The amount of the first number in `printed`, its separators read by the rule in the module doc."""
    m = _NUMBER.search(printed)
    if m is None:
        return None
    raw = m.group(0).strip()
    for g in _GROUPS:
        raw = raw.replace(g, "")
    marks = [c for c in raw if c in ".,"]
    if marks:
        last = raw.rfind(marks[-1])
        tail = len(raw) - last - 1
        decimal = len(set(marks)) == 2 or (len(marks) == 1 and tail != 3)  # else groups of thousands
        whole, frac = (raw[:last], raw[last + 1 :]) if decimal else (raw, "")
        raw = re.sub(r"[.,]", "", whole) + (f".{frac}" if frac else "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def read_currency(printed: str, locale: PageLocale | None = None, hint: str | None = None) -> str | None:
    """ISO 4217 code of a printed price: its ISO code or symbol; "$"/"kr"/"¥" by the page's country
    when that country's currency is written so; no symbol: the structured hint, else None."""
    for m in _ISO_IN_TEXT.finditer(printed):
        if m.group(1) in _iso_codes() and _beside_number(printed, m):
            return m.group(1)
    signs = [m.group(0).lower() for m in _SYMBOL_RE.finditer(printed) if _beside_number(printed, m)]
    if not signs:
        return hint
    symbol = signs[0]
    if symbol in _SYMBOLS:
        return _SYMBOLS[symbol]
    tender = locale.currency if locale is not None else None
    if tender and hint is None and _written(tender, symbol, locale):
        return tender
    return hint or _AMBIGUOUS[symbol]


def _written(code: str, symbol: str, locale: PageLocale | None) -> bool:
    tag = "_".join(
        p for p in ((locale.language if locale else None) or "und", locale.country if locale else None) if p
    )
    try:
        shown = get_currency_symbol(code, tag).lower()
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return shown.strip(".") == symbol.strip(".") or shown.endswith(symbol)


def _beside_number(printed: str, m: re.Match[str]) -> bool:
    """A sign prints a price only next to its number ("AMD Radeon Vega 56" holds no Armenian drams)."""
    return any(
        c.isdigit() for c in printed[max(0, m.start() - 3) : m.start()] + printed[m.end() : m.end() + 3]
    )


def has_currency(printed: str) -> bool:
    """Does the text carry a currency symbol or ISO code beside a number (what makes a printed price)?"""
    return any(_beside_number(printed, m) for m in _SYMBOL_RE.finditer(printed)) or any(
        m.group(1) in _iso_codes() and _beside_number(printed, m) for m in _ISO_IN_TEXT.finditer(printed)
    )
