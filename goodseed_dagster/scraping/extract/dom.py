"""One parsed HTML page shared by the DOM adapters: a lazy lxml tree, the product title, attributes.

The tree is built at most once per page and only when an adapter's cheap substring marker says it
can find something, so JSON-LD pages never pay for it. Noise and strike-through tests live here so
every adapter skips the same "frequently bought together", loyalty-point and "was" price blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

import lxml.html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XMLSyntaxError

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import Lowered, canonical, joined, text
from goodseed_dagster.scraping.extract.structured import jsonld_documents
from goodseed_dagster.scraping.extract.tags import attributes, elements, start_tags
from goodseed_dagster.scraping.models import Page, RawOffer

Element = Any  # lxml.html.HtmlElement (lxml ships no usable stubs)

_NOISE = re.compile(
    r"related|upsell|up-sell|cross-?sell|crosssell|bundle|frequently|bought|together|loyalty|points|"
    r"reward|crypto|bitcoin|\bbtc|\beth\b|recently|recommend|also-like|you-may|save|saving|badge|"
    r"onsale|sale-flash|wishlist|review|rating",
    re.I,
)
_STRUCK_CLASS = re.compile(
    r"old-price|regular-price|was-price|price-old|price--compare|compare-at|strike|crossed", re.I
)
_STRUCK_TAGS = {"del", "s", "strike"}
_KEEP = re.compile(r"price-container|price-box|price-wrapper|rewards_earn", re.I)
# Outermost brand elements only (their subtrees are disjoint: nested brands cost the page once, not per level)
_OUTER_BRANDS = "//*[@itemprop='brand'][not(ancestor::*[@itemprop='brand'])]"
_FIRST_NAME = "(.//*[@itemprop='name'])[1]"
_POSTID = re.compile(r"\bpostid-(\d+)\b")
_DIGITS = re.compile(r"\s*(\d+)")


@cache
def _compiled(query: str) -> CSSSelector:
    return CSSSelector(query, translator="html")


def select(scope: Element | None, query: str) -> list[Element]:
    """CSS query on an element and its descendants, the CSS->XPath translation compiled once per query."""
    return [] if scope is None else list(_compiled(query)(scope))


def classes(el: Element) -> str:
    """The element's class and id, one lowercase string (for token tests)."""
    get = getattr(el, "get", None)
    if get is None:
        return ""
    return f"{get('class') or ''} {get('id') or ''}".lower()


def node_text(el: Element) -> str:
    """Visible text of an element, whitespace collapsed (script/style contents excluded)."""
    if el is None:
        return ""
    # Script and style hold raw text, never elements, so a text node's parent says it all (an ancestor
    # test would walk to the root for every text node).
    parts = [t for t in el.xpath(".//text()[not(parent::script) and not(parent::style)]")]
    return " ".join(" ".join(parts).split())


Verdict = Callable[[Element], bool | None]  # a node's own answer, or None to ask its parent


def _up(el: Element, stop: Element | None, verdict: Verdict, memo: dict[Element, bool] | None) -> bool:
    """The first verdict on the way from `el` up to `stop` (False when none speaks). With a memo (one per
    `stop`), every node passed keeps the answer, so a page's walks cost its size, not size x depth."""
    node, passed, answer = el, [], False
    while node is not None and node is not stop:
        known = memo.get(node) if memo is not None else None
        if known is not None:
            answer = known
            break
        own = verdict(node)
        passed.append(node)
        if own is not None:
            answer = own
            break
        node = node.getparent()
    if memo is not None:
        memo.update(dict.fromkeys(passed, answer))
    return answer


def _noise(node: Element) -> bool | None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in ("body", "html"):
        return False
    if tag in ("aside", "footer", "nav"):
        return True
    c = classes(node)
    return True if c.strip() and _NOISE.search(_KEEP.sub(" ", c)) else None


def _struck(node: Element) -> bool | None:
    if (node.tag if isinstance(node.tag, str) else "") in _STRUCK_TAGS or _STRUCK_CLASS.search(classes(node)):
        return True
    return None


def in_noise(el: Element, stop: Element | None = None, memo: dict[Element, bool] | None = None) -> bool:
    """Inside a related/bundle/loyalty/crypto/badge block (checked up to `stop`)? A memo serves one stop."""
    return _up(el, stop, _noise, memo)


def struck(el: Element, stop: Element | None = None, memo: dict[Element, bool] | None = None) -> bool:
    """A struck-through "was" price (del/s/strike or an old-price/regular-price class)? A memo serves one
    stop."""
    return _up(el, stop, _struck, memo)


def split_prices(
    priced: Iterable[tuple[Element, Decimal, str | None]], stop: Element | None
) -> tuple[list[tuple[Decimal, str | None]], list[Decimal]]:
    """(current prices with their currency, struck "was" prices) of the (element, amount, currency) found
    under one scope, struck meaning up to `stop`. A second distinct current price ends the scan: a range,
    which no caller reads as one price."""
    now: list[tuple[Decimal, str | None]] = []
    was: list[Decimal] = []
    memo: dict[Element, bool] = {}
    for el, amount, cur in priced:
        if struck(el, stop, memo):
            was.append(amount)
            continue
        now.append((amount, cur))
        if amount != now[0][0]:
            break
    return now, was


@dataclass
class Doc:
    """A page being extracted: source text, fallback currency, and lazily the tree and page facts."""

    page: Page
    html: str
    currency: str | None
    lower: Lowered = field(init=False)  # `marker in doc.lower` as in the lowercased source
    _noise: dict[Element, bool] = field(init=False, default_factory=dict)
    _struck: dict[Element, bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.lower = Lowered(self.html)

    def noisy(self, el: Element) -> bool:
        """in_noise(el) up to the root, remembered for every element passed."""
        return in_noise(el, memo=self._noise)

    def struck(self, el: Element) -> bool:
        """struck(el) up to the root, remembered for every element passed."""
        return struck(el, memo=self._struck)

    def has(self, *markers: str) -> bool:
        """Any of the (lowercase) markers in the page source?"""
        return any(m in self.lower for m in markers)

    @cached_property
    def root(self) -> Element | None:
        source = self.html.replace("\x00", "")
        if not source.strip():
            return None
        try:
            return lxml.html.document_fromstring(source)
        except (ParserError, XMLSyntaxError, ValueError):
            return None

    @cached_property
    def jsonld(self) -> list[Any]:
        return jsonld_documents(self.html)

    @cached_property
    def scripts(self) -> list[tuple[str, str]]:
        """(attribute text, content) of every script element, in page order."""
        return list(elements(self.html, "script"))

    @cached_property
    def product_ids(self) -> set[str]:
        """The page's own product ids: WordPress's body `postid-N`, the add-to-cart control's value,
        the variations form's data-product_id, Magento's `product` input."""
        found = set(_POSTID.findall(self.html))
        for name in ("input", "button", "form"):
            if name == "form" and "variations_form" not in self.lower:
                continue
            for tag in start_tags(self.html, name):
                if "add-to-cart" not in tag and "product" not in tag:
                    continue
                a = attributes(tag)
                if name == "form":
                    value = a.get("data-product_id") if "variations_form" in a.get("class", "") else None
                else:
                    value = a.get("value") if a.get("name") in ("add-to-cart", "product") else None
                if value and (m := _DIGITS.match(value)):
                    found.add(m.group(1))
        return found

    @cached_property
    def url(self) -> str:
        return canonical(self.page, self.html) or self.page.url

    def css(self, query: str, scope: Element | None = None) -> list[Element]:
        """CSS query on the tree (or under `scope`); [] when there is no tree."""
        return select(scope if scope is not None else self.root, query)

    @cached_property
    def title(self) -> str | None:
        """The product title: the product h1 of Woo/Magento/Shopify themes, else the only h1."""
        for q in ("h1.product_title", "h1.product-title", "h1.page-title", "h1 [itemprop=name]", "h1"):
            found = [h for h in self.css(q) if not self.noisy(h)]
            if found and (q != "h1" or len(found) == 1):
                return text(node_text(found[0]))
        return None

    @cached_property
    def attributes(self) -> dict[str, str]:
        """The platform's product attribute table (Woo "Additional information", Magento "More Information")."""
        out: dict[str, str] = {}
        query = (
            "table.woocommerce-product-attributes tr, table.shop_attributes tr, "
            "table#product-attribute-specs-table tr, table.additional-attributes tr"
        )
        for row in self.css(query):
            th, td = select(row, "th"), select(row, "td")
            if th and td:
                key, value = text(node_text(th[0])), text(node_text(td[0]))
                if key and value:
                    out.setdefault(key.lower().rstrip(":"), value)
        return out

    def attribute(self, *keys: str) -> str | None:
        """The first attribute whose label is one of `keys`."""
        for k in keys:
            if k in self.attributes:
                return self.attributes[k]
        return None

    @cached_property
    def brand(self) -> str | None:
        """A breeder the page states: attribute table (Seedbank/Breeder/Brand) or a microdata brand."""
        found = self.attribute("breeder", "seedbank", "seed bank", "brand", "manufacturer", "breeders")
        if found:
            return found
        for el in self.root.xpath(_OUTER_BRANDS) if self.root is not None else []:
            checkpoint()
            inner = el.xpath(_FIRST_NAME)
            value = (inner[0].get("content") or node_text(inner[0])) if inner else el.get("content")
            if text(value):
                return text(value)
        return None

    @cached_property
    def kind_labels(self) -> str | None:
        """Attribute values that state sex or flowering type, as labels (never free-text spec blocks)."""
        keys = (
            "sex",
            "gender",
            "seed type",
            "seed sex",
            "flowering type",
            "flowering",
            "type",
            "strain type",
        )
        return joined(*(self.attributes.get(k) for k in keys))


def title_offer(
    doc: Doc,
    *,
    price: Decimal,
    currency: str | None,
    in_stock: bool | None,
    regular_price: Decimal | None,
    adapter: str,
) -> RawOffer:
    """The page's one offer (simple products, visible prices): its pack is whatever its name states."""
    return RawOffer(
        url=doc.url,
        price=price,
        currency=currency,
        in_stock=in_stock,
        regular_price=regular_price,
        adapter=adapter,
    )
