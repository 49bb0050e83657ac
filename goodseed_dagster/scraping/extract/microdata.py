"""schema.org microdata (itemscope Product) -> offers, through extruct's reader on the page's own tree.

extruct finds an item's properties with one XPath per item (`.//*[@itemprop]` minus those under a
nested itemscope), which costs the square of the page when items nest, and it cannot be interrupted.
_Reader keeps extruct's value rules and item building but takes each item's properties from one index
built in a single pass (each itemprop element's nearest itemscope ancestor), and it reads the lxml tree
the page already has instead of parsing the HTML again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extruct.uniform import _umicrodata_microformat
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from lxml.etree import ParserError, XMLSyntaxError

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.dom import Doc, Element
from goodseed_dagster.scraping.extract.schema_org import offers_of, product_nodes
from goodseed_dagster.scraping.models import RawOffer


def _owners(root: Element) -> dict[Element, list[Element]]:
    """itemscope element -> its own itemprop elements in document order (those not inside a nested
    item), each element's nearest itemscope found once: the walks up share what they passed."""
    nearest: dict[Element, Element | None] = {}  # element -> nearest itemscope at or above it
    owned: dict[Element, list[Element]] = {}
    for prop in root.xpath("descendant-or-self::*[@itemprop]"):
        checkpoint()
        node, passed, found = prop.getparent(), [], None
        while node is not None:
            if node in nearest:
                found = nearest[node]
                break
            passed.append(node)
            if node.get("itemscope") is not None:
                found = node
                break
            node = node.getparent()
        nearest.update(dict.fromkeys(passed, found))
        if found is not None:
            owned.setdefault(found, []).append(prop)
    return owned


class _Reader(LxmlMicrodataExtractor):
    """extruct's microdata reader with linear property lookup (see the module docstring)."""

    def extract_items(self, document: Element, base_url: str) -> list[dict[str, Any]]:
        self._owned = _owners(document)
        return list(super().extract_items(document, base_url))

    def _extract_properties(
        self, node: Element, items_seen: set[Any], base_url: str, itemids: dict[Element, int]
    ) -> Iterator[tuple[str, Any]]:
        for prop in self._owned.get(node, ()):
            yield from self._extract_property(prop, items_seen=items_seen, base_url=base_url, itemids=itemids)


def microdata(doc: Doc) -> list[RawOffer]:
    """Offers from the page's schema.org microdata Product items."""
    if "itemscope" not in doc.lower or doc.root is None:
        return []
    try:
        items = _umicrodata_microformat(_Reader().extract_items(doc.root, doc.page.url), "http://schema.org")
    except (ParserError, XMLSyntaxError, ValueError, TypeError, AttributeError, RecursionError):
        return []  # malformed markup, or items nested deeper than Python's recursion allows
    out: list[RawOffer] = []
    for node in product_nodes(items):
        checkpoint()
        out.extend(offers_of(node, doc.page.url, doc.url, doc.currency, "microdata"))
    return out
