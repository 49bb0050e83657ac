"""The FastAPI read API over the marts (plus one admin write: scrape requests)."""
