"""Peak resident memory of process trees, sampled in a thread (the benchmarks' RSS figures).

RSS is summed over the processes, so pages they share count once per process: an upper bound.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable

import psutil


class PeakRss:
    """The peak of the summed RSS of `roots()` (read at every sample: a root may start later) and, with
    `children`, their descendants."""

    def __init__(
        self, roots: Callable[[], Iterable[int]], *, children: bool = True, interval_s: float = 0.5
    ) -> None:
        self.roots, self.children, self.interval_s = roots, children, interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        found: list[psutil.Process] = []
        for pid in self.roots():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                found += [root, *root.children(recursive=True)] if self.children else [root]
        return found

    def sample(self) -> None:
        total = 0
        for proc in self._processes():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        self.peak = max(self.peak, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
