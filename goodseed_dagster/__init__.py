"""GoodSeed: cannabis-seed prices across online seed banks, orchestrated with Dagster."""
