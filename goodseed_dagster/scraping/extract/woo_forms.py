"""WooCommerce product pages: the variations form, rendered pack tables, and simple products.

- woo_variations: `form.variations_form[data-product_variations]`, the JSON the add-to-cart form
  itself uses (display_price now, display_regular_price "was"; hidden/inactive variations skipped).
- woo_table: variation-table plugins and rendered pack tables, one row per pack with a quantity input
  or add-to-cart button and often a per-row availability flag (row class instock/outofstock,
  `pvt_variation_availability`); the row must state a pack label and a price.
- woo_simple: a simple product's `form.cart` with the price in the summary and the pack in the title.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import decimal, in_stock, joined, text, text_price
from goodseed_dagster.scraping.extract.dom import (
    Doc,
    Element,
    classes,
    node_text,
    select,
    split_prices,
    title_offer,
)
from goodseed_dagster.scraping.models import RawOffer

_VARIATIONS = re.compile(r"data-product_variations=(?:\"([^\"]*)\"|'([^']*)')", re.I)
_PRODUCT_ID = re.compile(r"data-product_id=[\"']?(\d+)", re.I)
_QTY_LABEL = re.compile(r"\s+quantity\s*$", re.I)
_OWN_ROWS = "./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"
_BUY = "input[type=number], input.qty, input[name*=quantity], button, input[type=submit]"


def _label(value: Any) -> str | None:
    """An attribute slug or name as a pack label ("5-seeds" -> "5 seeds")."""
    return text(str(value).replace("-", " ")) if value is not None else None


def woo_variations(doc: Doc) -> list[RawOffer]:
    """One offer per visible variation of data-product_variations."""
    m = _VARIATIONS.search(doc.html)
    if not m:
        return []
    try:
        variations = json.loads(html.unescape(m.group(1) if m.group(1) is not None else m.group(2)))
    except (ValueError, RecursionError):
        return []
    pid = _PRODUCT_ID.search(doc.html)
    out = []
    for v in variations if isinstance(variations, list) else []:
        checkpoint()
        if (
            not isinstance(v, dict)
            or v.get("variation_is_visible") is False
            or v.get("variation_is_active") is False
        ):
            continue
        raw = v.get("attributes")
        attrs: dict[str, Any] = raw if isinstance(raw, dict) else {}
        price, was = decimal(v.get("display_price")), decimal(v.get("display_regular_price"))
        if price is None:
            continue
        stock = v.get("is_in_stock")
        if v.get("is_purchasable") is False:
            stock = False
        out.append(
            RawOffer(
                url=doc.url,
                variant=joined(*(_label(a) for a in attrs.values()), sep=" / "),
                price=price,
                in_stock=stock if isinstance(stock, bool) else None,
                product_id=pid.group(1) if pid else None,
                regular_price=was if was is not None and was > price else None,
                adapter="woo_variations",
                extra={"variation_id": str(v.get("variation_id"))},
            )
        )
    return out


def _amounts(scope: Element, currency: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(price now, struck price, currency) from the woocommerce-Price-amount spans under `scope`."""

    def priced() -> Iterator[tuple[Element, Decimal, str | None]]:
        for el in select(scope, ".woocommerce-Price-amount, .amount"):
            checkpoint()
            if el.getparent() is not None and "amount" in classes(el.getparent()):
                continue
            amount, cur = text_price(node_text(el), currency)
            if amount is not None:
                yield el, amount, cur

    now, was = split_prices(priced(), scope)
    if len({a for a, _ in now}) != 1:  # none, or a range: no single price for this row
        return None, None, None
    price, cur = now[0]
    regular = max(was) if was and max(was) > price else None
    return price, regular, cur


def _row_price(row: Element, currency: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    price, regular, cur = _amounts(row, currency)
    if price is not None:
        return price, regular, cur
    for el in [row, *select(row, "[data-price]")]:
        if (p := decimal(el.get("data-price"))) is not None:
            return p, None, currency
    hidden = select(row, "input.hidden_price, input[name=hidden_price]")
    p = decimal(hidden[0].get("value")) if hidden else None
    return p, None, currency


def _row_label(row: Element) -> str | None:
    """The row's pack label: its labelled option cell (class or data-title naming a pack, size or option),
    else its first text cell without a price or control, else its attribute_ input."""
    cells = [c for c in select(row, "td") if not select(c, ".woocommerce-Price-amount, input, button")]
    labelled = [
        c
        for c in cells
        if re.search(
            r"pack|size|option|variation|seeds|qty-label",
            classes(c) + " " + (c.get("data-title") or c.get("data-label") or ""),
            re.I,
        )
    ]
    for cell in [*labelled, *cells]:
        if label := text(cell.get("data-sort-value")) or text(node_text(cell)):
            return label
    inputs = select(row, "input[name^=attribute_]")
    return _label(inputs[0].get("value")) if inputs else None


def _row_stock(row: Element) -> bool | None:
    flag = select(row, "input[name=pvt_variation_availability], input[name*=availability]")
    if flag:
        value = (flag[0].get("value") or "").strip().lower()
        if value in ("yes", "1", "true", "instock", "in-stock"):
            return True
        if value in ("no", "0", "false", "outofstock", "out-of-stock"):
            return False
    tokens = set(classes(row).split())
    if tokens & {"outofstock", "out-of-stock", "sold-out", "soldout"}:
        return False
    if tokens & {"instock", "in-stock", "onbackorder"}:
        return True
    for el in select(row, ".stock, .stock-status, .availability"):
        if (s := in_stock(node_text(el))) is not None:
            return s
    buttons = [
        b
        for b in select(row, "button, input[type=submit]")
        if re.search(r"cart|buy", classes(b) + node_text(b), re.I)
    ]
    if buttons:
        return not all(b.get("disabled") is not None or "disabled" in classes(b) for b in buttons)
    return None


def _row_name(row: Element) -> str | None:
    """The product name a row states for itself (Woo's "<product> quantity" screen-reader label)."""
    for lab in select(row, "label.screen-reader-text, label[for]"):
        t = text(node_text(lab))
        if t and _QTY_LABEL.search(t):
            return text(_QTY_LABEL.sub("", t))
    return None


def _layout_rows(tables: list[Element]) -> set[Element]:
    """Rows that hold a whole table: page layout, never a pack row."""
    return {row for t in tables if (row := next(t.iterancestors("tr"), None)) is not None}


def woo_table(doc: Doc) -> list[RawOffer]:
    """One offer per labelled, priced row of a variation table with buy controls (the first such table).
    Each table reads its own rows only, so nested tables cost their size once, not once per level."""
    tables = doc.css("table")
    layout = _layout_rows(tables)
    for table in tables:
        checkpoint()
        if doc.noisy(table):
            continue
        out = []
        seen: set[str] = set()
        for row in table.xpath(_OWN_ROWS):
            checkpoint()
            if row in layout or not select(row, "td") or (not select(row, _BUY) and _row_stock(row) is None):
                continue
            label = _row_label(row)
            price, regular, cur = _row_price(row, doc.currency)
            if label is None or price is None or label in seen:
                continue
            seen.add(label)
            buttons = select(row, "[data-product-id], [data-product_id], input[name=product_id]")
            pid = (
                (
                    buttons[0].get("data-product-id")
                    or buttons[0].get("data-product_id")
                    or buttons[0].get("value")
                )
                if buttons
                else None
            )
            extra = {"variant_source": "woo_table"}
            if name := _row_name(row):
                extra["row_name"] = name
            out.append(
                RawOffer(
                    url=doc.url,
                    price=price,
                    currency=cur,
                    in_stock=_row_stock(row),
                    product_id=text(pid),
                    variant=label,
                    regular_price=regular,
                    adapter="woo_table",
                    extra=extra,
                )
            )
        if out:
            return out
    return []


def woo_simple(doc: Doc) -> list[RawOffer]:
    """A simple product: form.cart with an add-to-cart control, one price in the summary."""
    forms = [f for f in doc.css("form.cart") if "variations_form" not in classes(f) and not doc.noisy(f)]
    if len(forms) != 1 or not select(forms[0], "[name=add-to-cart], button.single_add_to_cart_button"):
        return []
    summary = next(
        (
            a
            for a in forms[0].iterancestors()
            if re.search(r"\bsummary\b|\bproduct\b|entry-summary", classes(a))
        ),
        None,
    )
    prices = (
        [p for p in doc.css(".price", summary) if not doc.noisy(p) and not doc.struck(p)]
        if summary is not None
        else []
    )
    if not prices:
        return []
    price, regular, cur = _amounts(prices[0], doc.currency)
    if price is None:
        return []
    stock_el = doc.css(".stock", summary)
    stock = (
        in_stock(node_text(stock_el[0])) if stock_el else True
    )  # Woo renders form.cart only when purchasable
    return [
        title_offer(
            doc, price=price, currency=cur, in_stock=stock, regular_price=regular, adapter="woo_simple"
        )
    ]
