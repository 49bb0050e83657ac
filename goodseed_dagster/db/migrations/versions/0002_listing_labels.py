"""core.listings holds what the page states: its labels, no inferred sex or flowering.

Extraction no longer infers sex, flowering or pack size from words (normalize's text rules do, once);
a listing keeps the category / attribute text the page states in `labels`, and `pack_size` only when the
page states it as a number.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE core.listings DROP COLUMN sex, DROP COLUMN flowering, ADD COLUMN labels text")


def downgrade() -> None:
    op.execute("ALTER TABLE core.listings DROP COLUMN labels, ADD COLUMN sex text, ADD COLUMN flowering text")
