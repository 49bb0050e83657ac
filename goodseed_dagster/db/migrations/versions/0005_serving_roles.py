"""Serving: the read roles and app.scrape_requests.

goodseed_api reads the marts and may insert scrape requests, nothing else; goodseed_analyst reads the marts
only. Roles are cluster-wide, so they are created only when missing and never dropped by a downgrade (another
database on the server may use them). They are NOLOGIN here: `goodseed db roles` gives them a password from
settings and LOGIN. Marts tables are created later by dbt as the owner, so the grants are default
privileges of the owner in schema marts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLES = ("goodseed_api", "goodseed_analyst")

UPGRADE = """
CREATE SCHEMA IF NOT EXISTS marts;

CREATE TABLE app.scrape_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seller        text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    requested_by  text,
    note          text,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'launched', 'rejected')),
    run_id        text,
    handled_at    timestamptz,
    reason        text
);
CREATE INDEX scrape_requests_pending_idx ON app.scrape_requests (requested_at) WHERE status = 'pending';

REVOKE ALL ON SCHEMA core, app, marts FROM PUBLIC;
GRANT USAGE ON SCHEMA marts TO goodseed_api, goodseed_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO goodseed_api, goodseed_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO goodseed_api, goodseed_analyst;
GRANT USAGE ON SCHEMA app TO goodseed_api;
GRANT INSERT ON app.scrape_requests TO goodseed_api;
"""

DOWNGRADE = """
ALTER DEFAULT PRIVILEGES IN SCHEMA marts REVOKE SELECT ON TABLES FROM goodseed_api, goodseed_analyst;
REVOKE ALL ON ALL TABLES IN SCHEMA marts FROM goodseed_api, goodseed_analyst;
REVOKE ALL ON SCHEMA marts, app FROM goodseed_api, goodseed_analyst;
DROP TABLE app.scrape_requests;
"""


def upgrade() -> None:
    for role in ROLES:
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
