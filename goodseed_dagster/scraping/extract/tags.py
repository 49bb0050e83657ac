"""Linear scans of raw HTML: start tags, their attributes and raw-text elements, without a tree.

A pattern such as `<script\\b[^>]*>(.*?)</script>` or `<link\\b[^>]*rel=canonical[^>]*>` runs to the end
of the page for every opener that never closes, so a page of repeated `<script ` or `<link ` costs the
square of its size. Here a start tag never extends past the next `<` (each `<` begins one attempt at
most, so every character is read a bounded number of times), attributes are read from one tag's text,
and a raw-text element whose closing tag is missing ends the scan: no later one could close either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

_ATTR = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


@cache
def _start(name: str) -> re.Pattern[str]:
    return re.compile(rf"<{name}(?=[\s/>])([^<>]*)>", re.I)


@cache
def _opener(name: str) -> re.Pattern[str]:
    return re.compile(rf"<{name}(?=[\s/>])", re.I)


@cache
def _closer(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}\s*>", re.I)


def start_tags(html: str, name: str) -> list[str]:
    """The attribute text of every `<name ...>` start tag, in page order (a `<` inside ends the tag)."""
    return _start(name).findall(html)


def attributes(tag: str) -> dict[str, str]:
    """A start tag's attributes (names lowercased, the first of a repeated name wins, values as written)."""
    out: dict[str, str] = {}
    for m in _ATTR.finditer(tag):
        name = m.group(1).lower()
        if name not in out:
            out[name] = next((v for v in m.group(2, 3, 4) if v is not None), "")
    return out


def tokens(value: str | None) -> set[str]:
    """A space-separated attribute value (rel, class) as lowercase tokens."""
    return set((value or "").lower().split())


def elements(html: str, name: str) -> Iterator[tuple[str, str]]:
    """(attribute text, raw content) of every `<name ...>...</name>` element: the content runs to the
    first closing tag, as browsers read script and style."""
    opener, closer = _opener(name).search, _closer(name).search
    pos = 0
    while (m := opener(html, pos)) is not None:
        end = html.find(">", m.end())
        if end < 0:
            return
        close = closer(html, end + 1)
        if close is None:
            return
        yield html[m.end() : end], html[end + 1 : close.start()]
        pos = close.end()
