"""The thin FastAPI read API over core/marts."""
