"""Last resorts for HTML product pages: the empty JavaScript shell test and the visible-text price.

visible_price runs only when no adapter found a price. It needs a product page (one product title
and an add-to-cart control) and reads the one price next to them with price-parser: the smallest
block around the title or the add-to-cart control that holds a price. Prices inside related /
bundle / "frequently bought" / loyalty / crypto / badge blocks are never read, struck "was" prices
become regular_price, and a block showing a price range (variable product, no per-pack data) gives
nothing: no offer beats a guessed one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import in_stock, text_price
from goodseed_dagster.scraping.extract.dom import (
    Doc,
    Element,
    classes,
    in_noise,
    node_text,
    select,
    split_prices,
    title_offer,
)
from goodseed_dagster.scraping.models import RawOffer

SHELL_REASON = "page content is rendered client-side (empty JavaScript shell); no offers read"
_MOUNT = re.compile(
    r"\bid=[\"']?(?:root|app|__next|__nuxt|___gatsby|svelte|react-root|spa-root|main-app)[\"'\s>]|<app-root\b|"
    r"\bng-version=|data-reactroot|data-server-rendered",
    re.I,
)
_NOSCRIPT_JS = re.compile(r"<noscript\b[^<>]*>[^<]{0,200}?javascript", re.I)  # "<" bounds each attempt
_VISIBLE_TEXT = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
    " or ancestor::svg)]"
)
_NOT_PRICE = re.compile(
    r"points?\b|save|saving|\boff\b|btc|bitcoin|\beth\b|crypto|reward|earn|was\b|rrp|from\b", re.I
)
_BUY = re.compile(
    r"add[\s_-]*to[\s_-]*(?:cart|basket|bag)|buy[\s_-]*now|tocart|add-to-cart|single_add_to_cart", re.I
)


class ShellPageError(ExtractError):
    """The page is an empty JavaScript shell: its content only exists after scripts run."""

    def __init__(self, url: str) -> None:
        super().__init__(url, SHELL_REASON)


def visible_length(doc: Doc) -> int:
    """Characters of text a browser without JavaScript would show in the body."""
    if doc.root is None:
        return 0
    return len(" ".join(" ".join(doc.root.xpath(_VISIBLE_TEXT)).split()))


def is_shell(doc: Doc) -> bool:
    """An HTML 2xx page with scripts, a client-side mount point (or a "needs JavaScript" notice), no text."""
    if not 200 <= doc.page.status < 300 or "<script" not in doc.lower:
        return False
    if not (_MOUNT.search(doc.html) or _NOSCRIPT_JS.search(doc.html)):
        return False
    return visible_length(doc) < 200


def _buy_controls(doc: Doc) -> list[Element]:
    found = []
    for el in doc.css("button, input[type=submit], a.button, [name=add-to-cart]"):
        checkpoint()
        if not doc.noisy(el) and _BUY.search(
            f"{classes(el)} {el.get('name') or ''} {node_text(el)} {el.get('value') or ''}"
        ):
            found.append(el)
    return found


def _holders(block: Element) -> set[Element]:
    """Elements under `block` that hold a price element deeper down (one walk up from each price)."""
    out: set[Element] = set()
    for el in block.xpath(".//*[contains(@class, 'price') or @itemprop='price']"):
        node = el.getparent()
        while node is not None and node is not block and node not in out:
            out.add(node)
            node = node.getparent()
    return out


def _prices_in(
    block: Element, currency: str | None
) -> tuple[list[tuple[Decimal, str | None]], list[Decimal]]:
    """(current prices, struck prices) printed in a block's leaf price elements, noise excluded."""
    stop, holders = block.getparent(), _holders(block)
    noise: dict[Element, bool] = {}

    def priced() -> Iterator[tuple[Element, Decimal, str | None]]:
        for el in select(block, "[class*=price], [itemprop=price], .amount"):
            checkpoint()
            if el in holders or in_noise(el, stop, noise):
                continue  # leaf price elements only
            shown = node_text(el)
            if _NOT_PRICE.search(shown) or not re.search(r"\d", shown):
                continue
            amount, cur = text_price(shown, currency)
            if amount is not None and amount != 0:
                yield el, amount, cur

    return split_prices(priced(), stop)


def visible_price(doc: Doc) -> list[RawOffer]:
    """One offer from the price printed beside the product title or the add-to-cart control."""
    title = doc.title
    heads = [h for h in doc.css("h1") if not doc.noisy(h)]
    buttons = _buy_controls(doc)
    if not title or len(heads) != 1 or not buttons:
        return []
    for anchor in (heads[0], buttons[0]):
        block = anchor
        for _ in range(4):
            block = block.getparent()
            if block is None or block.tag in ("body", "html"):
                break
            if doc.noisy(block):
                break
            now, was = _prices_in(block, doc.currency)
            if not now:
                continue
            if len({a for a, _ in now}) != 1:
                return []  # a range or several products: not one price for one pack
            price, cur = now[0]
            stock_el = doc.css(".stock, .availability, [itemprop=availability]", block)
            stock = in_stock(node_text(stock_el[0]) or stock_el[0].get("href")) if stock_el else None
            regular = max(was) if was and max(was) > price else None
            return [
                title_offer(
                    doc,
                    price=price,
                    currency=cur,
                    in_stock=stock,
                    regular_price=regular,
                    adapter="visible_text",
                )
            ]
    return []
