"""Tokens and signatures of outgoing notifications: the unsubscribe token, the webhook HMAC, stable ids.

The unsubscribe token must match what SQL app.unsubscribe(token) recomputes (migration 0009), so it is a
plain SHA-256 keyed by the user's random secret (pgcrypto's hmac is not in the embedded server). Webhook
bodies are signed with HMAC-SHA256 over "<timestamp>.<body>" so a receiver can reject replays and edits.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def unsubscribe_token(user_id: int, unsubscribe_secret: str) -> str:
    """`<user id>.<hex sha256("<secret>:unsubscribe:<user id>")>`, as app.unsubscribe() checks it."""
    digest = hashlib.sha256(f"{unsubscribe_secret}:unsubscribe:{user_id}".encode()).hexdigest()
    return f"{user_id}.{digest}"


def batch_digest(batch_key: str) -> str:
    """Stable id of one outbox message: a re-send after a crash carries the same id."""
    return hashlib.sha256(batch_key.encode()).hexdigest()


def message_id(batch_key: str) -> str:
    """RFC 5322 Message-ID of an outbox message; mail servers and clients deduplicate on it."""
    return f"<{batch_digest(batch_key)[:32]}@goodseed>"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def webhook_signature(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """Hex HMAC-SHA256(secret, f"{timestamp}.{body}")."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: str | bytes,
    signature: str,
    max_age_s: float = 300,
    now: float | None = None,
) -> bool:
    """True when `signature` signs this body at this timestamp and the timestamp is within `max_age_s` of
    `now` (either side: an old one may be a replay, a future one a forged clock). Constant-time compare."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > max_age_s:
        return False
    expected = webhook_signature(secret, ts, body)
    return hmac.compare_digest(expected.encode(), _as_bytes(signature.strip().lower()))
