"""Quality gates: core.crawls.listings, the listing count each extraction of a crawl found.

core.listings keeps only a seller's newest extraction, so the listing_count_stable check needs the count
of earlier crawls stored with the crawl. NULL: never extracted. Existing databases: the crawl each
seller's current listings come from gets their count.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE core.crawls ADD COLUMN listings integer CHECK (listings >= 0)")
    op.execute("""UPDATE core.crawls c SET listings = l.n
                  FROM (SELECT crawl_id, count(*) AS n FROM core.listings GROUP BY crawl_id) l
                  WHERE c.id = l.crawl_id""")


def downgrade() -> None:
    op.execute("ALTER TABLE core.crawls DROP COLUMN listings")
