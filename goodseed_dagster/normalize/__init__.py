"""Plain polars normalization and entity resolution (no Dagster imports)."""
