"""Pipeline stages as plain functions: read what a stage needs, run the core, write the result.

Assets, the CLI and benchmarks call these; none of them imports dagster. Each returns a typed outcome the
caller reports (the assets turn it into metadata) and raises GoodSeedError subclasses naming what is wrong.
"""
