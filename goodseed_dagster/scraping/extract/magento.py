"""Magento 2 product pages: grouped products (one child SKU per pack) and configurable products.

- magento_grouped: the rows of `#super-product-table` (or the rows holding `super_group[<id>]` qty
  inputs). Price is the child's `data-price-type="finalPrice"` `data-price-amount`; an `oldPrice`
  amount or `.old-price` is the "was" price; loyalty/reward spans inside the price box are ignored.
- magento_configurable: the `jsonConfig` / `spConfig` object of the swatch or configurable widget
  (`text/x-magento-init` JSON): attribute options name the pack, optionPrices give finalPrice/oldPrice.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import decimal, in_stock, joined, text, text_price
from goodseed_dagster.scraping.extract.dom import Doc, Element, node_text, select, struck
from goodseed_dagster.scraping.extract.tags import attributes
from goodseed_dagster.scraping.models import RawOffer


def _grouped_rows(doc: Doc) -> list[Element]:
    rows = doc.css("#super-product-table tbody tr")
    if not rows:
        rows = [
            tr
            for inp in doc.css("input[name^='super_group[']")
            if (tr := next(inp.iterancestors("tr"), None)) is not None
        ]
    return [r for r in dict.fromkeys(rows) if not doc.noisy(r)]


def _child_price(row: Element, currency: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    final = select(row, "[data-price-type=finalPrice][data-price-amount]")
    amounts = final or [el for el in select(row, "[data-price-amount]") if not struck(el, row)]
    price = decimal(amounts[0].get("data-price-amount")) if amounts else None
    cur = None
    if amounts:
        shown = select(amounts[0], ".price")
        printed, cur = text_price(node_text(shown[0]) if shown else None, currency)
        if printed is not None and printed == price:
            price = printed  # keep the printed precision ("36.40", not "36.4")
    old = select(row, "[data-price-type=oldPrice][data-price-amount]")
    regular = decimal(old[0].get("data-price-amount")) if old else None
    if regular is None:
        for el in select(row, ".old-price .price, .old-price [data-price-amount]"):
            regular = decimal(el.get("data-price-amount")) or text_price(node_text(el))[0]
            break
    if regular is not None and (price is None or regular <= price):
        regular = None
    return price, regular, cur or currency


def _child_stock(row: Element) -> bool | None:
    for el in select(row, ".stock"):
        if (s := in_stock(node_text(el))) is not None:
            return s
    qty = select(row, "input[name^='super_group[']")
    if qty:  # Magento renders a qty box only for salable children
        return qty[0].get("disabled") is None
    return None


def magento_grouped(doc: Doc) -> list[RawOffer]:
    """One offer per child row of a grouped product that states a pack size and a final price."""
    out = []
    for row in _grouped_rows(doc):
        checkpoint()
        names = select(row, ".product-item-name, [itemprop=name]")
        label = text(node_text(names[0])) if names else None
        price, regular, cur = _child_price(row, doc.currency)
        if price is None or label is None:
            continue
        box = select(row, "[data-product-id]")
        child = box[0].get("data-product-id") if box else None
        skus = select(row, "[itemprop=sku]")
        out.append(
            RawOffer(
                url=doc.url,
                price=price,
                currency=cur,
                in_stock=_child_stock(row),
                variant=label,
                regular_price=regular,
                adapter="magento_grouped",
                extra={
                    k: v
                    for k, v in (
                        ("child_id", text(child)),
                        ("sku", text(skus[0].get("content")) if skus else None),
                    )
                    if v
                },
            )
        )
    return out


def _configs(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Every spConfig/jsonConfig-shaped dict (attributes + optionPrices) inside a magento-init block."""
    if depth > 8:
        return []
    if isinstance(data, dict):
        if isinstance(data.get("attributes"), dict) and isinstance(data.get("optionPrices"), dict):
            return [data]
        return [c for v in data.values() for c in _configs(v, depth + 1)]
    if isinstance(data, list):
        return [c for v in data for c in _configs(v, depth + 1)]
    return []


def _amount(prices: Any, key: str) -> Decimal | None:
    entry = prices.get(key) if isinstance(prices, dict) else None
    return decimal(entry.get("amount")) if isinstance(entry, dict) else None


def magento_configurable(doc: Doc) -> list[RawOffer]:
    """One offer per pack option of the configurable widget's jsonConfig."""
    out: list[RawOffer] = []
    for attrs, body in doc.scripts:
        checkpoint()
        if "x-magento-init" not in attrs.lower() or attributes(attrs).get("type", "").strip().lower() != (
            "text/x-magento-init"
        ):
            continue
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            continue
        for config in _configs(data):
            out.extend(_config_offers(doc, config))
        if out:
            return out
    return out


def _children(config: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """child product id -> (attribute id, option id, option label) of every option that picks it."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for attr_id, attr in config["attributes"].items():
        options = attr.get("options") if isinstance(attr, dict) else None
        for opt in options if isinstance(options, list) else []:
            label = text(opt.get("label")) if isinstance(opt, dict) else None
            products = opt.get("products") if isinstance(opt, dict) else None
            if label is not None and isinstance(products, list):
                for child in map(str, products):
                    out.setdefault(child, []).append((str(attr_id), str(opt.get("id")), label))
    return out


def _salable(salable: Any, picks: list[tuple[str, str, str]]) -> bool | None:
    """Salable when every option that picks the child is (None when the widget does not say)."""
    flags = [
        bool(salable[a].get(o))
        for a, o, _ in picks
        if isinstance(salable, dict) and isinstance(salable.get(a), dict)
    ]
    return all(flags) if flags else None


def _config_offers(doc: Doc, config: dict[str, Any]) -> list[RawOffer]:
    """One offer per child product with a final price; its variant is its option labels ("5 Seeds")."""
    prices = config["optionPrices"]
    out = []
    for child, picks in _children(config).items():
        checkpoint()
        price = _amount(prices.get(child), "finalPrice")
        if price is None:
            continue
        was = _amount(prices.get(child), "oldPrice")
        out.append(
            RawOffer(
                url=doc.url,
                variant=joined(*(label for _, _, label in picks), sep=" / "),
                price=price,
                in_stock=_salable(config.get("salable"), picks),
                product_id=text(config.get("productId")),
                regular_price=was if was is not None and was > price else None,
                adapter="magento_configurable",
                extra={"child_id": child},
            )
        )
    return out
