"""Routing inside one shop: path + query -> (status, body, content type, headers)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs

from goodseed_dagster.market import html_shell as shell
from goodseed_dagster.market.core import Market
from goodseed_dagster.market.fx import market_date
from goodseed_dagster.market.model import Product, Variant
from goodseed_dagster.market.render_html import PRODUCT_PAGES as HTML_PAGES
from goodseed_dagster.market.render_json import shopify_products, woo_product, woo_variation
from goodseed_dagster.market.render_platforms import PLATFORM_PAGES
from goodseed_dagster.market.shops import ShopSpec, listing_path

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
_LISTING = {
    "shopify": re.compile(r"^collections/all$"),
    "woo": re.compile(r"^shop/(?:page/(\d+)/)?$"),
    "magento": re.compile(r"^seeds\.html$"),
    "productgroup": re.compile(r"^strains/$"),
    "offerlist": re.compile(r"^catalog$"),
    "plain": re.compile(r"^list\.php$"),
    "wooform": re.compile(r"^shop/$"),
    "grouped": re.compile(r"^cannabis-seeds\.html$"),
}
PRODUCT_PAGES = {**HTML_PAGES, **PLATFORM_PAGES}


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(), JSON, headers or {})


def _int(query: dict[str, list[str]], key: str, default: int) -> int:
    try:
        return int(query.get(key, [str(default)])[0])
    except ValueError:
        return default


def robots(shop: ShopSpec, base: str, prefix: str) -> str:
    """robots.txt with a Crawl-delay and the usual Disallows (paths are host-absolute)."""
    lines = [
        "User-agent: *",
        f"Crawl-delay: {shop.crawl_delay}",
        f"Disallow: {prefix}cart",
        f"Disallow: {prefix}checkout",
        f"Disallow: {prefix}account/",
        f"Disallow: {prefix}search",
    ]
    if shop.layout == "woo":
        lines.append(f"Disallow: {prefix}wp-admin/")
    return "\n".join([*lines, "", f"Sitemap: {base}sitemap.xml", ""])


def sitemap(shop: ShopSpec, base: str, products: list[Product], day: int, name: str) -> str | None:
    """sitemap.xml (Shopify: an index pointing at sitemap_products_1.xml)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    lastmod = market_date(day).isoformat()
    if shop.layout == "shopify" and name == "sitemap.xml":
        return (
            f"{head}<sitemapindex {ns}><sitemap><loc>{base}sitemap_products_1.xml</loc>"
            f"<lastmod>{lastmod}</lastmod></sitemap></sitemapindex>\n"
        )
    if name != "sitemap.xml" and not (shop.layout == "shopify" and name == "sitemap_products_1.xml"):
        return None
    urls = [f"{base}{listing_path(shop, 1)}"] + [f"{base}{p.path}" for p in products]
    body = "".join(f"<url><loc>{escape(u)}</loc><lastmod>{lastmod}</lastmod></url>" for u in urls)
    return f"{head}<urlset {ns}>{body}</urlset>\n"


def _index(products: list[Product]) -> tuple[dict[str, Product], dict[int, tuple[Product, Variant | None]]]:
    by_path: dict[str, Product] = {}
    by_id: dict[int, tuple[Product, Variant | None]] = {}
    for p in products:
        by_path[p.path] = p
        by_id[p.pid] = (p, None)
        for v in p.variants:
            by_id[v.vid] = (p, v)
    return by_path, by_id


def _woo_api(
    shop: ShopSpec,
    base: str,
    products: list[Product],
    rest: str,
    query: dict[str, list[str]],
    by_id: dict[int, tuple[Product, Variant | None]],
) -> Reply:
    if rest:
        found = by_id.get(_int({"id": [rest]}, "id", -1))
        if found is None:
            return _json(
                {
                    "code": "woocommerce_rest_product_invalid_id",
                    "message": "Invalid product ID.",
                    "data": {"status": 404},
                },
                404,
            )
        p, v = found
        return _json(woo_variation(shop, p, v, base) if v else woo_product(shop, p, base))
    per_page = max(1, min(_int(query, "per_page", 10), 100))
    page = max(1, _int(query, "page", 1))
    if query.get("type") == ["variation"]:
        items = [woo_variation(shop, p, v, base) for p in products if len(p.variants) > 1 for v in p.variants]
    else:
        items = [woo_product(shop, p, base) for p in products]
    total = len(items)
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(max(1, math.ceil(total / per_page)))}
    return _json(items[(page - 1) * per_page : page * per_page], headers=headers)


def shop_reply(market: Market, shop: ShopSpec, rest: str, query_string: str, host_base: str) -> Reply:
    """Answer one request to the shop at `host_base`/s/<slug>/`rest`."""
    prefix = f"/s/{shop.slug}/"
    base = f"{host_base}{prefix}"
    query = parse_qs(query_string)
    day = market.day
    products = market.products(shop.slug, day)
    if rest == "robots.txt":
        return Reply(200, robots(shop, base, prefix).encode(), "text/plain; charset=utf-8")
    if rest.endswith(".xml") and rest.startswith("sitemap"):
        xml = sitemap(shop, base, products, day, rest)
        if xml is not None:
            return Reply(200, xml.encode(), XML)
    if shop.layout == "shopify" and rest == "products.json":
        return _json(shopify_products(shop, products, day, _int(query, "limit", 30), _int(query, "page", 1)))
    by_path, by_id = _index(products)
    if shop.layout == "woo" and rest.startswith("wp-json/wc/store/v1/products"):
        return _woo_api(
            shop, base, products, rest.removeprefix("wp-json/wc/store/v1/products").strip("/"), query, by_id
        )
    listing = _LISTING[shop.layout].match(rest)
    if listing:
        page_no = int(listing.group(1)) if listing.groups() and listing.group(1) else 1
        if shop.layout != "woo":
            page_no = max(1, _int(query, "p" if shop.layout in ("magento", "grouped") else "page", 1))
        if (page_no - 1) * shop.page_size >= max(len(products), 1):
            return Reply(404, shell.page(shop, base, "Not found", "<h1>No products</h1>").encode(), HTML)
        return Reply(200, shell.listing_page(shop, base, products, page_no).encode(), HTML)
    path = rest + (f"?{query_string}" if shop.layout == "plain" and query_string else "")
    product = by_path.get(path)
    if product is not None:
        i = products.index(product)
        others = products[i + 1 : i + 5] or products[:4]
        return Reply(200, PRODUCT_PAGES[shop.layout](shop, base, product, others).encode(), HTML)
    if rest in ("", "about", "contact", "blog", "cart", "account/login"):
        body = f"<h1>{shop.name}</h1><p>Quality seeds since 2009.</p>"
        return Reply(200, shell.page(shop, base, rest or "Home", body).encode(), HTML)
    if rest.startswith("assets/"):
        return Reply(200, b"/* static */", "text/css" if rest.endswith(".css") else "text/javascript")
    return Reply(404, shell.page(shop, base, "Not found", "<h1>Page not found</h1>").encode(), HTML)
