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
from goodseed_dagster.scraping.extract import PAGE_BUDGET_S, extract, no_offer_reason
from goodseed_dagster.scraping.models import STATED, Page, Platform, RawOffer

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
    (normalize.values): null where the row can be stored, else why not. `evidence` says what each stated
    value rests on (evidence_of its producer, the offer's adapter when none is named)."""
    offers = list(offers)
    frame = checked_listings(
        {"page_url": page_url, **{f: getattr(o, f) for f in _OFFER_FIELDS}} for page_url, o in offers
    )
    return frame.with_columns(evidence=pl.Series([listing_evidence(o) for _, o in offers], dtype=pl.String))


def listing_evidence(offer: RawOffer) -> str:
    """The offer's {stated field: evidence class} as compact JSON (core.listings.evidence)."""
    kinds = {f: evidence_of(source_of(offer, f)) for f in STATED if getattr(offer, f) is not None}
    return json.dumps(kinds, separators=(",", ":"))


def source_of(offer: RawOffer | StatedOffer, field: str) -> str:
    """Who stated `field`: the page part an adapter named in `extra` (only when it is a name: extra holds what
    a page wrote), else the offer's adapter."""
    for named in (offer.extra.get(f"{field}_source"), offer.adapter):
        if isinstance(named, str) and named:
            return named
    return ""  # nothing names it: the weakest evidence


def stated_offers(offers: Sequence[tuple[str, RawOffer]]) -> list[StatedOffer]:
    """(page url, extracted offer) pairs with pack size, sex and flowering read by normalize's rules."""
    facts = stated_facts(listing_frame(offers), provenance=True).select(*_READ, *(f"{f}_from" for f in _READ))
    out = []
    for (_, o), row in zip(offers, facts.iter_rows(named=True), strict=True):
        sources = {
            f"{f}_source": source_of(o, row[f + "_from"])
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


# How much each producer of a fact can be trusted, weakest last: what the page's data states for machines,
# what the shop platform's own buy form or API charges, what a seller's config supplies, what a reader
# took from the visible page (title, categories, stock text, the visible-price reader).
EVIDENCE = ("platform", "structured", "config", "visible")
_PLATFORM = {"shopify", "woocommerce", "woo_variations", "woo_table", "woo_simple", "magento_grouped",
             "magento_configurable", "shopify_script", "attributes", "pack_table_label"}  # fmt: skip
_STRUCTURED = {"jsonld", "microdata", "opengraph", "script_data", "meta"}
_CONFIG = {"config", "selectors"}  # the seller's configured currency, its hand-written selectors


def evidence_of(source: str) -> str:
    """The evidence class of a fact's producer (an adapter or page part named in `<field>_source`)."""
    if source in _PLATFORM:
        return "platform"
    if source in _STRUCTURED:
        return "structured"
    return "config" if source in _CONFIG else "visible"


_SCORED = ("name", "breeder", "sex", "flowering", "pack_size", "price", "currency", "in_stock")


def _kind_of(field: str) -> pl.Expr:
    """The evidence class of a stated fact's value; for a fact a text rule read, of the column it read."""
    if field not in ("sex", "flowering", "pack_size"):
        return pl.when(pl.col(field).is_not_null()).then(pl.col("evidence").str.json_path_match(f"$.{field}"))
    read_from = pl.col(f"{field}_from")
    columns = ("name", "variant", "labels", "pack_size")
    return pl.coalesce(
        pl.when(read_from == c).then(pl.col("evidence").str.json_path_match(f"$.{c}")) for c in columns
    )


def listings_evidence(listings: pl.DataFrame) -> pl.DataFrame:
    """The evidence scorecard of stored listings (LISTING frame with `evidence`): per fact `goodseed extract`
    states, the share of listings whose value rests on each evidence class (the weakest shows which shops
    rest on visible text)."""
    facts = stated_facts(listings, provenance=True)
    n = max(facts.height, 1)
    kinds = facts.select(_kind_of(f).alias(f) for f in _SCORED)
    rows = [{"field": f, **{k: round((kinds[f] == k).sum() / n, 2) for k in EVIDENCE}} for f in _SCORED]
    return pl.DataFrame(rows, schema={"field": pl.String, **dict.fromkeys(EVIDENCE, pl.Float64)})


def weakest_evidence(card: pl.DataFrame) -> tuple[str | None, dict[str, float]]:
    """The weakest evidence class any fact of the scorecard rests on, and each such fact's share."""
    for kind in reversed(EVIDENCE):
        shares = {r["field"]: r[kind] for r in card.iter_rows(named=True) if r[kind] > 0}
        if shares:
            return kind, shares
    return None, {}


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
    if not offers:
        raise _Unreadable(f"no offer: {no_offer_reason(page)}")
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
