"""What a product page states outside its offers: its categories (as labels) and its stock.

Shops often say "Feminized" or "Autoflowering" only in the product's schema.org `category`, an
`additionalProperty`, the breadcrumb trail or the product's own category links (WooCommerce
`posted_in`, `rel=tag`); those become the offer's labels, which normalize's rules read after the name
and variant. Menus and sidebars listing every category are never read. When no adapter stated stock,
a page with one offer says it by its stock text or its buy button (disabled: out of stock; a variable
product's "choose an option" button is no answer).
"""

from __future__ import annotations

import re

from goodseed_dagster.scraping.extract.common import in_stock, joined
from goodseed_dagster.scraping.extract.dom import Doc, classes, node_text
from goodseed_dagster.scraping.extract.price_reader import CART, buy_control, main_title
from goodseed_dagster.scraping.extract.schema_org import names_of, types_of

_ATTRIBUTE = re.compile(r"""(?:class|id|itemprop)\s*=\s*["']?[^"'=<>]*$""", re.I)
_CRUMBS = (
    "[class*=breadcrumb] a, [class*=breadcrumb] li, [id*=breadcrumb] a"  # often in a <nav>: no noise test
)
_CATEGORY_LINKS = ".posted_in a, .product_meta a[rel~=tag], [itemprop=category]"
_STOCK_QUERY = (
    ".stock, .availability, [itemprop=availability], .in-stock, .out-of-stock, [class*=stock-status]"
)
_OPTIONS = (
    "select, input[type=radio], [class*=swatch], [class*=variation], [class*=size-], [class*=attribute]"
)
_CHOOSE = re.compile(r"selection-needed|select[\s_-]*options|choose", re.I)


def in_attribute(doc: Doc, *words: str) -> bool:
    """Does a (lowercase) word occur inside a tag's class, id or itemprop value? A literal scan per word
    and a look back to the tag's start: no pattern runs over the whole page (a 63 KB page stays ~50 µs)."""
    html = doc.html
    for word in words:
        if word not in doc.lower:
            continue
        for m in re.finditer(re.escape(word), html, re.I):
            before = html[max(0, m.start() - 200) : m.start()]
            start = before.rfind("<")
            if start >= 0 and before.rfind(">") < start and _ATTRIBUTE.search(before[start:]):
                return True
    return False


def _breadcrumbs(doc: Doc) -> list[str]:
    out: list[str] = []
    for d in doc.jsonld if "breadcrumblist" in doc.lower else []:
        for node in d.get("@graph", [d]) if isinstance(d, dict) else d if isinstance(d, list) else []:
            if isinstance(node, dict) and "BreadcrumbList" in types_of(node):
                for item in node.get("itemListElement") or []:
                    if isinstance(item, dict):
                        inner = item.get("item")
                        out.extend(
                            names_of(
                                item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
                            )
                        )
    return out


def page_labels(doc: Doc) -> str | None:
    """The page's category words: JSON-LD breadcrumbs, and the breadcrumb trail and the product's category
    links in the markup (the tree is built only when the markup has them)."""
    found = _breadcrumbs(doc)
    if in_attribute(doc, "breadcrumb", "posted_in", "product_meta") or doc.has(
        'itemprop="category', "itemprop='category", "itemprop=category"
    ):
        found.extend(node_text(el) for el in doc.css(_CRUMBS))
        found.extend(
            el.get("content") or node_text(el) for el in doc.css(_CATEGORY_LINKS) if not doc.noisy(el)
        )
    return joined(*found)


def page_stock(doc: Doc) -> bool | None:
    """In stock as the page shows it: its stock text, else its buy button (enabled or disabled)."""
    if in_attribute(doc, "stock", "availability"):
        for el in doc.css(_STOCK_QUERY):
            if doc.noisy(el):
                continue
            shown = in_stock(node_text(el)) if node_text(el) else None
            shown = (
                shown if shown is not None else in_stock(el.get("href") or el.get("content") or classes(el))
            )
            if shown is not None:
                return shown
    title = main_title(doc) if doc.root is not None else None
    button = buy_control(doc, title) if doc.root is not None else None
    said = f"{classes(button)} {button.get('name') or ''} {node_text(button)}" if button is not None else ""
    if button is None or button.tag in ("a", "form") or _CHOOSE.search(said) or not CART.search(said):
        return None
    if button.get("disabled") is None and "disabled" not in classes(button).split():
        return True
    # disabled until a size or pack is chosen: the product area (title to button) has options to choose
    ancestors = set(button.iterancestors())
    block = next((a for a in title.iterancestors() if a in ancestors), None) if title is not None else None
    return None if doc.css(_OPTIONS, block if block is not None else button.getparent()) else False
