"""The empty JavaScript shell test: a page whose content only exists after scripts run yields an error,
never guessed offers. (The visible-price reader, the last resort for pages stating no price in their
data, is price_reader.py.)"""

from __future__ import annotations

import re

from goodseed_dagster.errors import ExtractError
from goodseed_dagster.scraping.extract.dom import Doc

SHELL_REASON = "page content is rendered client-side (empty JavaScript shell); no offers read"
_MOUNT = re.compile(
    r"\bid=[\"']?(?:root|app|__next|__nuxt|___gatsby|svelte|react-root|spa-root|main-app)[\"'\s>]|<app-root\b|"
    r"\bng-version=|data-reactroot|data-server-rendered",
    re.I,
)
_NOSCRIPT_JS = re.compile(r"<noscript\b[^<>]*>[^<]{0,200}?javascript", re.I)  # "<" bounds each attempt
_VISIBLE_TEXT = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
    " or ancestor::svg)]"
)


class ShellPageError(ExtractError):
    """The page is an empty JavaScript shell: its content only exists after scripts run."""

    def __init__(self, url: str) -> None:
        super().__init__(url, SHELL_REASON)


def visible_length(doc: Doc) -> int:
    """Characters of text a browser without JavaScript would show in the body."""
    if doc.root is None:
        return 0
    return len(" ".join(" ".join(doc.root.xpath(_VISIBLE_TEXT)).split()))


def is_shell(doc: Doc) -> bool:
    """An HTML 2xx page with scripts, a client-side mount point (or a "needs JavaScript" notice), no text."""
    if not 200 <= doc.page.status < 300 or "<script" not in doc.lower:
        return False
    if not (_MOUNT.search(doc.html) or _NOSCRIPT_JS.search(doc.html)):
        return False
    return visible_length(doc) < 200
