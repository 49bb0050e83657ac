"""What `goodseed demo` prints when the pipeline is done: the run's figures and what the receivers got."""

from __future__ import annotations

from typing import TYPE_CHECKING

from goodseed_dagster.alerts import AlertReceiver, summary_lines

if TYPE_CHECKING:
    from goodseed_dagster.db.summary import RunSummary


def print_summary(summary: RunSummary, day: int) -> None:
    rows = [
        ("market day", day),
        (
            "sellers crawled",
            f"{summary.sellers_ok} ok, {summary.sellers_partial} partial, {summary.sellers_failed} failed",
        ),
        (
            "pages",
            f"{summary.pages} ({summary.pages_not_modified} not modified, {summary.bytes / 1e6:.1f} MB)",
        ),
        ("offers (active)", summary.offers),
        ("strains", f"{summary.strains} ({summary.strains_sold_by_several} sold by several sellers)"),
        ("price changes since last run", summary.price_changes),
        ("price history rows added", summary.price_history_rows),
        ("quarantined rows", summary.quarantined),
    ]
    width = max(len(k) for k, _ in rows)
    print(
        "\n".join(["", "GoodSeed summary", "-" * 40, *(f"{k:<{width}}  {v}" for k, v in rows), ""]),
        flush=True,
    )


def print_alerts(receiver: AlertReceiver) -> None:
    got = receiver.alerts()
    lines = [f"  {line}" for line in summary_lines(got)]
    print("\n".join([f"alerts received by {receiver.apprise_url}: {len(got)}", *lines, ""]), flush=True)
