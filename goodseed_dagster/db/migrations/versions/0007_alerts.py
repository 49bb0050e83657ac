"""Alerts: ops.alerts, the log that makes every alert go out once per (kind, subject, day).

A sensor claims a row (INSERT ... ON CONFLICT DO NOTHING) before it calls apprise, so a re-evaluated tick,
a restarted daemon or two sensors racing never send the same alert twice. The row keeps the title and
body, so a failed delivery is retried from here with the same text, and `delivered` holds a hash of each
apprise URL that already accepted it (never the URL: it may hold a token), so a retry skips them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE SCHEMA IF NOT EXISTS ops;
REVOKE ALL ON SCHEMA ops FROM PUBLIC;

CREATE TABLE ops.alerts (
    kind        text NOT NULL CHECK (kind IN ('run_failure', 'check_failure', 'freshness')),
    subject     text NOT NULL,  -- the seller, or what a seller-less alert is about (job, check)
    day         date NOT NULL,
    seller      text,
    title       text NOT NULL,
    body        text NOT NULL,
    status      text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed', 'skipped')),
    attempts    integer NOT NULL DEFAULT 1,
    delivered   text[] NOT NULL DEFAULT '{}',
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    PRIMARY KEY (kind, subject, day)
);
CREATE INDEX alerts_pending_idx ON ops.alerts (claimed_at) WHERE status IN ('sending', 'failed');
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE ops.alerts")
    op.execute("DROP SCHEMA IF EXISTS ops")
