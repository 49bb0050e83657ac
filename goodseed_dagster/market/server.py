"""The market's HTTP face: one Starlette app on one port, shops under /s/<slug>/, admin under /_market/."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from goodseed_dagster.market.core import Market
from goodseed_dagster.market.faults import Faults, malform, truncate
from goodseed_dagster.market.fx import eurofxref_xml
from goodseed_dagster.market.model import TruthOffer
from goodseed_dagster.market.pages import Reply, shop_reply


def _host_base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def build_app(market: Market) -> Starlette:
    """The ASGI app serving every shop, the FX feed and the admin endpoints."""

    async def fx(request: Request) -> Response:
        arrived = time.monotonic()
        reply = Reply(200, eurofxref_xml(market.day).encode(), "text/xml; charset=utf-8")
        return await _faulted(market, "fx", request, reply, arrived)

    async def shop(request: Request) -> Response:
        arrived = time.monotonic()  # the spacing a seller sees is between arrivals, not answers
        slug = request.path_params["slug"]
        try:
            spec = market.shop(slug)
        except KeyError:
            return Response("unknown shop", 404)
        rest = request.path_params.get("rest", "")
        reply = shop_reply(market, spec, rest, request.url.query, _host_base(request))
        return await _faulted(market, slug, request, reply, arrived)

    return Starlette(
        routes=[
            *_admin_routes(market),
            Route("/fx/eurofxref-daily.xml", fx),
            Route("/s/{slug}/{rest:path}", shop),
        ]
    )


def _admin_routes(market: Market) -> list[Route]:
    """/_market/: the day clock and fault knobs (GET, POST), the request log, the truth, source configs."""

    async def day(request: Request) -> Response:
        if request.method == "POST":
            try:
                market.day = int((await request.json())["day"])
            except (ValueError, KeyError, TypeError) as e:
                return JSONResponse({"error": f"expected {{'day': n}} with n >= 0: {e}"}, 400)
        return JSONResponse({"day": market.day})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                market.faults = Faults.model_validate(await request.json())
            except (ValidationError, ValueError) as e:
                return JSONResponse({"error": str(e)}, 400)
        return JSONResponse(market.faults.model_dump())

    async def requests(request: Request) -> Response:
        shop = request.query_params.get("shop")
        return JSONResponse([asdict(r) for r in market.requests(shop)])

    async def truth(request: Request) -> Response:
        slug = request.query_params.get("shop", "")
        d = request.query_params.get("day")
        try:
            offers = market.truth(slug, int(d) if d else None)
        except (KeyError, ValueError):
            return JSONResponse({"error": "unknown shop or bad day"}, 404)
        return JSONResponse([_truth_json(o) for o in offers])

    async def shops(request: Request) -> Response:
        return JSONResponse(market.source_configs(_host_base(request)))

    return [
        Route("/_market/day", day, methods=["GET", "POST"]),
        Route("/_market/faults", faults, methods=["GET", "POST"]),
        Route("/_market/requests", requests),
        Route("/_market/truth", truth),
        Route("/_market/shops", shops),
    ]


def _truth_json(o: TruthOffer) -> dict[str, Any]:
    """A truth offer as JSON: prices as decimal strings, never floats."""
    return {
        **asdict(o),
        "price": str(o.price),
        "regular_price": None if o.regular_price is None else str(o.regular_price),
    }


async def _faulted(market: Market, shop: str, request: Request, reply: Reply, arrived: float) -> Response:
    """Log the request, then answer it: injected fault, 304 on a matching ETag, or the reply."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    fault, n = market.next_fault(shop)
    if any(request.url.path.endswith(p) for p in market.faults.exempt_paths):
        fault = None
    status, body, headers = reply.status, reply.body, dict(reply.headers)
    if fault is not None and fault.kind == "error":
        market.record(shop, path, 500, arrived)
        return Response("<h1>500 Internal Server Error</h1>", 500, media_type="text/html")
    if fault is not None and fault.kind == "throttle":
        market.record(shop, path, 429, arrived)
        return Response("Too Many Requests", 429, headers={"Retry-After": "1"}, media_type="text/plain")
    market.record(shop, path, status, arrived)
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
    if status == 200:
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        if fault is not None and fault.kind == "truncate":
            return _CutShort(body, status, headers=headers, media_type=reply.content_type)
        if fault is not None and fault.kind == "malformed":
            body = malform(body, n)
    return Response(body, status, headers=headers, media_type=reply.content_type)


class _CutShort(Response):
    """Declares the full Content-Length, sends a third of the body and stops: a dropped connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": truncate(self.body), "more_body": False})


class MarketServer:
    """A running market: `url` is http://host:port with no trailing slash."""

    def __init__(self, market: Market, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self.market, self._server, self._thread, self.url = market, server, thread, url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@contextmanager
def serve(market: Market, host: str = "127.0.0.1", port: int = 0) -> Iterator[MarketServer]:
    """Run the market with uvicorn in a background thread (port 0 picks a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    url = f"http://{host}:{sock.getsockname()[1]}"
    market.base_url = url
    config = uvicorn.Config(build_app(market), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="market")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("market server failed to start")
        time.sleep(0.01)
    running = MarketServer(market, server, thread, url)
    try:
        yield running
    finally:
        running.stop()
        sock.close()
