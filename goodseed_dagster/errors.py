"""Errors raised by the plain-Python cores; each names where it happened and whether a retry may help."""

from __future__ import annotations


class GoodSeedError(Exception):
    """Base class: `retryable` tells the orchestrator whether running again could succeed."""

    retryable: bool = False


class ConfigError(GoodSeedError):
    """A configuration file or value is invalid."""

    def __init__(self, file: str, reason: str, *, line: int | None = None, field: str | None = None) -> None:
        where = file if line is None else f"{file}:{line}"
        if field:
            where = f"{where} ({field})"
        super().__init__(f"{where}: {reason}")
        self.file, self.line, self.field, self.reason = file, line, field, reason


class FetchError(GoodSeedError):
    """A page could not be fetched."""

    retryable = True

    def __init__(self, seller: str, url: str, reason: str, *, status: int | None = None) -> None:
        code = f" HTTP {status}" if status is not None else ""
        super().__init__(f"[{seller}]{code} {url}: {reason}")
        self.seller, self.url, self.status, self.reason = seller, url, status, reason


class ExtractError(GoodSeedError):
    """A page could not be parsed into offers."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason
