"""The per-page CPU budget: extraction of one page stops cooperatively once it has used its share.

Every scan is linear in the page, but a hostile page can still combine many of them (deep DOM walks per
element, thousands of script objects); the budget bounds what one page can cost. `page_budget()` opens
it around one extract() or links() call; adapters call `checkpoint()` between stages and inside their
loops, and past the deadline it raises BudgetExceeded (an ExtractError: the page is quarantined with the
reason and the crawl or parse goes on). The clock is the thread's CPU time, so a loaded machine does
not quarantine pages that were merely waiting for a core.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from goodseed_dagster.errors import ExtractError

PAGE_BUDGET_S = 2.0  # CPU seconds one page may use in extract() or in links()

Clock = Callable[[], float]
cpu_clock: Clock = time.thread_time  # looked up when a budget opens (tests swap in a counting clock)


class BudgetExceeded(ExtractError):
    """The page used up its CPU budget before extraction finished."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(url, f"extraction exceeded the {seconds:g} s budget")
        self.seconds = seconds


@dataclass(frozen=True, slots=True)
class _Budget:
    url: str
    seconds: float
    deadline: float
    clock: Clock


_CURRENT: ContextVar[_Budget | None] = ContextVar("goodseed_page_budget", default=None)


@contextmanager
def page_budget(url: str, seconds: float | None) -> Iterator[None]:
    """Checkpoints inside the block raise BudgetExceeded after `seconds` of CPU (None: no budget).
    A budget already open (an extract() inside a caller's budget) is kept: the outer one governs."""
    if seconds is None or _CURRENT.get() is not None:
        yield
        return
    if seconds <= 0:
        raise ValueError("a page budget must be positive (None for no budget)")
    clock = cpu_clock
    token = _CURRENT.set(_Budget(url, seconds, clock() + seconds, clock))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def checkpoint() -> None:
    """Raise BudgetExceeded when the open page budget is spent (a no-op outside page_budget)."""
    budget = _CURRENT.get()
    if budget is not None and budget.clock() > budget.deadline:
        raise BudgetExceeded(budget.url, budget.seconds)
