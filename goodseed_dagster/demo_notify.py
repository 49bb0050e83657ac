"""The demo's readers: a few users whose alerts fire on the demo's market days, a real SMTP server and a
webhook receiver on 127.0.0.1, and the mail they got saved where a person can open it.

- ann@goodseed.demo watches the cheapest strain with a target just above its price (fires on the first day)
  and follows its breeder (fires when that breeder's new strains appear on later days);
- ben@goodseed.demo watches the strains most sellers carry, for a real drop of 5 % (fires on later days;
  the market's fake discounts never do);
- hooks@goodseed.demo gets the same kind of alert as a signed webhook.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text

from goodseed_dagster.db.users import WatchSpec, add_user, add_watch, follow_breeder
from goodseed_dagster.notify.sinks import SmtpSink, WebhookReceiver

ABOVE = Decimal("1.10")  # a target 10 % above today's best price per seed: reached at once
ANN, BEN, HOOKS = "ann@goodseed.demo", "ben@goodseed.demo", "hooks@goodseed.demo"
CHEAPEST = """SELECT strain_key, breeder, best_price_per_seed_base FROM marts.strain_search
              WHERE best_price_per_seed_base IS NOT NULL ORDER BY best_price_per_seed_base, strain_key LIMIT 2"""
WIDEST = "SELECT strain_key FROM marts.strain_search ORDER BY seller_count DESC, strain_key LIMIT 5"


@dataclass
class Readers:
    smtp: SmtpSink
    hooks: WebhookReceiver | None
    maildir: Path

    def summary(self) -> list[str]:
        """What the readers got, and where to read it (each mail saved as an .eml file)."""
        self.maildir.mkdir(parents=True, exist_ok=True)
        for message in self.smtp.messages:
            name = message.message_id.strip("<>").replace("@", "_").replace("/", "_")
            (self.maildir / f"{name}.eml").write_bytes(message.message.as_bytes())
        hooks = self.hooks.valid if self.hooks else []
        return [
            f"emails at the local SMTP sink: {len(self.smtp.messages)} (saved in {self.maildir})",
            f"webhooks received, signature verified: {len(hooks)}",
        ]


@contextmanager
def readers(home: Path) -> Iterator[tuple[Readers, ExitStack]]:
    """A running SMTP sink (its port goes into Settings.smtp_port); the webhook receiver starts once the hooks
    user's secret is known (`seed`)."""
    with ExitStack() as stack:
        smtp = stack.enter_context(SmtpSink())
        yield Readers(smtp, None, home / "mail"), stack


def seed(engine: Engine, found: Readers, stack: ExitStack) -> None:
    """The demo users and their watches, created once (the first run that has a catalogue); the hooks user's
    webhook URL follows this run's receiver."""
    with engine.begin() as conn:
        cheapest = conn.execute(text(CHEAPEST)).all()
        widest: list[str] = list(conn.execute(text(WIDEST)).scalars())
        if not cheapest:
            return
        add_user(conn, HOOKS, webhook_url="http://127.0.0.1:9/pending")  # its secret is made once
        secret: str = conn.execute(
            text("SELECT webhook_secret FROM app.users WHERE email = :e"), {"e": HOOKS}
        ).scalar_one()
        found.hooks = stack.enter_context(WebhookReceiver(secret))
        add_user(conn, HOOKS, webhook_url=found.hooks.url)
        if not add_user(conn, ANN).created:
            return
        first = cheapest[0]
        add_watch(
            conn,
            ANN,
            WatchSpec(first.strain_key, target_per_seed=str(first.best_price_per_seed_base * ABOVE)),
        )
        follow_breeder(conn, ANN, first.breeder)
        add_user(conn, BEN)
        for strain in widest:
            add_watch(conn, BEN, WatchSpec(strain, min_drop="5"))
        other = cheapest[-1]
        add_watch(
            conn,
            HOOKS,
            WatchSpec(other.strain_key, target_per_seed=str(other.best_price_per_seed_base * ABOVE)),
        )
