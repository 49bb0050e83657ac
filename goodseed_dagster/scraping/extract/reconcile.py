"""Which adapter wins on an HTML product page, and which adapter produced each field of an offer.

Precedence: the first tier that yields priced offers decides the packs, prices, "was" prices and stock.

1. Buy-form data, the numbers the add-to-cart form itself charges: woo_variations
   (data-product_variations) > magento_grouped (child rows) > magento_configurable (jsonConfig) >
   shopify_script (ProductJson) > woo_table (rendered pack table with buy controls) > woo_simple.
   It beats JSON-LD because SEO plugins cache JSON-LD, print ranges, or show the regular price.
2. Structured data: jsonld > microdata. A seller configured as platform "jsonld"/"microdata" moves
   this tier ahead of tier 1 (the operator's choice). A page's one structured offer whose price the
   page prints struck through beside a lower current price takes the visible price (price_reader).
3. An empty JavaScript shell stops here with ShellPageError: scripts and meta tags on a page whose
   content is rendered client-side are not read.
4. script_data: a product object in an inline script that is tied to the page.
5. opengraph: product:price:amount / og:price:amount meta tags (one offer).
6. visible_text: the price beside the title / add-to-cart (only when nothing above found a price).

Fields the winner did not state are filled, each from the first source that has it:
name: the pack table's own product label > JSON-LD Product name > product h1 > og:title;
breeder: JSON-LD brand > attribute table (Seedbank/Breeder/Brand) / microdata brand;
currency: JSON-LD priceCurrency > price meta tags (itemprop/product:price:currency) > the printed
symbol > the seller's configured currency; labels: the platform attribute table's sex / flowering
values (never free-text spec blocks, which often describe other strains), else the page's categories
(page_facts: schema.org category, breadcrumbs, the product's category links); in_stock of a page's one
offer: its stock text, else its buy button (page_facts). Pack size, sex and
flowering are not read here: normalize's text rules read them from the variant, name and labels.
When tier 1 and JSON-LD price the same pack label differently, tier 1 wins and extra["price_conflict"]
keeps the JSON-LD price. extra["<field>_source"] names the producer of every stated field;
RawOffer.adapter names the adapter that won the offer list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import text
from goodseed_dagster.scraping.extract.dom import Doc
from goodseed_dagster.scraping.extract.magento import magento_configurable, magento_grouped
from goodseed_dagster.scraping.extract.microdata import microdata
from goodseed_dagster.scraping.extract.page_facts import page_labels, page_stock
from goodseed_dagster.scraping.extract.price_reader import struck_structured, visible_price
from goodseed_dagster.scraping.extract.schema_org import product_nodes
from goodseed_dagster.scraping.extract.scripts import script_data, shopify_script
from goodseed_dagster.scraping.extract.structured import jsonld, meta_tags, opengraph
from goodseed_dagster.scraping.extract.visible_text import ShellPageError, is_shell
from goodseed_dagster.scraping.extract.woo_forms import woo_simple, woo_table, woo_variations
from goodseed_dagster.scraping.models import STATED, Platform, RawOffer

Adapter = Callable[[Doc], list[RawOffer]]
_CURRENCY_KEYS = ("pricecurrency", "product:price:currency", "og:price:currency")
_ISO = re.compile(r"[A-Za-z]{3}")

# (adapter, lowercase source markers of which at least one must occur, and a second group likewise)
_FORM: tuple[tuple[Adapter, tuple[str, ...], tuple[str, ...]], ...] = (
    (woo_variations, ("data-product_variations",), ()),
    (magento_grouped, ("super_group[", "super-product-table"), ()),
    (magento_configurable, ("jsonconfig", "spconfig"), ("x-magento-init",)),
    (shopify_script, ("productjson", "product-json", "product_json"), ()),
    (
        woo_table,
        ("woocommerce-price-amount", "data-price=", "hidden_price"),
        ("qty", "quantity", "add_to_cart", "add-to-cart"),
    ),
    (woo_simple, ("single_add_to_cart_button", 'name="add-to-cart"'), ()),
)


def _priced(offers: list[RawOffer]) -> bool:
    return any(o.price is not None for o in offers)


def _form_tier(doc: Doc) -> list[RawOffer]:
    for adapter, first, second in _FORM:
        if doc.has(*first) and (not second or doc.has(*second)):
            checkpoint()
            offers = adapter(doc)
            if _priced(offers):
                return offers
    return []


def _jsonld(doc: Doc) -> list[RawOffer]:
    return jsonld(doc.page, doc.currency, doc.html)


def _structured(doc: Doc, platform: Platform) -> list[RawOffer]:
    order: tuple[Adapter, Adapter] = (microdata, _jsonld) if platform == "microdata" else (_jsonld, microdata)
    for adapter in order:
        checkpoint()
        offers = adapter(doc)
        if offers:
            return offers
    return []


def html_offers(doc: Doc, platform: Platform) -> list[RawOffer]:
    """Every pack offer of an HTML page, by the precedence above, with per-field provenance."""
    structured_first = platform in ("jsonld", "microdata")
    if structured_first and (found := _structured(doc, platform)):
        return finish(doc, found)
    if found := _form_tier(doc):
        return finish(doc, _note_conflicts(doc, found))
    if not structured_first and (found := _structured(doc, platform)):
        return finish(doc, struck_structured(doc, found))
    if is_shell(doc):
        raise ShellPageError(doc.page.url)
    for late in (script_data, lambda d: opengraph(d.page, d.currency, d.html), visible_price):
        checkpoint()
        found = late(doc)
        if _priced(found):
            return finish(doc, found)
    return []


def _label_key(label: str | None) -> str:
    """A pack label compared as words ("5-Seeds" is "5 seeds"); not a reading of the pack size."""
    return " ".join(re.findall(r"[^\W_]+", (label or "").lower()))


def _note_conflicts(doc: Doc, offers: list[RawOffer]) -> list[RawOffer]:
    """extra["price_conflict"] where JSON-LD prices the same pack label differently."""
    if "ld+json" not in doc.lower:
        return offers
    ld = {
        _label_key(o.variant): o.price
        for o in jsonld(doc.page, None, doc.html)
        if o.variant and o.price is not None
    }
    for o in offers:
        other = ld.get(_label_key(o.variant)) if o.variant else None
        if other is not None and o.price is not None and other != o.price:
            o.extra["price_conflict"] = f"jsonld:{other}"
    return offers


def _ld_facts(doc: Doc) -> dict[str, str]:
    """name / breeder / currency of the page's single JSON-LD Product, when there is exactly one."""
    if "ld+json" not in doc.lower:
        return {}
    nodes = [n for d in doc.jsonld for n in product_nodes(d)]
    if len(nodes) != 1:
        return {}
    node: dict[str, Any] = nodes[0]
    brand = node.get("brand")
    offers = node.get("offers")
    first = offers[0] if isinstance(offers, list) and offers else offers
    facts = {
        "name": text(node.get("name")),
        "breeder": text(brand.get("name")) if isinstance(brand, dict) else text(brand),
        "currency": text(first.get("priceCurrency")) if isinstance(first, dict) else None,
    }
    return {k: v for k, v in facts.items() if v}


def _set(offer: RawOffer, field: str, value: Any, source: str) -> None:
    if value is not None and getattr(offer, field) is None:
        setattr(offer, field, value)
        offer.extra[f"{field}_source"] = source


def _fill(offer: RawOffer, field: str, get: Callable[[], Any], source: str) -> None:
    """_set with the value computed only when the field is still missing (page facts need the tree)."""
    if getattr(offer, field) is None:
        _set(offer, field, get(), source)


_SELF_CONTAINED = ("jsonld", "microdata", "opengraph", "script_data", "shopify_script")  # state their own
_ATTRIBUTE_TABLES = (
    "woocommerce-product-attributes",
    "shop_attributes",
    "additional-attributes",
    "attribute-specs",
)


def _meta_currency(doc: Doc) -> str | None:
    """The currency the price meta tags state (itemprop=priceCurrency, product:/og:price:currency)."""
    if not doc.has("currency"):
        return None
    meta = meta_tags(doc.html)
    found = (v.strip() for k in _CURRENCY_KEYS if (v := meta.get(k)) is not None)
    return next((v.upper() for v in found if _ISO.fullmatch(v)), None)


def finish(doc: Doc, offers: list[RawOffer]) -> list[RawOffer]:
    """Stamp the adapter's own fields, then fill the rest from page facts by the documented order.
    Every page fact is read once per page, never once per offer."""
    for o in offers:
        checkpoint()
        for field in STATED:
            if getattr(o, field) is not None:
                o.extra.setdefault(f"{field}_source", o.adapter)
        if o.adapter in _SELF_CONTAINED:
            _set(o, "currency", doc.currency, "config")
    filled = [o for o in offers if o.adapter not in _SELF_CONTAINED]
    if filled:
        structured = any(o.adapter in ("jsonld", "microdata", "opengraph") for o in offers)
        _fill_from_page(doc, filled, structured)
    unlabelled = [o for o in offers if o.labels is None]
    categories = page_labels(doc) if unlabelled else None  # read once per page, never once per offer
    for o in unlabelled:
        _set(o, "labels", categories, "categories")
    if len(offers) == 1:  # a page's stock text and buy button speak for its one offer only
        _fill(offers[0], "in_stock", lambda: page_stock(doc), "page")
    return offers


def _fill_from_page(doc: Doc, offers: list[RawOffer], structured: bool) -> None:
    """Name, currency, breeder and labels the winning adapter did not state, from the page's facts."""
    facts = {} if structured else _ld_facts(doc)
    meta = _meta_currency(doc)
    tables = doc.has(*_ATTRIBUTE_TABLES)
    brands = tables or doc.has('itemprop="brand', "itemprop=brand", "itemprop='brand")
    for o in offers:
        checkpoint()
        _set(o, "name", o.extra.pop("row_name", None), "pack_table_label")
        _set(o, "name", facts.get("name"), "jsonld")
        _fill(o, "name", lambda: doc.title, "title")
        if "currency" in facts or meta:
            o.currency = None
            _set(o, "currency", facts.get("currency"), "jsonld")
            _set(o, "currency", meta, "meta")
        _set(o, "breeder", facts.get("breeder"), "jsonld")
        if brands:
            _fill(o, "breeder", lambda: doc.brand, "attributes")
        if tables:
            _fill(o, "labels", lambda: doc.kind_labels, "attributes")
        _set(o, "currency", doc.currency, "config")
