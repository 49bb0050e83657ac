"""core.listings.evidence: what each stated field of a listing rests on.

A JSON object {field: kind} per listing, kind one of platform (the shop platform's buy form or API),
structured (schema.org / meta data stated for machines), config (the seller's selector config or
configured currency), visible (read from the visible page: title, categories, stock text, the
visible-price reader). It lets the data team see which sellers rest on the weakest evidence. Stored as
text (COPY writes it as is, and every reader gets a string); `evidence::jsonb ->> 'price'` queries it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE core.listings ADD COLUMN evidence text")


def downgrade() -> None:
    op.execute("ALTER TABLE core.listings DROP COLUMN evidence")
