"""core.offers fillfactor 50: the daily merge updates every offer seen (last seen, crawl), and free room in
each page keeps those updates HOT (no index writes, no new pages), which halves the daily merge.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE core.offers SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE core.offers RESET (fillfactor)")
