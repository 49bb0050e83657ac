"""What each shop sells on a given market day: products, pack variants, prices, stock (the truth).

Everything is a pure function of (shop, catalogue item, day) through seeded hashing, so any day can be
recomputed in any order: prices move on ~10 % of offers a day, packs sell out for a few days and come
back, and a band of products near the end of each shop's range drifts in and out of the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from goodseed_dagster.market.catalog import CatalogueItem, Flowering, Sex, load_catalogue, slugify, unit
from goodseed_dagster.market.shops import (
    PRICE_RATES,
    ShopSpec,
    breeder_as,
    pack_label,
    product_path,
    title_as,
)

CENT = Decimal("0.01")
MOVE_RATE = 0.10  # share of offers whose price moves on a given day
OOS_RATE = 0.08  # share of (offer, 3-day block) that is sold out
SALE_RATE = 0.06  # share of products on sale (static)
CHURN_BAND = 12  # products around the shop's size that appear and disappear


@dataclass(frozen=True, slots=True)
class TruthOffer:
    """One pack offer exactly as the shop lists it on one day; what extraction must reproduce."""

    shop: str
    product_id: str
    product_url: str
    title: str
    breeder: str
    strain_id: str
    sex: Sex
    flowering: Flowering
    pack_size: int
    price: Decimal
    currency: str
    in_stock: bool
    regular_price: Decimal | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.product_url, self.pack_size)


@dataclass(frozen=True, slots=True)
class MarketDiff:
    """What moved between two days (the day_b version of each offer where present)."""

    changed: list[TruthOffer]
    appeared: list[TruthOffer]
    disappeared: list[TruthOffer]


@dataclass(frozen=True, slots=True)
class Variant:
    """One pack option of a product on one day."""

    vid: int
    pack_size: int
    label: str
    price: Decimal
    regular_price: Decimal | None
    in_stock: bool
    sku: str


@dataclass(frozen=True, slots=True)
class Product:
    """A product page (static identity) with its variants for one day."""

    pid: int
    handle: str
    path: str
    title: str
    breeder: str
    item: CatalogueItem
    packs: tuple[int, ...]
    on_sale: bool
    variants: tuple[Variant, ...] = ()


def _base_price(shop: ShopSpec, gbp: Decimal) -> Decimal:
    return (gbp * shop.markup * PRICE_RATES[shop.currency]).quantize(CENT, ROUND_HALF_UP)


def _day_factor(key: str, day: int) -> Decimal:
    """Price multiplier on `day`: re-drawn on the days the offer moves, held in between."""
    for d in range(day, 0, -1):
        if unit(key, "move", d) < MOVE_RATE:
            return Decimal(str(round(0.85 + 0.3 * unit(key, "level", d), 3)))
    return Decimal(1)


def _in_stock(key: str, day: int) -> bool:
    offset = int(unit(key, "phase") * 3)
    return unit(key, "oos", (day + offset) // 3) >= OOS_RATE


def _shop_packs(shop: ShopSpec, item: CatalogueItem) -> tuple[int, ...]:
    sizes = [n for n, _ in item.packs if shop.pack_sizes is None or n in shop.pack_sizes]
    return tuple(sizes or [item.packs[0][0]])


def candidates(shop: ShopSpec, want: int) -> list[Product]:
    """The shop's fixed candidate products (day-independent identity), best-ranked first.

    Items in the shared popular pool (5 %) rank 50x higher, so popular strains are sold by most shops.
    """
    catalogue = load_catalogue()

    def score(item: CatalogueItem) -> float:
        popular = unit("popular", item.strain_id) < 0.05
        return unit(shop.slug, item.strain_id) * (0.02 if popular else 1.0)

    ranked = sorted(catalogue, key=score)
    out: list[Product] = []
    handles: set[str] = set()
    ids: set[int] = set()
    for item in ranked:
        if len(out) >= want:
            break
        packs = _shop_packs(shop, item)
        on_sale = unit(shop.slug, item.strain_id, "sale") < SALE_RATE
        groups: list[tuple[int, ...]] = [(n,) for n in packs] if shop.per_pack else [packs]
        for group in groups:
            title = title_as(shop, item, on_sale=on_sale, pack=group[0])
            handle = slugify(title.removeprefix("SALE - "))
            if handle in handles:
                handle = f"{handle}-{slugify(item.breeder)}"
            pid = 1000 + int(unit(shop.slug, item.strain_id, group, "id") * 9_000_000) * 10
            if handle in handles or pid in ids:
                continue
            handles.add(handle)
            ids.add(pid)
            out.append(
                Product(
                    pid,
                    handle,
                    product_path(shop, handle),
                    title,
                    breeder_as(shop, item.breeder),
                    item,
                    group,
                    on_sale,
                )
            )
    return out


def listed(shop: ShopSpec, products: list[Product], size: int, day: int) -> list[Product]:
    """The products on sale that day, with their variants filled in."""
    out = []
    half = CHURN_BAND // 2
    for rank, product in enumerate(products[: size + half]):
        if rank >= size - half and unit(shop.slug, product.handle, "listed", day) < 0.5:
            continue
        out.append(_with_variants(shop, product, day))
    return out


def _with_variants(shop: ShopSpec, product: Product, day: int) -> Product:
    prices = dict(product.item.packs)
    variants = []
    for i, n in enumerate(product.packs):
        key = f"{shop.slug}|{product.handle}|{n}"
        price = (_base_price(shop, prices[n]) * _day_factor(key, day)).quantize(CENT, ROUND_HALF_UP)
        regular = None
        if product.on_sale:
            regular, price = price, (price * Decimal("0.8")).quantize(CENT, ROUND_HALF_UP)
        sku = f"{shop.slug[:3].upper()}-{product.pid}-{n}"
        variants.append(
            Variant(
                product.pid + i + 1,
                n,
                pack_label(shop, product.item, n),
                price,
                regular,
                _in_stock(key, day),
                sku,
            )
        )
    return Product(
        product.pid,
        product.handle,
        product.path,
        product.title,
        product.breeder,
        product.item,
        product.packs,
        product.on_sale,
        tuple(variants),
    )


def truth_of(shop: ShopSpec, products: list[Product], base_url: str) -> list[TruthOffer]:
    """The listed products flattened into TruthOffers with absolute product URLs."""
    out = []
    for p in products:
        url = f"{base_url}/s/{shop.slug}/{p.path}"
        pid = (
            p.handle
            if shop.layout in ("shopify", "magento", "productgroup", "offerlist", "plain")
            else str(p.pid)
        )
        for v in p.variants:
            out.append(
                TruthOffer(
                    shop.slug,
                    pid,
                    url,
                    p.title,
                    p.breeder,
                    p.item.strain_id,
                    p.item.sex,
                    p.item.flowering,
                    v.pack_size,
                    v.price,
                    shop.currency,
                    v.in_stock,
                    v.regular_price,
                )
            )
    return out
