"""Product pages for the six basic shop layouts (Shopify, WooCommerce, Magento, ProductGroup, offer list, plain).

The shell around them (head, nav, footer, prices as printed) is html_shell.py; the platform variants with
real seed banks' traps are render_platforms.py.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from goodseed_dagster.market.catalog import unit
from goodseed_dagster.market.html_shell import ld_script, money, page, related
from goodseed_dagster.market.model import Product, Variant
from goodseed_dagster.market.shops import ShopSpec


def _availability(v: Variant, *, bare: bool = False) -> str:
    word = "InStock" if v.in_stock else "OutOfStock"
    return word if bare else f"https://schema.org/{word}"


def _strike(v: Variant, currency: str) -> list[dict[str, Any]]:
    if v.regular_price is None:
        return []
    return [
        {
            "@type": "UnitPriceSpecification",
            "priceType": "https://schema.org/StrikethroughPrice",
            "price": str(v.regular_price),
            "priceCurrency": currency,
        }
    ]


def _pack_rows(shop: ShopSpec, p: Product) -> str:
    rows = []
    for v in p.variants:
        was = f" <del>{money(shop, v.regular_price)}</del>" if v.regular_price is not None else ""
        stock = "In stock" if v.in_stock else "Out of stock"
        rows.append(
            f"<tr><td>{escape(v.label)}</td><td>{money(shop, v.price)}{was}</td><td>{stock}</td></tr>"
        )
    return f'<table class="packs">{"".join(rows)}</table>'


def shopify_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """A Shopify theme product page: JSON-LD Product whose offers carry priceCurrency."""
    url = f"{base}{p.path}"
    ld = {
        "@context": "http://schema.org/",
        "@type": "Product",
        "@id": f"{url}#product",
        "name": p.title,
        "url": url,
        "sku": p.variants[0].sku,
        "description": f"{p.item.strain} cannabis seeds.",
        "brand": {"@type": "Brand", "name": p.breeder},
        "offers": [
            {
                "@type": "Offer",
                "@id": f"{url}?variant={v.vid * 1000 + 7}#offer",
                "name": v.label,
                "sku": v.sku,
                "availability": "http://schema.org/" + ("InStock" if v.in_stock else "OutOfStock"),
                "price": str(v.price),
                "priceCurrency": shop.currency,
                "url": f"{url}?variant={v.vid * 1000 + 7}",
                **({"priceSpecification": _strike(v, shop.currency)} if v.regular_price else {}),
            }
            for v in p.variants
        ],
    }
    head = (
        f'<meta property="og:type" content="product"><meta property="og:title" content="{escape(p.title)}">'
    )
    opts = "".join(
        f'<option value="{v.vid * 1000 + 7}">{escape(v.label)} - {money(shop, v.price)}</option>'
        for v in p.variants
    )
    body = (
        f'<div class="product"><h1 class="product__title">{escape(p.title)}</h1><p class="vendor">'
        f'{escape(p.breeder)}</p><form action="{base}cart/add"><select name="id">{opts}</select>'
        f"<button>Add to cart</button></form></div>{related(base, others)}{ld_script(ld)}"
    )
    return page(shop, base, p.title, body, canonical=url, head=head)


def _woo_offers(shop: ShopSpec, p: Product, url: str) -> list[dict[str, Any]]:
    """WooCommerce core's JSON-LD offers: one Offer for a simple product, one AggregateOffer otherwise."""
    if len(p.variants) == 1:
        v = p.variants[0]
        return [
            {
                "@type": "Offer",
                "price": str(v.price),
                "priceCurrency": shop.currency,
                "availability": _availability(v),
                "url": url,
                "sku": v.sku,
            }
        ]
    return [
        {
            "@type": "AggregateOffer",
            "lowPrice": str(min(v.price for v in p.variants)),
            "highPrice": str(max(v.price for v in p.variants)),
            "offerCount": len(p.variants),
            "priceCurrency": shop.currency,
            "url": url,
            "availability": "https://schema.org/InStock",
        }
    ]


def _woo_form(p: Product) -> str:
    variations = [
        {
            "attributes": {"attribute_pa_pack-size": v.label.lower().replace(" ", "-")},
            "display_price": float(v.price),
            "display_regular_price": float(v.regular_price or v.price),
            "is_in_stock": v.in_stock,
            "sku": v.sku,
            "variation_id": v.vid,
        }
        for v in p.variants
    ]
    return (
        f'<form class="variations_form cart" data-product_id="{p.pid}" data-product_variations="'
        f'{escape(json.dumps(variations))}"><select name="attribute_pa_pack-size">'
        + "".join(
            f'<option value="{v.label.lower().replace(" ", "-")}">{escape(v.label)}</option>'
            for v in p.variants
        )
        + "</select></form>"
    )


def woo_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """A WooCommerce product page: core JSON-LD (AggregateOffer for variable) + data-product_variations."""
    url = f"{base}{p.path}"
    lo, hi = min(v.price for v in p.variants), max(v.price for v in p.variants)
    ld = {
        "@context": "https://schema.org/",
        "@graph": [
            {
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Shop", "item": f"{base}shop/"}
                ],
            },
            {
                "@type": "Product",
                "@id": f"{url}#product",
                "name": p.title,
                "url": url,
                "sku": str(p.pid),
                "brand": {"@type": "Brand", "name": p.breeder},
                "offers": _woo_offers(shop, p, url),
            },
        ],
    }
    body = (
        f'<div class="product type-product"><h1 class="product_title entry-title">{escape(p.title)}</h1>'
        f'<p class="price">{money(shop, lo)} &ndash; {money(shop, hi)}</p>{_woo_form(p)}{_pack_rows(shop, p)}'
        f"</div>{related(base, others)}{ld_script(ld)}"
    )
    return page(shop, base, p.title, body, canonical=url)


def magento_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """A Magento grouped product: schema.org microdata, one Offer per pack row."""
    url = f"{base}{p.path}"
    rows = []
    for v in p.variants:
        strike = ""
        if v.regular_price is not None:
            strike = (
                f'<span class="old-price" itemprop="priceSpecification" itemscope '
                f'itemtype="http://schema.org/UnitPriceSpecification"><meta itemprop="priceType" '
                f'content="https://schema.org/StrikethroughPrice"><span class="price">'
                f'{money(shop, v.regular_price)}</span><meta itemprop="price" content="{v.regular_price}">'
                f"</span>"
            )
        stock = "In stock" if v.in_stock else "Out of stock"
        rows.append(
            f'<tr itemprop="offers" itemscope itemtype="http://schema.org/Offer"><td class="col item">'
            f'<strong class="product-item-name" itemprop="name">{escape(v.label)}</strong>'
            f'<meta itemprop="sku" content="{v.sku}"></td><td class="col price"><span class="price-wrapper" '
            f'data-price-amount="{v.price}"><span class="price">{money(shop, v.price)}</span></span>'
            f'<meta itemprop="price" content="{v.price}">'
            f'<meta itemprop="priceCurrency" content="{shop.currency}">'
            f'{strike}</td><td class="col qty"><link itemprop="availability" href="http://schema.org/'
            f'{"InStock" if v.in_stock else "OutOfStock"}"><span class="stock">{stock}</span></td></tr>'
        )
    body = (
        f'<div class="product-info-main" itemscope itemtype="http://schema.org/Product">'
        f'<h1 class="page-title"><span class="base" itemprop="name">{escape(p.title)}</span></h1>'
        f'<meta itemprop="sku" content="{p.handle}"><meta itemprop="url" content="{url}">'
        f'<div itemprop="brand" itemscope itemtype="http://schema.org/Brand">'
        f'<span itemprop="name">{escape(p.breeder)}</span></div>'
        f'<table id="super-product-table" class="data table grouped"><tbody>{"".join(rows)}</tbody></table>'
        f'<div class="rewards">Earn {int(p.variants[0].price)} loyalty points</div></div>'
        f"{related(base, others)}"
    )
    return page(shop, base, p.title, body, canonical=url)


def productgroup_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """JSON-LD ProductGroup inside @graph; each pack a variant Product with its own Offer."""
    url = f"{base}{p.path}"
    variants = [
        {
            "@type": "Product",
            "@id": f"{url}#v{v.vid}",
            "sku": v.sku,
            "name": f"{p.title} - {v.label}",
            "size": v.label,
            "url": f"{url}?pack={v.pack_size}",
            "offers": {
                "@type": "Offer",
                "price": str(v.price),
                "priceCurrency": shop.currency,
                "availability": _availability(v),
                "url": f"{url}?pack={v.pack_size}",
                **({"priceSpecification": _strike(v, shop.currency)} if v.regular_price else {}),
            },
        }
        for v in p.variants
    ]
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "@id": f"{base}#org", "name": shop.name, "url": base},
            {"@type": "WebPage", "@id": url, "url": url, "name": p.title},
            {
                "@type": "ProductGroup",
                "@id": f"{url}#group",
                "name": p.title,
                "url": url,
                "productGroupID": p.handle,
                "brand": {"@type": "Brand", "name": p.breeder},
                "variesBy": ["https://schema.org/size"],
                "hasVariant": variants,
            },
        ],
    }
    body = (
        f'<article class="strain"><h1>{escape(p.title)}</h1><p class="brand">{escape(p.breeder)}</p>'
        f"{_pack_rows(shop, p)}</article>{related(base, others)}{ld_script(ld)}"
    )
    return page(shop, base, p.title, body, canonical=url)


def offerlist_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """JSON-LD Product with an Offer list: eligibleQuantity, priceSpecification, bare/URL availability."""
    url = f"{base}{p.path}"
    bare = unit(shop.slug, p.handle, "bare") < 0.5
    spec_only = unit(shop.slug, p.handle, "spec") < 0.3
    offers: list[dict[str, Any]] = []
    for i, v in enumerate(p.variants):
        o: dict[str, Any] = {
            "@type": "Offer",
            "sku": v.sku,
            "availability": _availability(v, bare=bare),
            "eligibleQuantity": {"@type": "QuantitativeValue", "value": v.pack_size, "unitText": "seeds"},
        }
        if i % 2 == 0:
            o["name"] = v.label
        specs = [{"@type": "UnitPriceSpecification", "price": str(v.price), "priceCurrency": shop.currency}]
        if spec_only:
            o["priceSpecification"] = specs + _strike(v, shop.currency)
        else:
            o.update(price=str(v.price), priceCurrency=shop.currency)
            if v.regular_price is not None:
                o["priceSpecification"] = _strike(v, shop.currency)
        offers.append(o)
    brand: Any = (
        {"@type": "Brand", "name": p.breeder} if unit(shop.slug, p.handle, "brand") < 0.5 else p.breeder
    )
    ld: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Product",
        "name": p.title,
        "sku": p.handle,
        "url": url,
        "brand": brand,
        "offers": offers,
    }
    if len(offers) > 3:
        ld["offers"] = {
            "@type": "AggregateOffer",
            "priceCurrency": shop.currency,
            "offerCount": len(offers),
            "lowPrice": str(min(v.price for v in p.variants)),
            "highPrice": str(max(v.price for v in p.variants)),
            "offers": offers,
        }
    body = (
        f'<div class="pdp"><h1>{escape(p.title)}</h1><span class="brand">{escape(p.breeder)}</span>'
        f"{_pack_rows(shop, p)}</div>{related(base, others)}{ld_script(ld)}"
    )
    return page(shop, base, p.title, body, canonical=url)


def plain_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """No structured data at all: the selectors in shops.SELECTORS read it."""
    url = f"{base}{p.path}"
    rows = []
    for v in p.variants:
        was = (
            f'<span class="was">{money(shop, v.regular_price)}</span>' if v.regular_price is not None else ""
        )
        rows.append(
            f'<tr class="pack-row"><td class="pack-label" data-sku="{v.sku}">{escape(v.label)}</td>'
            f'<td class="pack-price"><span class="now">{money(shop, v.price)}</span> {was}</td>'
            f'<td class="pack-stock">{"In stock" if v.in_stock else "Sold out"}</td>'
            f"<td><button>Add</button></td></tr>"
        )
    body = (
        f'<div id="product-main"><h1 class="product-title">{escape(p.title)}</h1>'
        f'<p>Bred by <a class="breeder-name" href="{base}list.php?breeder={p.pid}">'
        f"{escape(p.breeder)}</a></p>"
        f'<table class="pack-table"><thead><tr><th>Pack</th><th>Price</th><th>Stock</th><th></th></tr>'
        f'</thead><tbody>{"".join(rows)}</tbody></table><p class="points">Collect '
        f"{int(p.variants[0].price) * 10} points</p></div>"
        f'<aside class="related"><h3>Related</h3><ul>'
        + "".join(f'<li><a href="{base}{o.path}">{escape(o.title)}</a></li>' for o in others[:4])
        + "</ul></aside>"
    )
    return page(shop, base, p.title, body, canonical=url)


PRODUCT_PAGES = {
    "shopify": shopify_page,
    "woo": woo_page,
    "magento": magento_page,
    "productgroup": productgroup_page,
    "offerlist": offerlist_page,
    "plain": plain_page,
}
