"""Per-client rate limit: a token bucket per client IP, refilled at api_rate_per_minute.

/health and /metrics are exempt: monitors and Prometheus poll them on their own schedule and must see the
service as it is, not a 429. The client IP is the connection's peer (behind a proxy, run uvicorn with
--proxy-headers and --forwarded-allow-ips so that peer is the real client; a raw X-Forwarded-For would let
anyone pick their own bucket).
"""

from __future__ import annotations

import json
import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from goodseed_dagster.api.metrics import Metrics

EXEMPT = ("/health", "/metrics")
MAX_CLIENTS = 10_000


class TokenBuckets:
    """{client: (tokens, last refill)}; full buckets are forgotten when more than MAX_CLIENTS are held."""

    def __init__(self, per_minute: int) -> None:
        self.capacity, self.rate = float(per_minute), per_minute / 60.0
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may pass (a token is taken), else the seconds until a token is due."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            if len(self.buckets) > MAX_CLIENTS:
                self._forget_full(now)
            return 0.0
        self.buckets[client] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        self.buckets = {
            c: (t, last)
            for c, (t, last) in self.buckets.items()
            if t + (now - last) * self.rate < self.capacity
        }


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, per_minute: int, metrics: Metrics) -> None:
        self.app, self.buckets, self.metrics = app, TokenBuckets(per_minute), metrics
        self.per_minute = per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait == 0:
            await self.app(scope, receive, send)
            return
        self.metrics.rate_limited.inc()
        body = json.dumps({"detail": f"rate limit exceeded: {self.per_minute} requests per minute"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, math.ceil(wait))).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
