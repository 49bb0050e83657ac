"""The simulated seed-bank market: many shops in real platforms' formats on one local port.

See shops.py for each shop's platform and naming style, model.py for how the clock moves the market,
server.py for the HTTP side (serve()), faults.py for the fault knobs and fx.py for the ECB feed.
"""

from goodseed_dagster.market.core import Market, RequestRecord
from goodseed_dagster.market.faults import FaultRates, Faults
from goodseed_dagster.market.model import MarketDiff, TruthOffer
from goodseed_dagster.market.server import MarketServer, build_app, serve
from goodseed_dagster.market.shops import SELECTORS, ShopSpec

__all__ = [
    "SELECTORS",
    "FaultRates",
    "Faults",
    "Market",
    "MarketDiff",
    "MarketServer",
    "RequestRecord",
    "ShopSpec",
    "TruthOffer",
    "build_app",
    "serve",
]
