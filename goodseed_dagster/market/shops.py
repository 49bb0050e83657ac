"""The simulated shops and how each one names things (the normalizer has to undo all of this).

Each shop (slug: platform, currency) and how it writes titles, breeders and packs:

- greenleaf (Shopify products.json, GBP): "Gelato Feminised Seeds", "Big Bud Auto Feminised Seeds",
  "Skunk Regular Seeds"; on-sale items get a "SALE - " prefix; vendor = breeder verbatim
  ("Blackskull Seeds", "Barneys Farm Seeds"); variant option1 "5 Feminised Seeds",
  "1 Single Regular Seed"; tags carry "Feminised"/"Regular" and "Autoflower"/"Photoperiod".
- budbox (Shopify, one product per pack, USD): "Gelato Fem 5 Seeds", "Big Bud Auto Fem 10 Seeds",
  "Skunk Reg 1 Seed"; one variant "Default Title"; vendor = breeder without " Seeds"
  ("Blackskull", "Barneys Farm").
- hazehouse (WooCommerce Store API, EUR): "Blackskull Gelato Feminized",
  "Barney's Farm Big Bud Auto Feminized", "... Regular"; brand = alias without " Seeds"
  ("Blackskull", "Barney's Farm", "Fast Buds"); variation attribute "Pack Size" = "5 Seeds" /
  "1 Seed"; single-pack items are "simple" products.
- seedvault (Magento-like microdata, EUR): "GELATO (FEM) - BLACKSKULL SEEDS",
  "BIG BUD AUTO (FEM) - BARNEYS FARM SEEDS", "(REG)"; brand = breeder upper-cased; offers
  "Pack of 5", "Single Seed".
- cloudnine (JSON-LD ProductGroup in @graph, USD): "Gelato Feminized Cannabis Seeds",
  "Big Bud Autoflower Feminized Cannabis Seeds", "Skunk Regular Cannabis Seeds"; brand = alias with
  "Seeds" kept ("Barney's Farm Seeds", "BlackSkull Seeds", "Fast Buds"); variants
  "<title> - 5 seeds" with size "5 seeds".
- packhaus (JSON-LD Product + Offer list, EUR): "Gelato Fem", "Big Bud Auto Fem", "Skunk Reg";
  brand = breeder without " Seeds", a Brand object on some pages and a bare string on others;
  offers "5 Seeds" with eligibleQuantity 5 (every other offer has no name, only eligibleQuantity;
  some pages put the price only in priceSpecification; >3 offers are wrapped in an AggregateOffer);
  availability a full URL on some pages, bare "InStock" on others.
- plainseeds (plain HTML, selectors, GBP): h1 "Gelato", "Big Bud Autoflowering"; on-sale items
  "SALE - Gelato"; breeder = alias without " Seeds" ("Barney's Farm", "Blackskull"); pack rows
  "5 Fem Seeds", "1 Reg Seed"; prices "£18.72" with a struck "was" price when on sale.
- maplebuds (WooCommerce variation form + variation-table plugin, platform auto, USD, "$" only or an
  empty symbol): "Gelato Strain Feminized Marijuana Seeds", "Big Bud Autoflower Feminized Marijuana
  Seeds", "Skunk Strain Regular Marijuana Seeds"; breeder = alias with "Seeds" kept, only in the
  attribute table ("Breeder"); packs "5 Seeds" / "1 Seed".
- northvault (Magento 2 grouped product, platform auto, GBP): "Gelato Feminized Seeds",
  "Big Bud Autoflowering Feminized Seeds", "Skunk Regular Seeds"; breeder verbatim in the attribute
  table ("Seedbank"); one child per pack "GELATO FEM - 5 Seeds", "SKUNK REG - 1 Seed".

Sex is never in budbox/plainseeds/hazehouse breeders; photoperiod is only stated by greenleaf tags.

Breeder alias variants (used by hazehouse, cloudnine, plainseeds) are in `ALIASES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from goodseed_dagster.market.catalog import CatalogueItem

ALIASES: dict[str, str] = {
    "Barneys Farm Seeds": "Barney's Farm Seeds",
    "Blackskull Seeds": "BlackSkull Seeds",
    "FastBuds": "Fast Buds",
    "Green House Seeds": "Green House Seed Co.",
    "DNA Genetics Seeds": "DNA Genetics",
    "Dutch Passion Seeds": "Dutch Passion",
    "Humboldt Seed Company": "Humboldt Seed Co.",
    "TH Seeds": "T.H. Seeds",
    "Seedsman Seeds": "Seedsman",
    "Original Sensible Seeds": "Original Sensible Seed Co.",
    "Dr Krippling Seeds": "Dr. Krippling Seeds",
    "Ace Seed bank": "Ace Seeds",
}

# Static pricing rates (GBP -> shop currency); the FX feed moves around these.
PRICE_RATES: dict[str, Decimal] = {"GBP": Decimal("1"), "EUR": Decimal("1.16"), "USD": Decimal("1.27")}


@dataclass(frozen=True, slots=True)
class ShopSpec:
    """One simulated seed bank: identity, platform, money and catalogue knobs."""

    slug: str
    name: str
    platform: str  # the SourceConfig platform an operator would configure
    currency: str
    markup: Decimal
    pack_sizes: frozenset[int] | None  # None = every pack the breeder sells
    page_size: int = 24
    crawl_delay: float = 0.05  # seconds; small so the demo stays fast, still honoured by the crawler
    per_pack: bool = False
    layout: str = ""  # which renderer family serves it


SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec("greenleaf", "Green Leaf Seeds", "shopify", "GBP", Decimal("1.00"), None, 50, layout="shopify"),
    ShopSpec(
        "budbox",
        "Bud Box",
        "shopify",
        "USD",
        Decimal("1.05"),
        frozenset({1, 3, 5, 10}),
        50,
        per_pack=True,
        layout="shopify",
    ),
    ShopSpec(
        "hazehouse",
        "Haze House",
        "woocommerce",
        "EUR",
        Decimal("0.95"),
        frozenset({1, 3, 5, 6, 7, 10}),
        20,
        layout="woo",
    ),
    ShopSpec(
        "seedvault",
        "Seed Vault",
        "microdata",
        "EUR",
        Decimal("1.02"),
        frozenset({1, 3, 5, 10, 25}),
        24,
        crawl_delay=0.1,
        layout="magento",
    ),
    ShopSpec(
        "cloudnine", "Cloud Nine Seeds", "jsonld", "USD", Decimal("0.98"), None, 30, layout="productgroup"
    ),
    ShopSpec(
        "packhaus",
        "Packhaus",
        "jsonld",
        "EUR",
        Decimal("1.08"),
        frozenset({1, 3, 5, 10}),
        36,
        layout="offerlist",
    ),
    ShopSpec("plainseeds", "Plain Seeds Co", "selectors", "GBP", Decimal("0.97"), None, 20, layout="plain"),
    ShopSpec(
        "maplebuds",
        "Maple Buds",
        "auto",
        "USD",
        Decimal("1.03"),
        frozenset({1, 3, 5, 10, 25}),
        24,
        layout="wooform",
    ),
    ShopSpec(
        "northvault",
        "North Vault Seeds",
        "auto",
        "GBP",
        Decimal("0.99"),
        frozenset({3, 5, 7, 10}),
        24,
        layout="grouped",
    ),
)

SELECTORS: dict[str, str] = {
    "product_links": "ul.product-grid li.product-card a.card-link::attr(href)",
    "next_page": "nav.pagination a[rel=next]::attr(href)",
    "product": "div#product-main",
    "name": "h1.product-title::text",
    "breeder": "div#product-main a.breeder-name::text",
    "variant_row": "table.pack-table tbody tr.pack-row",
    "pack": "td.pack-label::text",
    "price": "td.pack-price span.now::text",
    "regular_price": "td.pack-price span.was::text",
    "stock": "td.pack-stock::text",
    "sku": "td.pack-label::attr(data-sku)",
    "canonical": "link[rel=canonical]::attr(href)",
}


def short_breeder(breeder: str) -> str:
    """Breeder without a trailing "Seeds" ("Blackskull Seeds" -> "Blackskull")."""
    return re.sub(r"\s+Seeds?$", "", breeder, flags=re.IGNORECASE) or breeder


def alias_breeder(breeder: str) -> str:
    """A shop's own spelling of a breeder, where known."""
    return ALIASES.get(breeder, breeder)


def breeder_as(shop: ShopSpec, breeder: str) -> str:
    """The breeder name as this shop writes it."""
    return {
        "greenleaf": breeder,
        "budbox": short_breeder(breeder),
        "hazehouse": short_breeder(alias_breeder(breeder)),
        "seedvault": breeder.upper(),
        "cloudnine": alias_breeder(breeder),
        "packhaus": short_breeder(breeder),
        "plainseeds": short_breeder(alias_breeder(breeder)),
        "maplebuds": alias_breeder(breeder),
        "northvault": breeder,
    }[shop.slug]


def title_as(shop: ShopSpec, item: CatalogueItem, *, on_sale: bool, pack: int | None = None) -> str:
    """The product title as this shop writes it."""
    auto = item.flowering == "autoflower"
    fem = item.sex == "feminized"
    s = item.strain
    if shop.slug == "greenleaf":
        title = f"{s}{' Auto' if auto else ''} {'Feminised' if fem else 'Regular'} Seeds"
        return f"SALE - {title}" if on_sale else title
    if shop.slug == "budbox":
        seeds = "1 Seed" if pack == 1 else f"{pack} Seeds"
        return f"{s}{' Auto' if auto else ''} {'Fem' if fem else 'Reg'} {seeds}"
    if shop.slug == "hazehouse":
        sex = "Feminized" if fem else "Regular"
        return f"{breeder_as(shop, item.breeder)} {s}{' Auto' if auto else ''} {sex}"
    if shop.slug == "seedvault":
        return f"{s.upper()}{' AUTO' if auto else ''} ({'FEM' if fem else 'REG'}) - {item.breeder.upper()}"
    if shop.slug == "cloudnine":
        return f"{s}{' Autoflower' if auto else ''} {'Feminized' if fem else 'Regular'} Cannabis Seeds"
    if shop.slug == "packhaus":
        return f"{s}{' Auto' if auto else ''} {'Fem' if fem else 'Reg'}"
    if shop.slug == "maplebuds":
        kind = " Autoflower" if auto else " Strain"
        return f"{s}{kind} {'Feminized' if fem else 'Regular'} Marijuana Seeds"
    if shop.slug == "northvault":
        return f"{s}{' Autoflowering' if auto else ''} {'Feminized' if fem else 'Regular'} Seeds"
    title = f"{s}{' Autoflowering' if auto else ''}"
    return f"SALE - {title}" if on_sale else title


def pack_label(shop: ShopSpec, item: CatalogueItem, n: int) -> str:
    """A pack option as this shop labels it."""
    fem = item.sex == "feminized"
    if shop.slug == "greenleaf":
        word = "Feminised" if fem else "Regular"
        return f"1 Single {word} Seed" if n == 1 else f"{n} {word} Seeds"
    if shop.slug == "budbox":
        return "Default Title"
    if shop.slug in ("hazehouse", "packhaus"):
        return "1 Seed" if n == 1 else f"{n} Seeds"
    if shop.slug == "seedvault":
        return "Single Seed" if n == 1 else f"Pack of {n}"
    if shop.slug == "cloudnine":
        return "1 seed" if n == 1 else f"{n} seeds"
    if shop.slug == "maplebuds":
        return "1 Seed" if n == 1 else f"{n} Seeds"
    if shop.slug == "northvault":
        auto = " AUTO" if item.flowering == "autoflower" else ""
        return (
            f"{item.strain.upper()}{auto} {'FEM' if fem else 'REG'} - {'1 Seed' if n == 1 else f'{n} Seeds'}"
        )
    return f"1 {'Fem' if fem else 'Reg'} Seed" if n == 1 else f"{n} {'Fem' if fem else 'Reg'} Seeds"


def product_path(shop: ShopSpec, handle: str) -> str:
    """The product page's path relative to the shop's base URL."""
    return {
        "shopify": f"products/{handle}",
        "woo": f"product/{handle}/",
        "magento": f"{handle}.html",
        "productgroup": f"strains/{handle}/",
        "offerlist": f"seeds/{handle}",
        "plain": f"item.php?id={handle}",
        "wooform": f"{handle}/",
        "grouped": f"{handle}.html",
    }[shop.layout]


def listing_path(shop: ShopSpec, page: int) -> str:
    """An HTML listing page's path relative to the shop's base URL."""
    return {
        "shopify": f"collections/all?page={page}",
        "woo": "shop/" if page == 1 else f"shop/page/{page}/",
        "magento": f"seeds.html?p={page}",
        "productgroup": f"strains/?page={page}",
        "offerlist": f"catalog?page={page}",
        "plain": f"list.php?page={page}",
        "wooform": f"shop/?page={page}",
        "grouped": f"cannabis-seeds.html?p={page}",
    }[shop.layout]
