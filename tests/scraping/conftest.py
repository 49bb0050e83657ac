"""Fixtures the crawl tests share."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """Pacing, backoff and Retry-After waits on virtual time: exact, and instant."""
    return FakeClock()
