"""Archived pages → offers, with no network: the same code serves the listings asset and `goodseed reparse`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S, extract
from goodseed_dagster.scraping.models import Page, RawOffer, SourceConfig


@dataclass
class ParseResult:
    offers: list[tuple[str, RawOffer]] = field(default_factory=list)  # (page url, offer)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (page url, reason)
    pages: int = 0
    duplicates: int = 0


def offer_identity(offer: RawOffer) -> tuple[str, str, str]:
    """The same pack of the same product, wherever on the site it was seen: the same product id (or URL)
    and the same variant label and stated pack. Packs whose labels differ but mean the same size reach
    normalize, which quarantines them as duplicate offers rather than guessing which one is right."""
    label = " ".join((offer.variant or "").lower().split())
    return (offer.product_id or offer.url, label, str(offer.pack_size or ""))


def parse_pages(
    pages: Iterable[Page],
    source: SourceConfig,
    on_page: Callable[[int], None] | None = None,
    *,
    budget_s: float | None = PAGE_BUDGET_S,
) -> ParseResult:
    """Extract every page; a page that cannot be parsed (or needs more than `budget_s` CPU seconds) is an
    error row, never a crash of the whole seller. An offer seen on several pages (a listing card and its
    product page) is kept once, first seen wins."""
    result = ParseResult()
    seen: set[tuple[str, str, str]] = set()
    for page in pages:
        result.pages += 1
        try:
            offers = extract(
                page,
                platform=source.platform,
                currency=source.currency,
                selectors=source.selectors,
                budget_s=budget_s,
            )
        except ExtractError as e:
            result.errors.append((page.url, e.reason))
            continue
        for offer in offers:
            key = offer_identity(offer)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            result.offers.append((page.url, offer))
        if on_page is not None:
            on_page(result.pages)
    return result
