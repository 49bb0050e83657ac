"""The Market object: shops, the day clock, truth and diffs, source configs, faults, request log."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from goodseed_dagster.market.faults import Fault, Faults, decide, shown
from goodseed_dagster.market.model import (
    CHURN_BAND,
    MarketDiff,
    Product,
    TruthOffer,
    candidates,
    listed,
    truth_of,
)
from goodseed_dagster.market.script import PriceScript, apply_script
from goodseed_dagster.market.shops import SELECTORS, SHOPS, ShopSpec

ENTRY_POINTS: dict[str, list[str]] = {
    "shopify": ["products.json?limit=250&page=1"],
    "woo": ["wp-json/wc/store/v1/products?per_page=50&page=1"],
    "magento": ["seeds.html?p=1"],
    "productgroup": ["strains/?page=1"],
    "offerlist": ["catalog?page=1"],
    "plain": ["list.php?page=1"],
    "wooform": ["shop/?page=1"],
    "grouped": ["cannabis-seeds.html?p=1"],
}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the market answered (monotonic time, for measuring politeness)."""

    shop: str
    path: str
    t: float
    status: int = 200


class Market:
    """Many seed banks whose catalogue, prices and stock are a pure function of the market day."""

    def __init__(
        self,
        day: int = 0,
        products_per_shop: int = 200,
        faults: Faults | None = None,
        base_url: str = "http://127.0.0.1:8765",
    ) -> None:
        if products_per_shop < CHURN_BAND:
            raise ValueError(f"products_per_shop must be at least {CHURN_BAND}")
        self.day = day
        self.products_per_shop = products_per_shop
        self.faults = faults or Faults()
        self.base_url = base_url.rstrip("/")  # serve() sets the real one
        self._lock = threading.Lock()
        self._candidates: dict[str, list[Product]] = {}
        self._listed: dict[tuple[str, int], list[Product]] = {}
        self._log: list[RequestRecord] = []
        self._counters: dict[str, int] = {}
        # Staged price moves (tests, demos): {(shop, handle, pack_size): {day: multiplier}} (market/script.py)
        self.price_script: PriceScript = {}
        # Staged product names (tests: a hostile title): {(shop, handle): title}, on every day
        self.renames: dict[tuple[str, str], str] = {}

    @property
    def day(self) -> int:
        return self._day

    @day.setter
    def day(self, value: int) -> None:
        if int(value) < 0:
            raise ValueError("day must be >= 0")
        self._day = int(value)

    @property
    def shops(self) -> list[ShopSpec]:
        return list(SHOPS)

    def shop(self, slug: str) -> ShopSpec:
        for s in SHOPS:
            if s.slug == slug:
                return s
        raise KeyError(slug)

    def products(self, slug: str, day: int | None = None) -> list[Product]:
        """The shop's products its pages show (a `hide_share` fault hides some), with that day's variants."""
        out = self._products(slug, day)
        if self.price_script:
            out = apply_script(
                self.price_script, slug, self.day if day is None else day, out, self._products(slug, 0)
            )
        if self.renames:
            out = [replace(p, title=self.renames.get((slug, p.handle), p.title)) for p in out]
        keep = shown(self.faults, slug, [p.handle for p in out])
        return [p for p, k in zip(out, keep, strict=True) if k]

    def _products(self, slug: str, day: int | None = None) -> list[Product]:
        """The shop's listed products (with that day's variants), cached per (shop, day)."""
        day = self.day if day is None else day
        key = (slug, day)
        with self._lock:
            hit = self._listed.get(key)
        if hit is not None:
            return hit
        shop = self.shop(slug)
        with self._lock:
            cands = self._candidates.get(slug)
        if cands is None:
            cands = candidates(shop, self.products_per_shop + CHURN_BAND // 2)
        out = listed(shop, cands, self.products_per_shop, day)
        with self._lock:
            self._candidates[slug] = cands
            if len(self._listed) > 64:
                self._listed.clear()
            self._listed[key] = out
        return out

    def truth(self, slug: str, day: int | None = None) -> list[TruthOffer]:
        """Every offer the shop lists that day (default: the current day)."""
        return truth_of(self.shop(slug), self.products(slug, day), self.base_url)

    def diff(self, day_a: int, day_b: int) -> MarketDiff:
        """Offers changed (price or stock), appeared and disappeared between two days, all shops."""
        changed: list[TruthOffer] = []
        appeared: list[TruthOffer] = []
        disappeared: list[TruthOffer] = []
        for s in SHOPS:
            a = {(o.product_url, o.pack_size): o for o in self.truth(s.slug, day_a)}
            b = {(o.product_url, o.pack_size): o for o in self.truth(s.slug, day_b)}
            for k, ob in b.items():
                oa = a.get(k)
                if oa is None:
                    appeared.append(ob)
                elif (oa.price, oa.in_stock, oa.regular_price) != (ob.price, ob.in_stock, ob.regular_price):
                    changed.append(ob)
            disappeared.extend(oa for k, oa in a.items() if k not in b)
        return MarketDiff(changed, appeared, disappeared)

    def source_configs(self, base_url: str | None = None) -> list[dict[str, Any]]:
        """One sources.yaml entry per shop (valid for SourceConfig(**entry))."""
        base = (base_url or self.base_url).rstrip("/")
        out = []
        for s in SHOPS:
            entry: dict[str, Any] = {
                "slug": s.slug,
                "name": s.name,
                "base_url": f"{base}/s/{s.slug}/",
                "platform": s.platform,
                "entry_points": list(ENTRY_POINTS[s.layout]),
                "requests_per_minute": 1200.0,
                "concurrency": 4,
                "currency": s.currency,
                "robots_url": "robots.txt",
                "local": True,
            }
            if s.platform == "selectors":
                entry["selectors"] = dict(SELECTORS)
            out.append(entry)
        return out

    # --- request log and faults (used by the server) ---

    def record(self, shop: str, path: str, status: int, at: float | None = None) -> None:
        """Log a request; `at` is when it arrived (monotonic), default now."""
        with self._lock:
            self._log.append(RequestRecord(shop, path, time.monotonic() if at is None else at, status))

    def requests(self, shop: str | None = None) -> list[RequestRecord]:
        """Requests answered so far (all shops, or one), oldest first."""
        with self._lock:
            return [r for r in self._log if shop is None or r.shop == shop]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def next_fault(self, shop: str) -> tuple[Fault | None, int]:
        """The fault for this shop's next request, and the request's sequence number."""
        with self._lock:
            n = self._counters.get(shop, 0)
            self._counters[shop] = n + 1
        return decide(self.faults, shop, n), n
