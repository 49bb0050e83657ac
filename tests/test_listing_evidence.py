"""core.listings records what each stated value rests on, and the listings asset shows it per seller: the
shop's structured data, its hand-written selector config, or words read off the visible page."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pipeline_harness import Pipeline
from sqlalchemy import text

from goodseed_dagster.assets.extract import listings_metadata
from goodseed_dagster.scraping.extract import extract
from goodseed_dagster.scraping.models import Page
from goodseed_dagster.scraping.parse import ParseResult
from goodseed_dagster.stages.extract import store_listings

# A shop page with no structured data at all: the price is read beside the title and the buy button.
VISIBLE = """<html lang="en-GB"><head><title>Gelato Feminised x5 | Seed Stall</title></head><body>
<main><div class="product"><h1 class="name">Gelato Feminised x5</h1>
 <div class="prices"><span class="amount-now">&pound;24.99</span></div>
 <p class="stock">In stock</p>
 <form action="/basket/add" method="post"><button type="submit">Add to basket</button></form>
</div></main></body></html>"""


def _evidence(p: Pipeline, seller: str) -> list[dict[str, str]]:
    with p.engine.connect() as conn:
        rows = conn.execute(text("SELECT evidence FROM core.listings WHERE seller = :s"), {"s": seller})
        return [json.loads(r.evidence) for r in rows]


def _metadata(p: Pipeline, seller: str) -> dict[str, Any]:
    result = p.materialize(["listings"], seller)
    (event,) = result.asset_materializations_for_node("listings")
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


def _row(card: str, field: str) -> list[str]:
    """One field's row of the evidence table: [platform, structured, config, visible]."""
    line = next(line for line in card.splitlines() if line.split("|")[1].strip() == field)
    return [cell.strip() for cell in line.split("|")[2:-1]]


def test_a_json_ld_shop_rests_on_structured_data(crawled: Pipeline) -> None:
    rows = _evidence(crawled, "packhaus")
    assert rows and {r["price"] for r in rows} == {"structured"}
    assert {r["name"] for r in rows} == {"structured"}
    meta = _metadata(crawled, "packhaus")
    assert _row(meta["evidence"], "price") == ["0%", "100%", "0%", "0%"]
    assert _row(meta["evidence"], "sex")[1] != "0%"  # read from the JSON-LD name ("Gelato Fem")
    assert meta["weakest_evidence"] != "visible"


def test_a_selector_config_shop_rests_on_its_config(crawled: Pipeline) -> None:
    rows = _evidence(crawled, "plainseeds")
    assert rows and Counter(r["price"] for r in rows) == Counter({"config": len(rows)})
    assert {r["variant"] for r in rows} == {"config"}
    meta = _metadata(crawled, "plainseeds")
    assert _row(meta["evidence"], "price") == ["0%", "0%", "100%", "0%"]
    assert _row(meta["evidence"], "pack_size")[2] == "100%"  # read from the configured pack rows
    assert meta["weakest_evidence"] == "config"
    assert "price 100%" in meta["weakest_evidence_fields"]


def test_a_visible_text_page_rests_on_the_visible_page(crawled: Pipeline) -> None:
    page = Page("https://stall.example.co.uk/p/gelato", VISIBLE.encode(), "text/html")
    parsed = ParseResult(offers=[(page.url, o) for o in extract(page)], pages=1)
    with crawled.engine.connect() as conn:
        latest = text("SELECT max(id) FROM core.crawls WHERE seller = 'plainseeds'")
        crawl_id: int = conn.execute(latest).scalar_one()
    out = store_listings(crawled.engine, "plainseeds", crawl_id, parsed)
    (row,) = _evidence(crawled, "plainseeds")
    assert (row["price"], row["name"], row["in_stock"]) == ("visible", "visible", "visible")
    meta = listings_metadata(out)
    assert _row(meta["evidence"].value, "price") == ["0%", "0%", "0%", "100%"]
    assert _row(meta["evidence"].value, "pack_size")[3] == "100%"  # "x5" in the visible title
    assert meta["weakest_evidence"] == "visible"
    assert "price 100%" in meta["weakest_evidence_fields"]
