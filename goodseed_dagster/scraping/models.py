"""The data that flows through scraping: seller source configs, fetched pages, extracted offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from goodseed_dagster.scraping.netguard import Origin, parse_origin, seller_origins

Platform = Literal["auto", "shopify", "woocommerce", "jsonld", "microdata", "selectors"]


class SourceConfig(BaseModel):
    """One seller as configured in sources.yaml (and mirrored in core.sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str = Field(min_length=1)
    base_url: str
    platform: Platform = "auto"
    entry_points: list[str] = Field(default_factory=lambda: [""], min_length=1)
    max_pages: int = Field(default=5000, ge=1)
    requests_per_minute: float = Field(default=60.0, gt=0)
    concurrency: int = Field(default=2, ge=1, le=64)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    selectors: dict[str, str] | None = None
    allowed_hosts: list[str] = Field(default_factory=list)  # "host", "host:port" or "scheme://host[:port]"
    robots_url: str | None = None  # relative to base_url; default: /robots.txt at the host root
    local: bool = False
    enabled: bool = True

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator("allowed_hosts")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        for entry in v:
            parse_origin(entry)  # ValueError names the entry
        return v

    def url(self, ref: str) -> str:
        """An entry point or link resolved against the seller's base URL."""
        return urljoin(self.base_url, ref)

    @property
    def origins(self) -> frozenset[Origin]:
        """Where this seller's crawl may go (netguard.seller_origins: no other port, no downgrade)."""
        return seller_origins(self.base_url, self.allowed_hosts)


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched response body, as handed to the extractors."""

    url: str
    body: bytes
    content_type: str | None = None
    status: int = 200
    headers: Mapping[str, str] | None = None  # response headers where an adapter needs them (X-WP-TotalPages)


@dataclass(slots=True)
class RawOffer:
    """One pack variant of one product in the page's own words and numbers: a row of schema.LISTING
    (without page_url; tests/test_schema.py holds the two together). Nothing is inferred from words here:
    normalize's text rules read pack size, sex and flowering from name, variant and labels."""

    url: str
    name: str | None = None
    breeder: str | None = None
    variant: str | None = None
    labels: str | None = None
    pack_size: int | None = None  # only when stated as a number (schema.org eligibleQuantity)
    price: Decimal | None = None
    currency: str | None = None
    in_stock: bool | None = None
    product_id: str | None = None
    regular_price: Decimal | None = None
    adapter: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # per-field sources (`<field>_source`) and shop ids


STATED = tuple(f.name for f in fields(RawOffer) if f.name not in ("url", "product_id", "adapter", "extra"))
"""The fields whose producer extraction records (schema.LISTING.stated)."""


@dataclass(slots=True)
class PageRecord:
    """The manifest row of one fetch (core.pages); the body lives in the archive under sha256."""

    url: str
    status: int | None
    fetched_at: datetime
    elapsed_ms: float
    bytes: int = 0
    sha256: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    robots_blocked: bool = False
    error: str | None = None
