"""What runs when: the daily crawl is a schedule, everything after it follows by declarative automation.

The crawl is one run per seller (raw_pages → listings → offers), started by `daily_crawl_sellers` at
Settings.crawl_cron in Settings.timezone. Nothing downstream has a schedule: seller_sources and fx_rates
refresh on the same cron, and the catalogue, the dbt models (and whatever is added after them) rebuild
once their upstream has updated and nothing upstream is still running, unless a blocking check upstream
failed. One policy in one place, applied to the Definitions when they are built.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
from dagster._core.storage.tags import PRIORITY_TAG

from goodseed_dagster.settings import Settings

OWNERS = ["team:data"]
CRAWL_RETRY = dg.RetryPolicy(
    max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)  # a seller's transient trouble (5xx storm, a dropped connection) heals within a minute more often than not
ON_CRON = {dg.AssetKey("seller_sources"), dg.AssetKey("fx_rates")}
DOWNSTREAM_KEYS = {dg.AssetKey("strain_catalogue")}
DOWNSTREAM_GROUPS = {"staging", "marts"}  # the dbt models


def once_missing() -> dg.AutomationCondition:
    """Missing when automation first looks at it (a new deployment), or missing again later (a table
    dropped): asked for once, not again after a failed attempt (the next update or cron tick retries)."""
    missing = dg.AutomationCondition.missing()
    return (
        ((missing & dg.AutomationCondition.initial_evaluation()) | missing.newly_true())
        .since(dg.AutomationCondition.newly_requested())
        .with_label("once_missing")
    )


def after_upstream() -> dg.AutomationCondition:
    """Rebuild once an upstream asset has updated and no upstream run is pending.

    Unlike `eager()`, a dependency that was never materialized (a seller just added, not crawled yet) does
    not hold the rebuild back, and while any seller's crawl is queued or running it waits, so the daily crawl
    of fifty sellers leads to one rebuild, not fifty. A failed blocking check upstream stops it.

    "Updated since last requested", not `since_last_handled()`: that one also resets on the target's own
    update, so a dependency rebuilt by another run that ends in the same tick window as the target's own
    run was lost (the notification batches missed the marts' rebuild after the crawls, bench/refresh.py).
    Dependencies updated by the target's own run do not count (`any_deps_updated` ignores them).
    """
    requested = dg.AutomationCondition.newly_requested() | dg.AutomationCondition.initial_evaluation()
    return (
        (dg.AutomationCondition.any_deps_updated().since(requested.with_label("requested")) | once_missing())
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("after_upstream")


def with_its_asset() -> dg.AutomationCondition:
    """A check requested whenever its asset is. Without it, a run that automation starts for a partly
    checked selection (seller_sources' own check beside dbt models) names its checks and leaves the dbt
    tests out: the marts land untested, and `all_deps_blocking_checks_passed` then holds back everything
    after them (bench/refresh.py: the notification batches never followed the crawl's marts)."""
    return dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested()).with_label(
        "with_its_asset"
    )


def on_schedule(settings: Settings) -> dg.AutomationCondition:
    """On the crawl's cron, and at once when never materialized (a new deployment)."""
    return (
        dg.AutomationCondition.on_cron(settings.crawl_cron, settings.timezone)
        | (once_missing() & ~dg.AutomationCondition.in_progress())
    ).with_label("on_schedule")


def apply_automation(
    assets: Sequence[dg.AssetsDefinition], settings: Settings
) -> Sequence[dg.AssetsDefinition]:
    """The pipeline's assets with owners and each one's automation condition (the crawl steps have none:
    the schedule runs them)."""

    def policy(spec: dg.AssetSpec) -> dg.AssetSpec:
        spec = spec.replace_attributes(owners=OWNERS)
        if spec.key in ON_CRON:
            return spec.replace_attributes(automation_condition=on_schedule(settings))
        if spec.key in DOWNSTREAM_KEYS or spec.group_name in DOWNSTREAM_GROUPS:
            return spec.replace_attributes(automation_condition=after_upstream())
        return spec

    return dg.map_asset_specs(policy, assets)


automation_sensor = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    # A tick every 5 s, each time the asset daemon looks (it measures from the last tick's start, so "5" would
    # tick every 10 s and "10" at 10 or 15 s): the marts start within ~5 s of the last crawl instead of ~15,
    # for ~0.2 CPU-s a tick (+1.1 CPU-s a minute on an idle daemon; bench/refresh.py, README).
    minimum_interval_seconds=4,
    # Ahead of the queued crawls: the cron's sources/fx rebuild (created just after the fifty seller runs) ran
    # last otherwise, beside the final crawl, and split the rebuild after it into a chain of runs.
    run_tags={"trigger": "automation", PRIORITY_TAG: "1"},
    description="Evaluates every asset's automation condition: what rebuilds after the daily crawl.",
)
