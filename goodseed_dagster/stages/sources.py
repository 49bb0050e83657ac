"""seller_sources: the sources file validated and mirrored into core.sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from goodseed_dagster.db.sources import SourceSync, sync_sources
from goodseed_dagster.scraping.sources import SourcesFile, load_sources


@dataclass(frozen=True, slots=True)
class SourcesOutcome:
    loaded: SourcesFile  # valid sources and the errors of the invalid entries (file:line, field)
    sync: SourceSync


def sync_seller_sources(engine: Engine, sources_file: Path) -> SourcesOutcome:
    """Invalid entries are reported and skipped; every valid seller still loads."""
    loaded = load_sources(sources_file)
    with engine.begin() as conn:
        return SourcesOutcome(loaded=loaded, sync=sync_sources(conn, loaded.sources))
