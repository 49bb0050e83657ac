"""schema.org Product nodes -> offers: shared by the JSON-LD and microdata adapters.

Handles Product with Offer / Offer list / AggregateOffer (with inner offers), ProductGroup with
hasVariant, priceSpecification (StrikethroughPrice/ListPrice = the "was" price), eligibleQuantity,
Brand objects or strings, availability as a full URL or a bare word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import absolute, decimal, in_stock, joined, quantity, text
from goodseed_dagster.scraping.extract.money import read_currency, read_number
from goodseed_dagster.scraping.models import RawOffer

_STRIKE = ("strikethroughprice", "listprice", "msrp", "regularprice")


def types_of(node: dict[str, Any]) -> set[str]:
    """The node's schema.org types, names as schema.org spells them ("product" and "Product" are one type:
    shops write both, and no other vocabulary is in play inside a JSON-LD product block)."""
    t = node.get("@type", node.get("type"))
    values = t if isinstance(t, list) else [t]
    return {
        _CANONICAL.get(n.lower(), n) for v in values if isinstance(v, str) for n in [v.rsplit("/", 1)[-1]]
    }


_CANONICAL = {
    n.lower(): n
    for n in ("Product", "ProductGroup", "IndividualProduct", "ProductModel", "AggregateOffer", "Offer")
}


def product_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Product/ProductGroup nodes at the top of a JSON-LD document (lists, @graph, mainEntity)."""
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from product_nodes(item, depth + 1)
        return
    if not isinstance(data, dict):
        return
    kinds = types_of(data)
    if kinds & {"Product", "ProductGroup", "IndividualProduct", "ProductModel"}:
        yield data
        return
    for key in ("@graph", "mainEntity", "itemListElement", "item"):
        if key in data:
            yield from product_nodes(data[key], depth + 1)


_KIND_KEY = re.compile(
    r"sex|gender|type|flower|variet|category|kind|sorte|tipo|sexo|flora|geschlecht|blüte|sexe|typ", re.I
)


def names_of(value: Any) -> list[str]:
    """Texts of a schema.org value: a string ("Seeds > Feminized"), a Thing with a name, or a list."""
    out: list[str] = []
    for item in _as_list(value):
        found = text(item.get("name")) if isinstance(item, dict) else text(item)
        if found:
            out.extend(p.strip() for p in re.split(r"\s*[>/|»]\s*", found) if p.strip())
    return out


def node_labels(node: dict[str, Any]) -> str | None:
    """A Product node's kind as it states it: `category`, and `additionalProperty` values whose property
    names a kind (sex, type, flowering...; never THC, parents or effects)."""
    found = names_of(node.get("category"))
    for prop in _as_list(node.get("additionalProperty")):
        if isinstance(prop, dict) and _KIND_KEY.search(str(prop.get("name") or prop.get("propertyID") or "")):
            found.extend(names_of(prop.get("value")))
    return joined(*found)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _brand(node: dict[str, Any]) -> str | None:
    for key in ("brand", "manufacturer"):
        for b in _as_list(node.get(key)):
            name = text(b.get("name")) if isinstance(b, dict) else text(b)
            if name:
                return name
    return None


def _flat_offers(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    for o in _as_list(value):
        checkpoint()
        if not isinstance(o, dict) or depth > 4:
            continue
        if "AggregateOffer" in types_of(o):
            inner = _as_list(o.get("offers"))
            if inner:
                yield from _flat_offers(inner, depth + 1)
            elif o.get("offerCount") in (1, "1") or (
                decimal(o.get("lowPrice")) is not None
                and decimal(o.get("lowPrice")) == decimal(o.get("highPrice"))
            ):
                yield {**o, "price": o.get("price", o.get("lowPrice"))}
            continue
        yield o


def _prices(offer: dict[str, Any]) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(price now, struck "was" price, currency) from the offer and its priceSpecification(s)."""
    price, currency = _amount(offer.get("price")), text(offer.get("priceCurrency"))
    regular = None
    for spec in _as_list(offer.get("priceSpecification")):
        if not isinstance(spec, dict):
            continue
        kind = str(spec.get("priceType") or "").lower().rsplit("/", 1)[-1]
        amount = decimal(spec.get("price"))
        if kind in _STRIKE:
            regular = amount
        elif price is None:
            price = amount
        currency = currency or text(spec.get("priceCurrency"))
    if regular is not None and price is not None and regular <= price:
        regular = None
    if currency is None and isinstance(offer.get("price"), str):
        currency = read_currency(offer["price"])
    return price, regular, currency


def _amount(value: Any) -> Decimal | None:
    """A machine-readable price, else the price as printed ("26,00 €" in microdata); 0 is no price
    (shops mark "price on request" or "sold out" so), never a free pack."""
    found = decimal(value)
    if found is None and isinstance(value, str) and len(value) <= 64:
        found = read_number(value)
    return found if found else None


def offers_of(
    node: dict[str, Any], page_url: str, fallback_url: str | None, currency: str | None, adapter: str
) -> list[RawOffer]:
    """Every pack offer of one Product / ProductGroup node; a variant's label is its size, else its name."""
    name = text(node.get("name"))
    breeder = _brand(node)
    url = absolute(node.get("url"), page_url) or fallback_url or page_url
    pid = text(node.get("productGroupID") or node.get("productID") or node.get("sku") or node.get("mpn"))
    out: list[RawOffer] = []
    kinds = node_labels(node)
    if "ProductGroup" in types_of(node):
        for variant in _as_list(node.get("hasVariant")):
            if isinstance(variant, dict):
                label = text(variant.get("size")) or text(variant.get("name"))
                own = joined(node_labels(variant), kinds)
                out.extend(
                    _labelled(_offer(o, url, name, breeder, pid, label, currency, adapter), own)
                    for o in _flat_offers(variant.get("offers"))
                )
        return out
    return [
        _labelled(_offer(o, url, name, breeder, pid, text(o.get("name")), currency, adapter), kinds)
        for o in _flat_offers(node.get("offers"))
    ]


def _labelled(offer: RawOffer, labels: str | None) -> RawOffer:
    offer.labels = labels
    return offer


def _offer(
    o: dict[str, Any],
    url: str,
    name: str | None,
    breeder: str | None,
    pid: str | None,
    label: str | None,
    currency: str | None,
    adapter: str,
) -> RawOffer:
    price, regular, cur = _prices(o)
    return RawOffer(
        url=url,
        name=name,
        breeder=breeder,
        variant=label,
        pack_size=quantity(o.get("eligibleQuantity")),
        price=price,
        currency=cur or currency,
        in_stock=in_stock(o.get("availability")),
        product_id=pid,
        regular_price=regular,
        adapter=adapter,
        extra={"sku": s} if (s := text(o.get("sku"))) else {},
    )
