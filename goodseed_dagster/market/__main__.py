"""`python -m goodseed_dagster.market --port 8765 --day 0`: run the market in the foreground."""

from __future__ import annotations

import argparse

import uvicorn

from goodseed_dagster.market.core import Market
from goodseed_dagster.market.server import build_app


def main(argv: list[str] | None = None) -> None:
    """Parse the flags and serve until interrupted."""
    ap = argparse.ArgumentParser(prog="python -m goodseed_dagster.market", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--day", type=int, default=0)
    ap.add_argument("--products-per-shop", type=int, default=200)
    args = ap.parse_args(argv)
    market = Market(
        day=args.day, products_per_shop=args.products_per_shop, base_url=f"http://{args.host}:{args.port}"
    )
    print(
        f"market on http://{args.host}:{args.port}/s/<slug>/ for: {', '.join(s.slug for s in market.shops)}"
    )
    uvicorn.run(build_app(market), host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
