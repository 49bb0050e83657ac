"""Quality gates: plain verdicts over one crawl's listings and offers, each with the reason a person reads.

assets/quality.py turns them into Dagster asset check results; nothing here imports dagster, so every gate
is testable on a hand-made frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection, text

if TYPE_CHECKING:
    import pandas as pd

REQUIRED_FIELDS = ("name", "price", "currency", "pack_size")  # a listing without one cannot become an offer
DUPLICATE_REASON = "duplicate offer (same product and pack)"  # normalize's reason for a repeated offer key
MAX_PACK = 1000


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    reason: str
    metadata: dict[str, Any] = field(default_factory=dict)


_COUNTS = text("""
SELECT c.status, c.listings, b.id AS base_id, b.listings AS base_listings
FROM core.crawls c
LEFT JOIN LATERAL (
    SELECT p.id, p.listings FROM core.crawls p
    WHERE p.seller = c.seller AND p.status = 'ok' AND p.listings IS NOT NULL AND p.merged_at IS NOT NULL
      AND (p.started_at, p.id) < (c.started_at, c.id)
    ORDER BY p.started_at DESC, p.id DESC LIMIT 1
) b ON true
WHERE c.id = :id""")


def listing_count_verdict(conn: Connection, crawl_id: int, drop_max: float) -> Verdict:
    """The crawl's listing count against the seller's previous complete crawl whose offers were published.

    A published baseline, not merely the previous crawl: after a blocked crawl a shop that stays broken
    keeps failing instead of becoming its own baseline. Publishing a crawl by hand (materializing offers
    anyway) accepts its count. A partial crawl retires no offer, so its count is not compared."""
    row = conn.execute(_COUNTS, {"id": crawl_id}).one()
    n = int(row.listings or 0)
    meta: dict[str, Any] = {"crawl_id": crawl_id, "listings": n, "drop_max": drop_max}
    if row.status != "ok":
        return Verdict(
            True, f"crawl {crawl_id} is {row.status}: it retires no offer, count not compared", meta
        )
    if row.base_id is None:
        return Verdict(True, "no previous complete crawl", meta)
    return count_change_verdict(n, int(row.base_listings), int(row.base_id), drop_max, meta)


def count_change_verdict(
    n: int, base: int, base_crawl: int, drop_max: float, meta: Mapping[str, Any] | None = None
) -> Verdict:
    change = (n - base) / base if base else 0.0
    verb = "fell" if n < base else "rose" if n > base else "stayed"
    reason = f"listings {verb} from {base} to {n} ({change:+.0%}) against crawl {base_crawl}"
    passed = -change <= drop_max
    if not passed:
        reason += f": over {drop_max:.0%} lost, offers not published (the previous ones stay)"
    out = {
        **(meta or {}),
        "previous_crawl_id": base_crawl,
        "previous_listings": base,
        "change": round(change, 4),
    }
    return Verdict(passed, reason, out)


def fill_rate_verdict(
    facts: pl.DataFrame, min_rate: float, fields: Sequence[str] = REQUIRED_FIELDS
) -> Verdict:
    """Every required field set in at least `min_rate` of the listings (`facts`: stated_facts' frame)."""
    n = facts.height
    if n == 0:
        return Verdict(
            True, "no listings to measure (listing_count_stable judges an empty crawl)", {"rows": 0}
        )
    rates = {c: round(1 - facts[c].null_count() / n, 4) for c in fields}
    low = {c: r for c, r in rates.items() if r < min_rate}
    meta = {"rows": n, "min_fill_rate": min_rate, **{f"fill_{c}": r for c, r in rates.items()}}
    if low:
        parts = ", ".join(f"{c} {r:.0%}" for c, r in low.items())
        return Verdict(False, f"{parts} filled in {n} listings (minimum {min_rate:.0%})", meta)
    worst = min(rates, key=rates.__getitem__)
    return Verdict(True, f"required fields filled (lowest: {worst} {rates[worst]:.0%} of {n} listings)", meta)


_QUARANTINED = text("""SELECT stage, count(*) AS n FROM core.quarantine
                       WHERE seller = :seller AND crawl_id = :id GROUP BY stage ORDER BY stage""")


def quarantine_counts(conn: Connection, seller: str, crawl_id: int) -> dict[str, int]:
    """{stage: rows} core.quarantine holds for the crawl (pages and rows of extract, rows of normalize)."""
    return {r.stage: int(r.n) for r in conn.execute(_QUARANTINED, {"seller": seller, "id": crawl_id})}


def quarantine_verdict(counts: Mapping[str, int], offers: int, max_share: float) -> Verdict:
    """Quarantined records as a share of everything the crawl produced (offers + quarantined)."""
    bad = sum(counts.values())
    share = bad / (bad + offers) if bad + offers else 0.0
    meta = {"quarantined": bad, "offers": offers, "share": round(share, 4), "max_share": max_share}
    meta |= {f"quarantined_{stage}": n for stage, n in counts.items()}
    by_stage = ", ".join(f"{s} {n}" for s, n in counts.items()) or "none"
    reason = f"{bad} of {bad + offers} records quarantined ({share:.0%}; {by_stage}), maximum {max_share:.0%}"
    return Verdict(share <= max_share, reason, meta)


def duplicate_keys_verdict(quarantine: pl.DataFrame, offers: int) -> Verdict:
    """Listings that normalize to an offer key another listing has (same product and pack): kept out,
    quarantined; any at all means the shop or an adapter states one pack twice."""
    dups = quarantine.filter(pl.col("reason").cast(pl.String) == DUPLICATE_REASON)
    meta: dict[str, Any] = {"duplicate_rows": dups.height, "offers": offers}
    if dups.is_empty():
        return Verdict(True, f"no duplicate offer keys among {offers} offers", meta)
    urls = dups["url"].unique(maintain_order=True).to_list()
    meta["examples"] = "\n".join(urls[:5])
    return Verdict(
        False, f"{dups.height} listings share an offer key (same product and pack), e.g. {urls[0]}", meta
    )


def price_band_verdict(offers: pl.DataFrame, low: float, high: float, base_currency: str) -> Verdict:
    """Every offer's price per seed (in the base currency) within [low, high]; outliers counted per currency
    the shop charges in, where a wrong FX rate or a misread pack size shows."""
    pps = pl.col("price_per_seed_base").cast(pl.Float64)
    out = offers.filter((pps < low) | (pps > high))
    band = f"{low:g}-{high:g} {base_currency}/seed"
    meta: dict[str, Any] = {"outside": out.height, "offers": offers.height, "band": band}
    if out.is_empty():
        return Verdict(True, f"all {offers.height} offers within {band}", meta)
    per = out.group_by("currency").agg(n=pl.len(), lo=pps.min(), hi=pps.max()).sort("n", descending=True)
    meta |= {f"outside_{r['currency']}": r["n"] for r in per.iter_rows(named=True)}
    parts = "; ".join(
        f"{r['currency']} {r['n']} ({r['lo']:.3g}-{r['hi']:.3g})" for r in per.iter_rows(named=True)
    )
    return Verdict(False, f"{out.height} of {offers.height} offers outside {band}: {parts}", meta)


ACTIVE_COLUMNS = ("offer_key", "breeder", "strain_name", "sex", "flowering", "pack_size", "price", "currency")
_ACTIVE = text(f"""SELECT {", ".join(ACTIVE_COLUMNS)}, price_per_seed_base
                   FROM core.offers WHERE seller = :seller AND active""")


def active_offers(conn: Connection, seller: str) -> pd.DataFrame:
    """The seller's active offers as pandas (what the Great Expectations suite reads); numerics as floats."""
    import pandas as pd

    columns = [*ACTIVE_COLUMNS, "price_per_seed_base"]
    frame = pd.DataFrame([tuple(r) for r in conn.execute(_ACTIVE, {"seller": seller})], columns=columns)
    return frame.astype({"price": "float64", "price_per_seed_base": "float64"})


def _suite_expectations(low: float, high: float) -> list[Any]:
    import great_expectations as gx

    e = gx.expectations
    return [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        *(
            e.ExpectColumnValuesToNotBeNull(column=c)
            for c in ("offer_key", "breeder", "strain_name", "pack_size", "price", "currency")
        ),
        e.ExpectColumnValuesToBeUnique(column="offer_key"),
        e.ExpectColumnValuesToBeBetween(column="pack_size", min_value=1, max_value=MAX_PACK),
        e.ExpectColumnValuesToBeBetween(column="price", min_value=0, strict_min=True),
        e.ExpectColumnValuesToBeBetween(column="price_per_seed_base", min_value=low, max_value=high),
        e.ExpectColumnValuesToMatchRegex(column="currency", regex=r"^[A-Z]{3}$"),
        e.ExpectColumnValuesToBeInSet(column="sex", value_set=["feminized", "regular"]),
        e.ExpectColumnValuesToBeInSet(column="flowering", value_set=["autoflower", "photoperiod"]),
    ]


def expectations_verdict(offers: pd.DataFrame, low: float, high: float) -> Verdict:
    """A Great Expectations suite over the seller's active offers (ephemeral context, pandas datasource, no
    analytics, no progress bars); metadata["expectations"]: each one's type, column, success and
    unexpected_count."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    ctx = gx.get_context(mode="ephemeral", project_config=config)
    batch = (
        ctx.data_sources.add_pandas("offers")
        .add_dataframe_asset("offers")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = ctx.suites.add(gx.ExpectationSuite("offers", expectations=_suite_expectations(low, high)))
    run = ctx.validation_definitions.add(gx.ValidationDefinition(name="offers", data=batch, suite=suite))
    result = run.run(batch_parameters={"dataframe": offers})
    outcomes = [_outcome(r) for r in result.results]
    failed = [o for o in outcomes if not o["success"]]
    reason = (
        f"{len(outcomes) - len(failed)} of {len(outcomes)} expectations met over {len(offers)} active offers"
    )
    if failed:
        reason += ": failed " + ", ".join(
            f"{o['type']}({o['column'] or ''}) unexpected {o['unexpected_count']}" for o in failed
        )
    return Verdict(
        bool(result.success), reason, {"expectations": outcomes, "failed_expectations": len(failed)}
    )


def _outcome(result: Any) -> dict[str, Any]:
    """One expectation's result: its type, column (if any), success and unexpected_count."""
    config = result.expectation_config
    return {
        "type": config.type if config else "unknown",
        "column": config.kwargs.get("column") if config else None,
        "success": bool(result.success),
        "unexpected_count": result.result.get("unexpected_count"),
    }
