"""core.crawls.merged_at: when a crawl's offers were last merged into core.offers.

The offers stage refuses to merge a crawl older than the one merged last (it would move prices back and
reactivate retired offers); this column says which one that is. Existing databases: the newest crawl each
seller's offers come from counts as merged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE core.crawls ADD COLUMN merged_at timestamptz")
    op.execute("""UPDATE core.crawls c SET merged_at = coalesce(c.finished_at, c.started_at)
                  WHERE c.id IN (SELECT max(crawl_id) FROM core.offers GROUP BY seller)""")


def downgrade() -> None:
    op.execute("ALTER TABLE core.crawls DROP COLUMN merged_at")
