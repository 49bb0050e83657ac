"""Extraction composed with the text rules: listing frames, stated offers, and `goodseed extract`.

scraping/ extracts what each page states (names, variant labels, labels, prices); normalize/'s text rules
read pack size, sex and flowering from those words, the same rules the offers stage applies. This module
joins the two (the cores never import each other). `goodseed extract` prints JSON Lines, one object per
offer: the output contract other tools depend on. With --explain every fact names its producer: the
adapter or page part that stated it, or for a fact a text rule read, the producer of that text. A file
that cannot be read or parsed (missing, over --max-bytes, binary, past the CPU budget) is one stderr line
and exit status 1; the other files are still processed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import polars as pl

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.normalize.facts import stated_facts
from goodseed_dagster.normalize.values import checked_listings
from goodseed_dagster.schema import FACTS
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S, extract
from goodseed_dagster.scraping.models import Page, Platform, RawOffer

_READ = ("pack_size", "sex", "flowering")  # the facts normalize's text rules read
MAX_BYTES = 20_000_000  # `goodseed extract` refuses larger files (--max-bytes)


@dataclass(frozen=True, slots=True)
class StatedOffer:
    """One offer as `goodseed extract` prints it: the FACTS columns in order (a test holds them together),
    then what --explain adds."""

    url: str
    name: str | None
    breeder: str | None
    sex: str | None
    flowering: str | None
    pack_size: int | None
    price: Decimal | None
    currency: str | None
    in_stock: bool | None
    regular_price: Decimal | None
    adapter: str
    product_id: str | None
    variant: str | None
    extra: dict[str, str]  # `<field>_source` for every stated field, and the shop's ids


_OFFER_FIELDS = tuple(f.name for f in fields(RawOffer))


def listing_frame(offers: Iterable[tuple[str, RawOffer]]) -> pl.DataFrame:
    """(page url, extracted offer) pairs as a LISTING frame plus `reason`, each value checked where it enters
    (normalize.values): null where the row can be stored, else why not."""
    return checked_listings(
        {"page_url": page_url, **{f: getattr(o, f) for f in _OFFER_FIELDS}} for page_url, o in offers
    )


def stated_offers(offers: Sequence[tuple[str, RawOffer]]) -> list[StatedOffer]:
    """(page url, extracted offer) pairs with pack size, sex and flowering read by normalize's rules."""
    facts = stated_facts(listing_frame(offers), provenance=True).select(*_READ, *(f"{f}_from" for f in _READ))
    out = []
    for (_, o), row in zip(offers, facts.iter_rows(named=True), strict=True):
        sources = {
            f"{f}_source": o.extra.get(f"{row[f + '_from']}_source") or o.adapter
            for f in _READ
            if row[f + "_from"]
        }
        out.append(
            StatedOffer(
                url=o.url,
                name=o.name,
                breeder=o.breeder,
                sex=row["sex"],
                flowering=row["flowering"],
                pack_size=row["pack_size"],
                price=o.price,  # the printed precision ("36.40"), not the frame's numeric(14, 4)
                currency=o.currency,
                in_stock=o.in_stock,
                regular_price=o.regular_price,
                adapter=o.adapter,
                product_id=o.product_id,
                variant=o.variant,
                extra={**o.extra, **sources},
            )
        )
    return out


def read_page(
    page: Page,
    *,
    platform: Platform = "auto",
    currency: str | None = None,
    selectors: dict[str, str] | None = None,
    budget_s: float | None = PAGE_BUDGET_S,
) -> list[StatedOffer]:
    """Every offer a page states, its facts read by the text rules (ExtractError when it cannot be parsed)."""
    offers = extract(page, platform=platform, currency=currency, selectors=selectors, budget_s=budget_s)
    return stated_offers([(page.url, o) for o in offers])


def offer_line(source: str, offer: StatedOffer, explain: bool) -> str:
    record: dict[str, object] = {"source": source}
    for key in FACTS.names:
        value = getattr(offer, key)
        record[key] = str(value) if isinstance(value, Decimal) else value
    if explain:
        record["adapter"] = offer.adapter
        record["regular_price"] = str(offer.regular_price) if offer.regular_price is not None else None
        record["product_id"] = offer.product_id
        record["variant"] = offer.variant
        for key, value in offer.extra.items():  # per-field provenance (price_source, ...) and ids
            record.setdefault(key, value)
    return json.dumps(record, ensure_ascii=False)


def _content_type(path: Path, body: bytes) -> str:
    head = body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return "application/json" if path.suffix == ".json" or head in (b"{", b"[") else "text/html"


@dataclass(frozen=True, slots=True)
class _Options:
    """What `goodseed extract` was asked for, the same for every file."""

    url: str | None
    currency: str | None
    explain: bool
    max_bytes: int
    budget_s: float | None


class _Unreadable(Exception):
    """A file `goodseed extract` cannot read, with the one line that says why."""


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n % 1_000_000 else f"{n // 1_000_000} MB"


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, reading at most one byte past the limit (a pipe or a device has no size)."""
    try:
        with path.open("rb") as f:
            body = f.read(max_bytes + 1)
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise _Unreadable(f"cannot read: {e.strerror or e}") from e
    if len(body) > max_bytes:
        limit = f"over the {_mb(max_bytes)} limit (--max-bytes)"
        raise _Unreadable(f"{_mb(size)} is {limit}" if size > max_bytes else limit)
    return body


def _lines(source: str, page: Page, opts: _Options) -> list[str]:
    try:
        offers = read_page(page, currency=opts.currency, budget_s=opts.budget_s)
    except ExtractError as e:
        raise _Unreadable(f"cannot parse: {e.reason}") from e
    return [offer_line(source, offer, opts.explain) for offer in offers]


def run_extract(paths: Sequence[str], *, url: str | None = None, currency: str | None = None, explain: bool = False,
                max_bytes: int = MAX_BYTES, budget_s: float | None = PAGE_BUDGET_S,
                out: TextIO | None = None, err: TextIO | None = None) -> int:  # fmt: skip
    """Exit status 1 when any file could not be read or parsed (one stderr line each); the other files are
    still processed. A file's offers are written together, once all of them are formatted."""
    out, err = out or sys.stdout, err or sys.stderr
    opts = _Options(url, currency, explain, max_bytes, budget_s)
    status = 0
    for source in paths:
        path = Path(source)
        try:
            body = _read(path, opts.max_bytes)
            page = Page(
                url=opts.url or path.resolve().as_uri(), body=body, content_type=_content_type(path, body)
            )
            lines = _lines(source, page, opts)
        except _Unreadable as e:
            print(f"goodseed extract: {source}: {e}", file=err)
            status = 1
            continue
        if lines:
            out.write("\n".join(lines) + "\n")
    return status
