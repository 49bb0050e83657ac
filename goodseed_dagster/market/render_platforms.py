"""Product pages in real platforms' markup, with the traps real seed banks carry.

- wooform (WooCommerce variable product): `form.variations_form[data-product_variations]` plus a
  variation-table plugin (one row per pack, quantity input, per-row availability flag, "<title>
  quantity" label). About half the pages say data-product_variations="false" (Woo's AJAX mode for
  large products), so only the table states the packs. Traps: a "frequently bought together" bundle
  table, loyalty points, a crypto price widget, a "save $X" badge, a hidden select listing a pack
  that is not for sale, an empty currency symbol on some pages, a price range in the summary.
- grouped (Magento 2 grouped product): `#super-product-table` child rows with
  `data-price-type="finalPrice"` amounts, `oldPrice` on sale, reward points inside the price box,
  qty inputs only for salable children, a "More Information" attribute table, a related-products
  block with its own price boxes, and a script bundle carrying a sample product schema.
"""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape

from goodseed_dagster.market.catalog import unit
from goodseed_dagster.market.html_shell import SYMBOL, page
from goodseed_dagster.market.model import Product, Variant
from goodseed_dagster.market.shops import ShopSpec

_SAMPLE_SCHEMA = (
    '<script>window.reviewWidget={version:"2.4",schema:\'{"@context":"https://schema.org","@type":"Product",'
    '"name":"Sample Product 5 Seeds","offers":{"@type":"Offer","price":"19.99","priceCurrency":"USD"}}\','
    'product:{name:"Sample Product 5 Seeds",price:"19.99",url:"/sample-product"}};</script>'
)


def _amount(shop: ShopSpec, amount: Decimal, symbol: bool = True) -> str:
    sym = SYMBOL[shop.currency] if symbol else ""
    return (
        f'<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">'
        f"{sym}</span>{amount:.2f}</bdi></span>"
    )


def _price_html(shop: ShopSpec, v: Variant, symbol: bool = True) -> str:
    if v.regular_price is None:
        return _amount(shop, v.price, symbol)
    return f"<del>{_amount(shop, v.regular_price, symbol)}</del> <ins>{_amount(shop, v.price, symbol)}</ins>"


def _slug(label: str) -> str:
    return label.lower().replace(" ", "-")


def _woo_row(shop: ShopSpec, p: Product, v: Variant, symbol: bool) -> str:
    flag = "yes" if v.in_stock else "no"
    disabled = "" if v.in_stock else " disabled"
    return (
        f'<tr class="pvt-tr pvt-tr-{p.pid}-{v.vid}"><td data-title="Pack Size">{escape(v.label)}</td>'
        f'<td data-title="Price">{_price_html(shop, v, symbol)}</td><td data-title="quantity">'
        f'<label class="screen-reader-text" for="q{v.vid}">{escape(p.title)} quantity</label>'
        f'<input type="number" id="q{v.vid}" class="input-text qty text" name="quantity" value="1" min="1">'
        f'<input type="hidden" name="pvt_variation_availability" value="{flag}"></td>'
        f'<td data-title="Action"><button class="pvtfw_variant_table_cart_btn button alt" data-product-id="{p.pid}"'
        f' data-variant="{v.vid}"{disabled}>Add To Cart</button></td></tr>'
    )


def wooform_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """A WooCommerce variable product with a variation-table plugin and the usual widgets around it."""
    url = f"{base}{p.path}"
    ajax = unit(shop.slug, p.handle, "ajax") < 0.5
    symbol = unit(shop.slug, p.handle, "symbol") >= 0.25
    variations = [
        {
            "attributes": {"attribute_pa_pack-size": _slug(v.label)},
            "display_price": float(v.price),
            "display_regular_price": float(v.regular_price or v.price),
            "is_in_stock": v.in_stock,
            "is_purchasable": True,
            "variation_is_active": True,
            "variation_is_visible": True,
            "price_html": _price_html(shop, v),
            "sku": v.sku,
            "variation_id": v.vid,
        }
        for v in p.variants
    ]
    data = "false" if ajax else escape(json.dumps(variations))
    options = "".join(f'<option value="{_slug(v.label)}">{escape(v.label)}</option>' for v in p.variants)
    lo, hi = min(v.price for v in p.variants), max(v.price for v in p.variants)
    saving = max((v.regular_price - v.price for v in p.variants if v.regular_price), default=None)
    badge = (
        f'<span class="onsale save-badge">Save {SYMBOL[shop.currency]}{saving:.2f}</span>' if saving else ""
    )
    rows = "".join(_woo_row(shop, p, v, symbol) for v in p.variants)
    bundle_price = sum((v.price for v in p.variants[:1]), Decimal("0")) + Decimal("24.99")
    bundle = (
        '<section class="fbt frequently-bought-together"><h3>Frequently bought together</h3><table><tr>'
        f"<td>{escape(p.title)} + Grow Kit 5 Seeds</td><td>{_amount(shop, bundle_price)}</td>"
        '<td><input type="number" name="quantity" value="1"><button class="add_to_cart button">Add bundle to cart'
        "</button></td></tr></table></section>"
    )
    body = (
        f'<div class="product type-product post-{p.pid} product-type-variable">{badge}'
        f'<div class="summary entry-summary"><h1 class="product_title entry-title">{escape(p.title)}</h1>'
        f'<p class="price">{_amount(shop, lo)} &ndash; {_amount(shop, hi)}</p>'
        f'<div class="wc-points-rewards-product-message">Earn {int(lo) * 10} Points on this purchase</div>'
        f'<div class="crypto-price-widget">or pay &asymp; {lo / Decimal("91000"):.6f} BTC</div>'
        f"{bundle}"
        f'<form class="variations_form cart" data-product_id="{p.pid}" data-product_variations="{data}">'
        f'<select name="attribute_pa_pack-size" style="display:none">{options}'
        '<option value="100-seeds">100 Seeds</option></select></form>'
        f'<div class="pvtfw_variant_table_block"><table class="variant"><thead><tr><th>Pack Size</th>'
        f"<th>Price</th><th>Quantity</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"
        '<table class="woocommerce-product-attributes shop_attributes"><tr><th>Breeder</th>'
        f"<td>{escape(p.breeder)}</td></tr></table></div></div>"
        '<section class="related products"><h2>Related products</h2><ul>'
        + "".join(
            f'<li class="product"><a href="{base}{o.path}">{escape(o.title)}</a>'
            f'<span class="price">{_amount(shop, min(v.price for v in o.variants))}</span></li>'
            for o in others[:4]
        )
        + "</ul></section>"
    )
    return page(shop, base, p.title, body, canonical=url)


def _child_row(shop: ShopSpec, v: Variant, child: int) -> str:
    sym = SYMBOL[shop.currency]
    old = ""
    if v.regular_price is not None:
        old = (
            f'<span class="old-price"><span class="price-container"><span data-price-amount="{v.regular_price}"'
            f' data-price-type="oldPrice" class="price-wrapper"><span class="price">{sym}{v.regular_price:.2f}'
            "</span></span></span></span>"
        )
    qty = (
        f'<input type="number" name="super_group[{child}]" value="0" title="Qty" class="input-text qty">'
        if v.in_stock
        else '<div class="stock unavailable"><span>Out of stock</span></div>'
    )
    return (
        f'<tr><td data-th="Product Name" class="col item"><strong class="product-item-name">{escape(v.label)}'
        f'</strong><div class="price-box price-final_price" data-role="priceBox" data-product-id="{child}">'
        f'<span class="price-container price-final_price tax rewards_earn"><span id="product-price-{child}" '
        f'data-price-amount="{v.price}" data-price-type="finalPrice" class="price-wrapper"><span class="price">'
        f'{sym}{v.price:.2f}</span></span><span class="rewards__product-earn-points"><span class="price">'
        f"Earn {int(v.price * 10)} Loyalty Points</span></span></span>{old}</div></td>"
        f'<td data-th="Qty" class="col qty">{qty}</td></tr>'
    )


def grouped_page(shop: ShopSpec, base: str, p: Product, others: list[Product]) -> str:
    """A Magento 2 grouped product: one child SKU per pack in #super-product-table."""
    url = f"{base}{p.path}"
    item = p.item
    rows = "".join(_child_row(shop, v, v.vid) for v in p.variants)
    attrs = (
        ("Seedbank", p.breeder),
        ("Sex", "Feminized" if item.sex == "feminized" else "Regular"),
        ("Flowering Type", "Autoflowering" if item.flowering == "autoflower" else "Photoperiod"),
    )
    related = "".join(
        f'<li class="product-item"><a class="product-item-link" href="{base}{o.path}">{escape(o.title)}</a>'
        f'<div class="price-box" data-product-id="{o.pid}"><span data-price-amount="{o.variants[0].price}" '
        f'data-price-type="finalPrice"><span class="price">{SYMBOL[shop.currency]}{o.variants[0].price:.2f}'
        f'</span></span></div><input type="checkbox" name="related_products[]" value="{o.pid}"></li>'
        for o in others[:4]
    )
    body = (
        f'<div class="product-info-main"><div class="page-title-wrapper product"><h1 class="page-title">'
        f'<span class="base" data-ui-id="page-title-wrapper" itemprop="name">{escape(p.title)}</span></h1></div>'
        '<div class="stock available" title="Availability"><span>In stock</span></div>'
        f'<form id="product_addtocart_form" action="{base}checkout/cart/add/"><input type="hidden" name="product" '
        f'value="{p.pid}"><div class="table-wrapper grouped"><table class="table data grouped" '
        f'id="super-product-table"><thead><tr><th>Product Name</th><th>Qty</th></tr></thead><tbody>{rows}'
        '</tbody></table></div><button type="submit" class="action primary tocart">Add to Cart</button></form>'
        '</div><div class="data item content" id="additional"><table class="data table additional-attributes" '
        'id="product-attribute-specs-table"><tbody>'
        + "".join(
            f'<tr><th class="col label">{k}</th><td class="col data">{escape(v)}</td></tr>' for k, v in attrs
        )
        + f'</tbody></table></div><div class="block related"><ol class="products list">{related}</ol></div>'
        + _SAMPLE_SCHEMA
    )
    return page(shop, base, p.title, body, canonical=url)


PLATFORM_PAGES = {"wooform": wooform_page, "grouped": grouped_page}
