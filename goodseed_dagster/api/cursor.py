"""Keyset cursors: an opaque base64 of the last row's (sort, sort value, strain_key).

A page continues strictly after that row in a unique order (the sort value, then strain_key), so rows added,
removed or changed elsewhere never shift a page: no row is skipped or repeated because of them. Anything the
API would not have written is a ValueError, which FastAPI turns into a 422 naming `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
HINT = "invalid cursor: pass next_cursor of a previous page with the same sort"


def printable(value: str | None) -> str | None:
    """Control characters (a NUL above all: Postgres text cannot hold one) are a client error."""
    if value is not None and _CONTROLS.search(value):
        raise ValueError("must not contain control characters")
    return value


def encode(sort: str, value: Any, key: str) -> str:
    plain = None if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return base64.urlsafe_b64encode(json.dumps([sort, plain, key]).encode()).decode().rstrip("=")


def _value(sort: str, raw: object) -> Decimal | str | datetime | None:
    if sort == "price_per_seed":
        if raw is None:
            return None
        number = Decimal(str(raw)) if isinstance(raw, str) else None
        if number is None or not number.is_finite() or abs(number) >= 10**12:
            raise ValueError(HINT)
        return number
    if not isinstance(raw, str) or printable(raw) != raw or len(raw) > 400:
        raise ValueError(HINT)
    if sort == "last_change":
        found = datetime.fromisoformat(raw)
        if found.tzinfo is None:
            raise ValueError(HINT)
        return found
    return raw


def decode(cursor: str, sort: str) -> tuple[Any, str]:
    """(sort value, strain_key) of a cursor `encode(sort, ...)` wrote; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        found = json.loads(raw.decode())
        if not (
            isinstance(found, list) and len(found) == 3 and found[0] == sort and isinstance(found[2], str)
        ):
            raise ValueError(HINT)
        key = found[2]
        if not key or len(key) > 400 or _CONTROLS.search(key):
            raise ValueError(HINT)
        return _value(sort, found[1]), key
    except (
        ValueError,
        binascii.Error,
        InvalidOperation,
        RecursionError,
    ) as e:  # UnicodeError is a ValueError
        raise ValueError(HINT) from e
