"""`goodseed extract`: saved pages → JSON Lines; the output contract other tools depend on."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract import extract
from goodseed_dagster.scraping.models import OFFER_FACTS, Page, RawOffer

CONTRACT_KEYS = ("url", *OFFER_FACTS)


def offer_line(source: str, offer: RawOffer, explain: bool) -> str:
    record: dict[str, object] = {"source": source}
    for key in CONTRACT_KEYS:
        value = getattr(offer, key)
        record[key] = str(value) if key == "price" and value is not None else value
    if explain:
        record["adapter"] = offer.adapter
        record["regular_price"] = str(offer.regular_price) if offer.regular_price is not None else None
        record["product_id"] = offer.product_id
        record["variant"] = offer.variant
        for key, value in offer.extra.items():  # per-field provenance (price_source, ...) and ids
            record.setdefault(key, value)
    return json.dumps(record, ensure_ascii=False)


def _content_type(path: Path, body: bytes) -> str:
    head = body.lstrip()[:1]
    return "application/json" if path.suffix == ".json" or head in (b"{", b"[") else "text/html"


def run_extract(paths: Sequence[str], *, url: str | None = None, currency: str | None = None, explain: bool = False,
                out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:  # fmt: skip
    """Exit status 1 when any file could not be read or parsed; the other files are still processed."""
    status = 0
    for source in paths:
        path = Path(source)
        try:
            body = path.read_bytes()
        except OSError as e:
            print(f"goodseed extract: {source}: cannot read: {e.strerror or e}", file=err)
            status = 1
            continue
        page = Page(url=url or path.resolve().as_uri(), body=body, content_type=_content_type(path, body))
        try:
            offers = extract(page, currency=currency)
        except ExtractError as e:
            print(f"goodseed extract: {source}: cannot parse: {e.reason}", file=err)
            status = 1
            continue
        for offer in offers:
            print(offer_line(source, offer, explain), file=out)
    return status
