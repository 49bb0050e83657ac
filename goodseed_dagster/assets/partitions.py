"""Sellers are dynamic partitions keyed by slug; seller_sources_sensor keeps them in step with sources."""

import dagster as dg

sellers = dg.DynamicPartitionsDefinition(name="sellers")
