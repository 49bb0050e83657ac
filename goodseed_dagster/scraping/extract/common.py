"""Helpers every adapter shares: prices, stated quantities, labels, stock, canonical URLs.

No text rule lives here: pack size, sex and flowering are read from the labels by normalize/.
"""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from price_parser import Price

from goodseed_dagster.scraping.extract.decoding import decode
from goodseed_dagster.scraping.extract.tags import attributes, start_tags, tokens
from goodseed_dagster.scraping.models import Page

_SYMBOLS = {
    "£": "GBP",
    "€": "EUR",
    "EUR": "EUR",
    "GBP": "GBP",
    "USD": "USD",
    "CAD": "CAD",
    "CHF": "CHF",
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "Fr.": "CHF",
}
MAX_PRICE_TEXT = 256
_IN = (
    "instock",
    "limitedavailability",
    "onlineonly",
    "instoreonly",
    "presale",
    "preorder",
    "in stock",
    "available",
    "in-stock",
    "backorder",
    "en stock",
    "disponible",
    "auf lager",
    "lieferbar",
    "vorrätig",
    "disponibile",
    "op voorraad",
    "leverbaar",
    "na stanie",
    "dostępny",
    "skladem",
    "в наличии",
)
# Checked first: several contain an "in stock" word ("no disponible", "nicht lieferbar", "niet op voorraad").
_OUT = (
    "outofstock",
    "soldout",
    "discontinued",
    "out of stock",
    "sold out",
    "unavailable",
    "out-of-stock",
    "agotado",
    "sin stock",
    "no disponible",
    "indisponible",
    "épuisé",
    "rupture de stock",
    "ausverkauft",
    "nicht verfügbar",
    "nicht lieferbar",
    "nicht vorrätig",
    "esaurito",
    "non disponibile",
    "uitverkocht",
    "niet op voorraad",
    "niet leverbaar",
    "niedostępny",
    "brak w magazynie",
    "vyprodáno",
    "nedostupn",
    "нет в наличии",
)


def decimal(value: Any) -> Decimal | None:
    """A machine-readable price (number or "12.34" string) as Decimal; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    try:
        d = Decimal(value.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and d >= 0 else None


def text_price(text: Any, fallback_currency: str | None = None) -> tuple[Decimal | None, str | None]:
    """A printed price ("£18.72", "18,72 €") -> (amount, ISO currency or the fallback). A text longer
    than MAX_PRICE_TEXT is not a printed price (and price-parser's cost grows with its square)."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PRICE_TEXT:
        return None, fallback_currency
    p = Price.fromstring(text)
    cur = _SYMBOLS.get((p.currency or "").strip())
    if p.currency and p.currency.strip() == "$":
        cur = fallback_currency or "USD"
    amount = p.amount if p.amount is not None and p.amount.is_finite() and p.amount >= 0 else None
    return amount, cur or fallback_currency


def quantity(value: Any) -> int | None:
    """eligibleQuantity (QuantitativeValue, number or string) -> seeds per pack."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("value", value.get("minValue"))
    d = decimal(value) if not isinstance(value, int) or isinstance(value, bool) else Decimal(value)
    if d is None or d != d.to_integral_value() or not 0 < d < 100000:
        return None
    return int(d)


def joined(*texts: Any, sep: str = " | ") -> str | None:
    """Several texts the page states as one label ("Feminized / 5 Seeds", "Feminised | Photoperiod"):
    empty ones, repeats and a text contained in another are dropped, the page's order is kept."""
    found = list(dict.fromkeys(t for v in texts if (t := text(v))))
    kept = [t for t in found if not any(t != o and t.lower() in o.lower() for o in found)]
    return sep.join(kept) or None


def in_stock(value: Any) -> bool | None:
    """schema.org availability (full URL or bare word), a bool, or stock text -> in stock?"""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    word = value.strip().lower().rsplit("/", 1)[-1]
    if any(w in word for w in _OUT):
        return False
    if any(w in word for w in _IN):
        return True
    return None


def text(value: Any) -> str | None:
    """A display string (HTML entities decoded, whitespace collapsed); None if empty or not text."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    out = " ".join(html.unescape(value).split())
    return out or None


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def same_site(url: str, page_url: str) -> bool:
    """Same scheme family and host:port as the page (never off-site)."""
    a, b = urlsplit(url), urlsplit(page_url)
    return a.scheme in ("http", "https") and a.netloc.lower() == b.netloc.lower()


def absolute(ref: Any, page_url: str) -> str | None:
    """A same-site absolute URL for an href, without fragment; None for anything else."""
    if (
        not isinstance(ref, str)
        or not ref.strip()
        or ref.strip().startswith(("javascript:", "mailto:", "tel:"))
    ):
        return None
    try:
        url = strip_fragment(urljoin(page_url, html.unescape(ref.strip())))
    except ValueError:
        return None
    return url if same_site(url, page_url) else None


def link_hrefs(html: str, rel: str) -> list[str]:
    """The hrefs of the page's `<link rel=...>` tags with that rel token, read without building a tree."""
    out = []
    for tag in start_tags(html, "link"):
        if rel in tag.lower():
            attrs = attributes(tag)
            if rel in tokens(attrs.get("rel")) and attrs.get("href"):
                out.append(attrs["href"])
    return out


def canonical(page: Page, html: str | None = None) -> str | None:
    """The page's <link rel=canonical> (same site only)."""
    found = link_hrefs(decode(page) if html is None else html, "canonical")
    return absolute(found[0], page.url) if found else None


class Lowered:
    """`marker in Lowered(html)` is `marker in html.lower()`, without lowering the whole page.

    str.lower() on a 63 KB page with any non-ASCII character costs ~0.3 ms. Only U+0130 and U+212A
    lower to something containing ASCII, so when neither occurs an ASCII marker can only match
    lowered ASCII text, and bytes.lower() of the UTF-8 (which lowers ASCII only) gives the same answer.
    """

    __slots__ = ("_bytes", "_html", "_lower")

    def __init__(self, html: str) -> None:
        self._html = html
        self._lower: str | None = None
        self._bytes: bytes | None = None
        if "\u0130" not in html and "\u212a" not in html:
            self._bytes = html.encode("utf-8", "surrogatepass").lower()

    def __contains__(self, marker: str) -> bool:
        if self._bytes is not None and marker.isascii():
            return marker.encode("ascii") in self._bytes
        if self._lower is None:
            self._lower = self._html.lower()
        return marker in self._lower
