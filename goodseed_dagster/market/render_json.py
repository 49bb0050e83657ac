"""JSON endpoints in the real platforms' shapes: Shopify products.json and the WooCommerce Store API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodseed_dagster.market.model import Product, Variant
from goodseed_dagster.market.shops import ShopSpec


def _iso(day: int) -> str:
    return f"2025-{11 + (day // 28) % 2:02d}-{1 + day % 28:02d}T09:00:00+00:00"


def shopify_product(shop: ShopSpec, p: Product, day: int) -> dict[str, Any]:
    """One product as /products.json lists it (prices are strings, no currency anywhere)."""
    auto = p.item.flowering == "autoflower"
    tags = ["Feminised" if p.item.sex == "feminized" else "Regular", "Autoflower" if auto else "Photoperiod"]
    if p.on_sale:
        tags.append("Sale")
    variants = []
    for i, v in enumerate(p.variants, start=1):
        variants.append(
            {
                "id": v.vid * 1000 + 7,
                "title": v.label,
                "option1": v.label,
                "option2": None,
                "option3": None,
                "sku": v.sku,
                "requires_shipping": True,
                "taxable": True,
                "featured_image": None,
                "available": v.in_stock,
                "price": str(v.price),
                "grams": 5,
                "compare_at_price": str(v.regular_price) if v.regular_price is not None else None,
                "position": i,
                "product_id": p.pid * 1000 + 3,
                "created_at": _iso(0),
                "updated_at": _iso(day),
            }
        )
    return {
        "id": p.pid * 1000 + 3,
        "title": p.title,
        "handle": p.handle,
        "body_html": f"<p>{p.item.strain} from {p.breeder}.</p>",
        "published_at": _iso(0),
        "created_at": _iso(0),
        "updated_at": _iso(day),
        "vendor": p.breeder,
        "product_type": "Cannabis Seeds",
        "tags": sorted(tags),
        "variants": variants,
        "images": [],
        "options": [
            {
                "name": "Title" if shop.per_pack else "Pack Size",
                "position": 1,
                "values": [v.label for v in p.variants],
            }
        ],
    }


def shopify_products(
    shop: ShopSpec, products: list[Product], day: int, limit: int, page: int
) -> dict[str, Any]:
    """The products.json page: an empty list past the end, as Shopify does."""
    limit = max(1, min(limit, 250))
    chunk = products[(page - 1) * limit : page * limit] if page >= 1 else []
    return {"products": [shopify_product(shop, p, day) for p in chunk]}


def _minor(amount: Decimal) -> str:
    return str(int((amount * 100).to_integral_value()))


def _woo_prices(
    shop: ShopSpec,
    price: Decimal,
    regular: Decimal | None,
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "price": _minor(price),
        "regular_price": _minor(regular if regular is not None else price),
        "sale_price": _minor(price),
        "price_range": None,
        "currency_code": shop.currency,
        "currency_symbol": {"EUR": "€", "GBP": "£", "USD": "$"}[shop.currency],
        "currency_minor_unit": 2,
        "currency_decimal_separator": ",",
        "currency_thousand_separator": ".",
        "currency_prefix": "",
        "currency_suffix": " €" if shop.currency == "EUR" else "",
    }
    if low is not None and high is not None and low != high:
        out["price_range"] = {"min_amount": _minor(low), "max_amount": _minor(high)}
    return out


def _brand(p: Product) -> list[dict[str, Any]]:
    slug = p.breeder.lower().replace("'", "").replace(".", "").replace(" ", "-")
    return [{"id": 500 + len(slug), "name": p.breeder, "slug": slug, "link": f"brand/{slug}/"}]


def _woo_pack_attribute(p: Product, simple: bool) -> dict[str, Any]:
    terms = [
        {"id": 900 + v.pack_size, "name": v.label, "slug": v.label.lower().replace(" ", "-")}
        for v in p.variants
    ]
    return {
        "id": 3,
        "name": "Pack Size",
        "taxonomy": "pa_pack-size",
        "has_variations": not simple,
        "terms": terms,
    }


def _woo_stock(p: Product) -> dict[str, Any]:
    in_stock = any(v.in_stock for v in p.variants)
    return {
        "is_in_stock": in_stock,
        "is_on_backorder": False,
        "low_stock_remaining": None,
        "stock_availability": {
            "text": "" if in_stock else "Out of stock",
            "class": "in-stock" if in_stock else "out-of-stock",
        },
    }


def woo_product(shop: ShopSpec, p: Product, base: str) -> dict[str, Any]:
    """A parent product in the Store API: variable (variations by id only) or simple (one pack)."""
    vs = p.variants
    simple = len(vs) == 1
    cheapest = min(vs, key=lambda v: v.price)
    return {
        "id": p.pid,
        "name": p.title,
        "slug": p.handle,
        "parent": 0,
        "type": "simple" if simple else "variable",
        "variation": "",
        "permalink": f"{base}{p.path}",
        "sku": vs[0].sku if simple else f"HH-{p.pid}",
        "short_description": "",
        "description": "",
        "on_sale": p.on_sale,
        "prices": _woo_prices(
            shop, cheapest.price, cheapest.regular_price, min(v.price for v in vs), max(v.price for v in vs)
        ),
        "price_html": "",
        "average_rating": "0",
        "review_count": 0,
        "images": [],
        "categories": [
            {"id": 15, "name": "Cannabis Seeds", "slug": "cannabis-seeds", "link": f"{base}shop/"}
        ],
        "tags": [],
        "brands": _brand(p),
        "attributes": [_woo_pack_attribute(p, simple)],
        "variations": []
        if simple
        else [
            {"id": v.vid, "attributes": [{"name": "Pack Size", "value": v.label.lower().replace(" ", "-")}]}
            for v in vs
        ],
        "grouped_products": [],
        "has_options": not simple,
        "is_purchasable": True,
        **_woo_stock(p),
        "sold_individually": False,
        "add_to_cart": {"text": "Select options" if not simple else "Add to cart"},
        "extensions": {},
    }


def woo_variation(shop: ShopSpec, p: Product, v: Variant, base: str) -> dict[str, Any]:
    """A variation as GET /wc/store/v1/products/<variation id> returns it."""
    slug = v.label.lower().replace(" ", "-")
    return {
        "id": v.vid,
        "name": p.title,
        "slug": f"{p.handle}-{slug}",
        "parent": p.pid,
        "type": "variation",
        "variation": f"Pack Size: {v.label}",
        "permalink": f"{base}{p.path}?attribute_pa_pack-size={slug}",
        "sku": v.sku,
        "short_description": "",
        "description": "",
        "on_sale": v.regular_price is not None,
        "prices": _woo_prices(shop, v.price, v.regular_price),
        "price_html": "",
        "average_rating": "0",
        "review_count": 0,
        "images": [],
        "categories": [],
        "tags": [],
        "brands": _brand(p),
        "attributes": [],
        "variations": [],
        "grouped_products": [],
        "has_options": False,
        "is_purchasable": True,
        "is_in_stock": v.in_stock,
        "is_on_backorder": False,
        "low_stock_remaining": None,
        "stock_availability": {
            "text": "" if v.in_stock else "Out of stock",
            "class": "in-stock" if v.in_stock else "out-of-stock",
        },
        "sold_individually": False,
        "add_to_cart": {"text": "Add to cart"},
        "extensions": {},
    }
