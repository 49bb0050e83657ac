"""HTTP caching of the read routes, keyed by the marts' data version.

The marts change only when a dbt build lands, which writes a new marts.data_version row. So a response is a
function of (version, path, canonical query): that triple is the ETag and the key of an in-process LRU of
whole responses. The version is re-read at most once a second; a new version empties the LRU. Only GET
/v1/* 200 responses are cached (errors and the admin routes never are); the ETag and Last-Modified headers
let clients revalidate with If-None-Match / If-Modified-Since and get a bodiless 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

import psycopg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goodseed_dagster.api.deps import Database
from goodseed_dagster.api.metrics import Metrics
from goodseed_dagster.db import queries

log = logging.getLogger(__name__)
UNCACHED = ("/v1/admin", "/v1/unsubscribe")  # writes, and per-user pages
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Version:
    version: str
    built_at: datetime


class DataVersion:
    """marts.data_version, re-read at most once every `ttl` seconds (None before the first dbt build).

    Only the request that finds the value due starts the re-read, and waits for it at most `patience`
    seconds (the first read ever, fully); the others keep the value they have. A read is ~0.3 ms, but when
    the machine is saturated the database backend can be scheduled late: waiting for it made the tail of
    cached responses (p99 0.7-1.5 s at 8 connections, bench/api.py).
    """

    def __init__(self, database: Database, ttl: float = 1.0, patience: float = 0.01) -> None:
        self.database, self.ttl, self.patience = database, ttl, patience
        self._value: Version | None = None
        self._read_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        try:
            row = await self.database.read(queries.data_version)
            self._value = Version(*row) if row else None
        except psycopg.Error as e:  # no marts yet, or the database is down: serve uncached
            log.warning("cannot read marts.data_version: %s", type(e).__name__)
            self._value = None
        finally:
            self._reading = None

    async def current(self) -> Version | None:
        if self._reading is None and time.monotonic() - self._read_at >= self.ttl:
            first = self._read_at == float("-inf")
            self._read_at = time.monotonic()
            self._reading = reading = asyncio.create_task(self._read())
            await asyncio.wait({reading}, timeout=None if first else self.patience)
        return self._value


def canonical_query(raw: bytes) -> str:
    """The query string with parameters sorted by name (repeats keep their order: the last one wins)."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


@dataclass
class Entry:
    headers: Headers
    body: bytes
    route: str | None


@dataclass
class ResponseCache:
    """A bounded LRU of whole responses; `max_entries` 0 keeps nothing."""

    max_entries: int
    version: str | None = None
    entries: OrderedDict[tuple[str, str], Entry] = field(default_factory=OrderedDict)

    def get(self, version: str, key: tuple[str, str]) -> Entry | None:
        if version != self.version:
            self.entries.clear()
            self.version = version
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, version: str, key: tuple[str, str], entry: Entry) -> None:
        if self.max_entries == 0 or version != self.version:
            return
        self.entries[key] = entry
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def _not_modified_since(value: str, built_at: datetime) -> bool:
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and int(built_at.timestamp()) <= since.timestamp()


class CacheMiddleware:
    def __init__(
        self, app: ASGIApp, *, versions: DataVersion, cache: ResponseCache, metrics: Metrics, max_age: int
    ) -> None:
        self.app, self.versions, self.cache, self.metrics = app, versions, cache, metrics
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        cacheable = scope["type"] == "http" and scope["method"] == "GET" and path.startswith("/v1/")
        version = await self.versions.current() if cacheable and not path.startswith(UNCACHED) else None
        if version is None:
            await self.app(scope, receive, send)
            return
        key = (path, canonical_query(scope.get("query_string", b"")))
        digest = hashlib.sha256("\n".join((version.version, *key)).encode()).hexdigest()[:32]
        validators: Headers = [
            (b"etag", f'W/"{digest}"'.encode()),
            (b"last-modified", format_datetime(version.built_at.astimezone(UTC), usegmt=True).encode()),
            (b"cache-control", self.cache_control),
        ]
        request = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        inm, ims = request.get(b"if-none-match"), request.get(b"if-modified-since")
        entry = self.cache.get(version.version, key)
        scope["goodseed.route"] = entry.route if entry else None  # metrics' label when the router is skipped
        if (inm is not None and _matches(inm, f'W/"{digest}"')) or (
            inm is None and ims is not None and _not_modified_since(ims, version.built_at)
        ):
            await _send(send, 304, validators, b"")
            return
        self.metrics.cache.labels("hit" if entry else "miss").inc()
        if entry is not None:
            await _send(send, 200, entry.headers, entry.body)
            return
        await self.app(scope, receive, self._capture(scope, send, version.version, key, validators))

    def _capture(
        self, scope: Scope, send: Send, version: str, key: tuple[str, str], validators: Headers
    ) -> Send:
        """Adds the validators to a 200 and keeps its whole body in the cache."""
        started: list[Headers] = []
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [*message.get("headers", []), *validators]
                started.append(headers)
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and started:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    route = scope.get("route")
                    self.cache.put(
                        version, key, Entry(started[0], b"".join(chunks), getattr(route, "path", None))
                    )
            await send(message)

        return wrapped


async def _send(send: Send, status: int, headers: Headers, body: bytes) -> None:
    if status == 304:
        headers = [h for h in headers if h[0] != b"content-length"]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
