"""Fault injection knobs: 5xx, 429 with Retry-After, slow, truncated and malformed responses, and a shop
redesign that silently stops showing a share of its products (what the listing_count_stable gate catches).

Decisions are a pure function of (seed, shop, request number), so a test run is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from goodseed_dagster.market.catalog import unit

FaultKind = Literal["error", "throttle", "slow", "truncate", "malformed"]


class FaultRates(BaseModel):
    """Probabilities per request (checked in this order; they add up)."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    slow_seconds: float = Field(default=2.0, ge=0, le=60)
    truncate_rate: float = Field(default=0.0, ge=0, le=1)
    malformed_rate: float = Field(default=0.0, ge=0, le=1)
    after_requests: int = Field(default=0, ge=0)  # healthy for this many requests first (dies mid-crawl)
    hide_share: float = Field(default=0.0, ge=0, lt=1)  # a broken template: this share of products vanishes


class Faults(FaultRates):
    """Market-wide fault rates plus per-shop overrides (e.g. {"seedvault": {"error_rate": 1}})."""

    seed: int = 0
    per_shop: dict[str, FaultRates] = Field(default_factory=dict)
    exempt_paths: list[str] = Field(default_factory=list)  # path endings never faulted, e.g. "robots.txt"

    def rates_for(self, shop: str) -> FaultRates:
        return self.per_shop.get(shop, self)


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    seconds: float = 0.0


def decide(faults: Faults, shop: str, counter: int) -> Fault | None:
    """The fault (if any) for this shop's `counter`-th request."""
    r = faults.rates_for(shop)
    if counter < r.after_requests:
        return None
    u = unit("fault", faults.seed, shop, counter)
    edge = 0.0
    for kind, rate in (
        ("error", r.error_rate),
        ("throttle", r.throttle_rate),
        ("slow", r.slow_rate),
        ("truncate", r.truncate_rate),
        ("malformed", r.malformed_rate),
    ):
        edge += rate
        if u < edge:
            return Fault(kind, r.slow_seconds if kind == "slow" else 0.0)  # type: ignore[arg-type]
    return None


def shown(faults: Faults, shop: str, handles: Sequence[str]) -> list[bool]:
    """Which of the shop's products its pages still show: `hide_share` of them (rounded) vanish, chosen by a
    seeded hash of the handle, so the same products vanish on every request and day (a broken template)."""
    share = faults.rates_for(shop).hide_share
    hidden = set(
        sorted(handles, key=lambda h: unit("hide", faults.seed, shop, h))[: round(share * len(handles))]
    )
    return [h not in hidden for h in handles]


def truncate(body: bytes) -> bytes:
    """The body cut short, as a dropped connection leaves it."""
    return body[: max(1, len(body) // 3)]


def malform(body: bytes, counter: int) -> bytes:
    """Broken markup/JSON: unbalanced tags, a stray quote, a chunk dropped from the middle."""
    n = len(body)
    a, b = n // 3, n // 3 + max(1, n // 10)
    broken = body[:a] + b'<div class="x\' <<"{' + body[b:]
    return broken.replace(b"</", b"<", 3 + counter % 5)
