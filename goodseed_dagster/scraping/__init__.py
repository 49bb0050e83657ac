"""Plain-Python crawler and extractors (no Dagster imports)."""
