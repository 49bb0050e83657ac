"""Per-seller CSS/XPath selector configs (parsel) for shops with no structured data.

Keys (all optional but `variant_row` and `price`): product_links, next_page (for links());
product (container), name, breeder, variant_row, pack, price, regular_price, stock, sku, canonical.
A value starting with "/" or "(" or "./" is XPath, anything else CSS (parsel's ::text / ::attr()).
"""

from __future__ import annotations

from collections.abc import Mapping

from parsel import Selector, SelectorList

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import absolute, in_stock, text, text_price
from goodseed_dagster.scraping.extract.decoding import decode
from goodseed_dagster.scraping.models import Page, RawOffer

SELECTOR_KEYS = (
    "product_links",
    "next_page",
    "product",
    "name",
    "breeder",
    "variant_row",
    "pack",
    "price",
    "regular_price",
    "stock",
    "sku",
    "canonical",
)


_LAST: tuple[bytes, str, Selector] | None = None  # the last page's tree: extract() then links() share it


def page_selector(page: Page) -> Selector:
    """The page's parsel tree, built once when extract() and links() read the same page in turn.

    Queries never modify a Selector, so handing the same one to both gives what two parses would."""
    global _LAST
    last = _LAST
    if last is not None and last[0] is page.body and last[1] == page.url:
        return last[2]
    sel = Selector(text=decode(page), base_url=page.url)
    _LAST = (page.body, page.url, sel)
    return sel


def select(sel: Selector, query: str | None) -> SelectorList[Selector]:
    """Run one configured selector (CSS or XPath)."""
    if not query:
        return SelectorList([])
    q = query.strip()
    return sel.xpath(q) if q.startswith(("/", "(", "./")) else sel.css(q)


def first_text(sel: Selector, query: str | None) -> str | None:
    """The first match's text content (elements are flattened to their text)."""
    for node in select(sel, query):
        value = node.get()
        if node.root is not None and not isinstance(node.root, str):
            value = " ".join(node.xpath(".//text()").getall())
        if (t := text(value)) is not None:
            return t
    return None


def selector_offers(page: Page, selectors: Mapping[str, str], currency: str | None) -> list[RawOffer]:
    """One offer per variant row (or one for the whole product when no rows are configured)."""
    sel = page_selector(page)
    scope = select(sel, selectors.get("product"))
    root = scope[0] if scope else sel
    name = first_text(root, selectors.get("name")) or first_text(sel, selectors.get("name"))
    breeder = first_text(root, selectors.get("breeder"))
    url = (
        absolute(first_text(sel, selectors.get("canonical", "link[rel=canonical]::attr(href)")), page.url)
        or page.url
    )
    rows = select(root, selectors.get("variant_row")) if selectors.get("variant_row") else [root]
    out = []
    for row in rows:
        checkpoint()
        label = first_text(row, selectors.get("pack"))
        price, cur = text_price(first_text(row, selectors.get("price")), currency)
        was, _ = text_price(first_text(row, selectors.get("regular_price")), currency)
        if price is None:
            continue
        stock_text = first_text(row, selectors.get("stock"))
        out.append(
            RawOffer(
                url=url,
                name=name,
                breeder=breeder,
                variant=label,
                price=price,
                currency=cur or currency,
                in_stock=in_stock(stock_text),
                product_id=None,
                regular_price=was if was is not None and was > price else None,
                adapter="selectors",
                extra={"sku": s} if (s := first_text(row, selectors.get("sku"))) else {},
            )
        )
    return out


def selector_links(page: Page, selectors: Mapping[str, str]) -> list[str]:
    """Product and next-page links found by the configured selectors."""
    sel = page_selector(page)
    out = []
    for key in ("product_links", "next_page"):
        for node in select(sel, selectors.get(key)):
            url = absolute(node.get() if isinstance(node.root, str) else node.attrib.get("href"), page.url)
            if url:
                out.append(url)
    return out
