"""Prometheus metrics of one app (its own CollectorRegistry, so two apps in a process never collide).

Requests are labelled by route template (`/v1/strains/{strain_id}`), never the raw path: ids would make the
label set unbounded. A path no route matched is `unmatched`.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "goodseed_api_requests",
            "HTTP requests answered.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "goodseed_api_request_seconds",
            "Time to answer a request.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.cache = Counter(
            "goodseed_api_cache",
            "Response cache lookups of cacheable requests.",
            ["result"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "goodseed_api_rate_limited", "Requests refused with 429.", registry=self.registry
        )


def route_of(scope: Scope) -> str:
    if scope.get("goodseed.route"):
        return str(scope["goodseed.route"])
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            route = route_of(scope)
            self.metrics.requests.labels(route, scope["method"], str(status[0])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)
