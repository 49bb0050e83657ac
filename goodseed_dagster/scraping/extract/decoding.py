"""A page's bytes as text, and extracted text made safe to encode and store.

Decoding follows browsers' precedence through w3lib: a byte-order mark, then the HTTP charset
(Page.content_type), then `<meta charset>` / `<meta http-equiv=content-type>` / `<?xml encoding?>` in
the first 4 KB (HTML and XML only, never JSON); with none of them, UTF-8, or windows-1252 when the bytes
are not UTF-8. It never raises: undecodable bytes become U+FFFD. Text leaving extraction is cleaned:
a lone surrogate (from a JSON `\\ud800` escape) becomes U+FFFD and C0 control characters other than tab,
newline and carriage return are dropped, so no extracted string fails to encode or to load.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from operator import attrgetter
from typing import Any

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, to_unicode

from goodseed_dagster.scraping.models import Page, RawOffer

BINARY_REASON = "binary data, not an HTML or JSON document"
_SNIFF = 8192  # bytes looked at to tell binary data from text
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)])  # never in text (\f and \r may be)
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_TEXT_FIELDS = tuple(f.name for f in fields(RawOffer) if f.type in ("str", "str | None"))
_texts = attrgetter(*_TEXT_FIELDS)
_last: tuple[bytes, str | None, bool, str] | None = None  # extract() then links() decode the same page


def _text(body: bytes, content_type: str | None, markup: bool) -> str:
    encoding, bom = read_bom(body)
    if encoding is not None and bom is not None:
        return to_unicode(body[len(bom) :], encoding)
    encoding = http_content_type_encoding(content_type)
    if encoding is None and markup:
        encoding = html_body_declared_encoding(body)
    if encoding is not None:
        return to_unicode(body, encoding)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def decode(page: Page, *, markup: bool = True) -> str:
    """The body as text (see the module docstring); the last page's text is remembered."""
    global _last
    last = _last
    if last is not None and last[0] is page.body and last[1] == page.content_type and last[2] == markup:
        return last[3]
    text = _text(page.body, page.content_type, markup)
    _last = (page.body, page.content_type, markup, text)
    return text


def load_json(page: Page) -> Any:
    """The body as JSON (a byte-order mark or a declared charset honoured), or raise ValueError."""
    return json.loads(decode(page, markup=False))


def looks_like_json(page: Page) -> bool:
    """A JSON content type, or a body whose first character (after any byte-order mark) opens JSON."""
    if "json" in (page.content_type or "").lower():
        return True
    encoding, bom = read_bom(page.body[:4])
    head = page.body[len(bom or b"") : 64]
    if encoding is not None and encoding != "utf-8":
        head = head.decode(encoding, errors="ignore").encode()
    return head.lstrip()[:1] in (b"{", b"[")


def is_binary(page: Page) -> bool:
    """More than 2% control bytes in the first 8 KB: an image, an archive, compressed or random bytes.
    Text pages hold practically none; UTF-16/32 text (which is full of NULs) is recognised first."""
    head = page.body[:_SNIFF]
    declared = http_content_type_encoding(page.content_type) or ""
    if read_bom(head)[0] is not None or declared.startswith(("utf-16", "utf-32")):
        return False
    return len(head) - len(head.translate(None, _CONTROL_BYTES)) > len(head) * 0.02


def clean(value: str) -> str:
    """`value` safe to encode and store: lone surrogates -> U+FFFD, C0 controls but \\t \\n \\r dropped."""
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", value)


def safe_urls(urls: list[str]) -> list[str]:
    """The URLs without a lone surrogate or a control character (such a link is broken, never crawled)."""
    if _UNSAFE.search("\n".join(urls)) is None:
        return urls
    return [u for u in urls if _UNSAFE.search(u) is None]


def clean_offers(offers: list[RawOffer]) -> list[RawOffer]:
    """Every text field and extra entry of the offers cleaned in place (the offers are returned); one
    search over all of them first, as almost every page has nothing to clean."""
    blob = "\n".join(v for o in offers for v in (*_texts(o), *o.extra.keys(), *o.extra.values()) if v)
    if _UNSAFE.search(blob) is None:
        return offers
    for offer in offers:
        for name in _TEXT_FIELDS:
            if (value := getattr(offer, name)) is not None:
                setattr(offer, name, clean(value))
        offer.extra = {clean(k): clean(v) for k, v in offer.extra.items()}
    return offers
