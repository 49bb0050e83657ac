"""One outbox message as a signed webhook POST (JSON).

Headers: X-GoodSeed-Timestamp (unix seconds), X-GoodSeed-Signature (hex HMAC-SHA256 of "<timestamp>.<body>"
with the user's webhook secret), X-GoodSeed-Delivery (hash of the batch key: the same on a re-send, so a
receiver can drop duplicates). Receivers check with `verify_signature`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from goodseed_dagster.notify.signing import batch_digest, verify_signature, webhook_signature

__all__ = ["WEBHOOK_TIMEOUT_S", "body_of", "headers_for", "post", "verify_signature"]
WEBHOOK_TIMEOUT_S = 10.0


def body_of(batch_key: str, kind: str, alerts: list[dict[str, Any]]) -> bytes:
    """The JSON body: the delivery id, the kind and the alerts' promises."""
    doc = {"delivery": batch_digest(batch_key), "kind": kind, "alerts": alerts}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()


def headers_for(batch_key: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GoodSeed-Webhooks/1",
        "X-GoodSeed-Timestamp": str(timestamp),
        "X-GoodSeed-Signature": webhook_signature(secret, timestamp, body),
        "X-GoodSeed-Delivery": batch_digest(batch_key),
    }


def post(
    url: str,
    secret: str,
    *,
    batch_key: str,
    kind: str,
    alerts: list[dict[str, Any]],
    timestamp: int,
    timeout: float = WEBHOOK_TIMEOUT_S,
) -> None:
    """POST the signed body; any non-2xx answer or transport error raises (delivery retries it)."""
    body = body_of(batch_key, kind, alerts)
    response = httpx.post(
        url, content=body, headers=headers_for(batch_key, secret, body, timestamp), timeout=timeout
    )
    response.raise_for_status()
