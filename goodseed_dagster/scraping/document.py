"""One document outside a crawl (a feed such as the ECB rates), with the crawler's retries and caps."""

from __future__ import annotations

import asyncio

import httpx

from goodseed_dagster.errors import FetchError
from goodseed_dagster.scraping.options import CrawlOptions
from goodseed_dagster.scraping.request import get_with_retries


def get_document(url: str, *, name: str, options: CrawlOptions | None = None) -> bytes:
    """GET `url` retrying 429/5xx/timeouts/truncation with backoff and Retry-After; a non-2xx answer raises."""
    opts = options or CrawlOptions()

    async def run() -> bytes:
        async with httpx.AsyncClient(headers={"User-Agent": opts.user_agent}) as client:
            reply = await get_with_retries(
                client, url, seller=name, headers={}, options=opts, limiter=None, stop=asyncio.Event()
            )
        if not 200 <= reply.status < 300:
            raise FetchError(name, url, f"HTTP {reply.status}", status=reply.status)
        return reply.body

    return asyncio.run(run())
