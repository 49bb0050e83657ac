"""The HTML every shop page shares: prices as the shop prints them, the page shell, listing pages."""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape
from typing import Any

from goodseed_dagster.market.model import Product
from goodseed_dagster.market.shops import ShopSpec, listing_path

SYMBOL = {"GBP": "£", "EUR": "€", "USD": "$"}
NAV = ("about", "contact", "cart", "account/login", "blog")


def money(shop: ShopSpec, amount: Decimal) -> str:
    """A price as the shop prints it (EUR with a decimal comma after the number)."""
    if shop.currency == "EUR":
        return f"{amount:.2f}".replace(".", ",") + " €"
    return f"{SYMBOL[shop.currency]}{amount:.2f}"


def page(
    shop: ShopSpec, base: str, title: str, body: str, *, canonical: str | None = None, head: str = ""
) -> str:
    """The page shell: head, header nav, footer, newsletter form; the noise around the content."""
    canon = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    nav = "".join(f'<li><a href="{base}{n}">{n.split("/")[0].title()}</a></li>' for n in NAV)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | '
        f'{escape(shop.name)}</title><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{canon}<link rel="stylesheet" href="{base}assets/site.css">{head}</head>\n'
        f'<body class="{shop.layout}">'
        f'<header class="site-header"><a class="logo" href="{base}">{escape(shop.name)}</a><nav><ul>{nav}'
        f'</ul></nav><form class="search" action="{base}search"><input name="q"></form></header>\n'
        f'<main id="content">{body}</main>\n<footer class="site-footer"><p>Free shipping over '
        f"{SYMBOL[shop.currency]}50 &middot; Seeds sold as souvenirs</p><ul><li>"
        f'<a href="{base}about">About us</a></li><li><a href="https://twitter.com/{shop.slug}">Twitter</a></li></ul>'
        f"<p>&copy; 2025 {escape(shop.name)}</p></footer>"
        f'<script src="{base}assets/app.js"></script></body></html>\n'
    )


def related(base: str, others: list[Product]) -> str:
    items = "".join(f'<li><a href="{base}{o.path}">{escape(o.title)}</a></li>' for o in others[:4])
    return f'<section class="related"><h2>You may also like</h2><ul>{items}</ul></section>'


def ld_script(data: Any) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def listing_page(shop: ShopSpec, base: str, products: list[Product], page_no: int) -> str:
    """A paginated category page: product cards (price "from"), a rel=next link while more remain."""
    size = shop.page_size
    chunk = products[(page_no - 1) * size : page_no * size]
    cards = "".join(
        f'<li class="product-card"><a class="card-link" href="{base}{p.path}">{escape(p.title)}</a>'
        f'<span class="from">from {money(shop, min(v.price for v in p.variants))}</span></li>'
        for p in chunk
    )
    nav = ""
    if page_no > 1:
        nav += f'<a rel="prev" href="{base}{listing_path(shop, page_no - 1)}">Previous</a>'
    if page_no * size < len(products):
        nav += f'<a rel="next" class="next" href="{base}{listing_path(shop, page_no + 1)}">Next</a>'
    body = (
        f'<h1>All seeds</h1><p class="count">{len(products)} products</p><ul class="product-grid">{cards}'
        f'</ul><nav class="pagination">{nav}</nav>'
    )
    return page(shop, base, f"All seeds - page {page_no}", body)
