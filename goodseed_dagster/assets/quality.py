"""Quality gates as asset checks on listings and offers, evaluated inside the asset with the run's numbers.

Each result's description is the reason a person reads in the UI ("listings fell from 212 to 88 (-58%)
against crawl 41"); its metadata holds the figures. listing_count_stable is the one blocking gate: when it
fails, Dagster skips the seller's offers in the same run (and automation waits on
all_deps_blocking_checks_passed), so the offers published last stay. The others are soft (WARN): the
offers are already merged when they run, they tell the data team what to look at. Thresholds come from
Settings through the `http` resource (CrawlerResource).
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from sqlalchemy import Engine

from goodseed_dagster.normalize.facts import stated_facts
from goodseed_dagster.resources.http import CrawlerResource
from goodseed_dagster.stages.extract import ExtractOutcome
from goodseed_dagster.stages.offers import OffersOutcome
from goodseed_dagster.stages.quality import (
    REQUIRED_FIELDS,
    Verdict,
    active_offers,
    duplicate_keys_verdict,
    expectations_verdict,
    fill_rate_verdict,
    listing_count_verdict,
    price_band_verdict,
    quarantine_counts,
    quarantine_verdict,
)

LISTINGS_CHECKS = [
    dg.AssetCheckSpec(
        "listing_count_stable",
        asset="listings",
        blocking=True,
        description="The crawl lost no more than `listing_drop_max` of the listings of the seller's previous "
        "complete, published crawl. Blocking: a failure keeps the seller's previous offers published.",
    ),
    dg.AssetCheckSpec(
        "required_fields_filled",
        asset="listings",
        description=f"Each of {', '.join(REQUIRED_FIELDS)} is set in at least `min_fill_rate` of the listings.",
    ),
]

OFFERS_CHECKS = [
    dg.AssetCheckSpec(
        "quarantine_share_low",
        asset="offers",
        description="Pages and rows quarantined for the crawl stay under `max_quarantine_share` of its records.",
    ),
    dg.AssetCheckSpec(
        "offer_keys_unique",
        asset="offers",
        description="No two listings of the crawl normalize to the same offer key (same product and pack).",
    ),
    dg.AssetCheckSpec(
        "price_per_seed_sane",
        asset="offers",
        description="Every offer's price per seed, in the base currency, lies in the configured band.",
    ),
    dg.AssetCheckSpec(
        "offers_expectations",
        asset="offers",
        description="A Great Expectations suite over the seller's active offers; each expectation's type, "
        "success and unexpected_count in the metadata.",
    ),
]


def check_result(
    name: str, verdict: Verdict, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN
) -> dg.AssetCheckResult:
    """A verdict as Dagster shows it: the reason as the description (and in the metadata), the figures."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=verdict.passed,
        severity=severity,
        description=verdict.reason,
        metadata={"reason": verdict.reason, **verdict.metadata},
    )


def listings_check_results(
    engine: Engine, out: ExtractOutcome, http: CrawlerResource
) -> list[dg.AssetCheckResult]:
    """listing_count_stable (blocking, ERROR) and required_fields_filled for the crawl just extracted."""
    with engine.connect() as conn:
        count = listing_count_verdict(conn, out.crawl_id, http.listing_drop_max)
    fill = fill_rate_verdict(stated_facts(out.listings), http.min_fill_rate)
    return [
        check_result("listing_count_stable", count, dg.AssetCheckSeverity.ERROR),
        check_result("required_fields_filled", fill),
    ]


def _expectations_metadata(verdict: Verdict) -> Verdict:
    outcomes: list[dict[str, Any]] = verdict.metadata["expectations"]
    rows = [
        f"| {o['type']} | {o['column'] or ''} | {o['success']} | {o['unexpected_count'] or 0} |"
        for o in outcomes
    ]
    table = "\n".join(["| expectation | column | success | unexpected_count |", "|---|---|---|---|", *rows])
    meta = {
        **verdict.metadata,
        "expectations": dg.MetadataValue.json(outcomes),
        "expectations_table": dg.MetadataValue.md(table),
    }
    return Verdict(verdict.passed, verdict.reason, meta)


def offers_check_results(
    engine: Engine, seller: str, out: OffersOutcome, http: CrawlerResource
) -> list[dg.AssetCheckResult]:
    """The soft gates over the crawl just merged and the seller's active offers."""
    offers = out.normalized.offers
    with engine.connect() as conn:
        counts = quarantine_counts(conn, seller, out.crawl.id)
        active = active_offers(conn, seller)
    low, high = http.price_per_seed_min, http.price_per_seed_max
    return [
        check_result(
            "quarantine_share_low", quarantine_verdict(counts, offers.height, http.max_quarantine_share)
        ),
        check_result("offer_keys_unique", duplicate_keys_verdict(out.normalized.quarantine, offers.height)),
        check_result("price_per_seed_sane", price_band_verdict(offers, low, high, http.base_currency)),
        check_result("offers_expectations", _expectations_metadata(expectations_verdict(active, low, high))),
    ]
