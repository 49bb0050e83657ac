"""The visible-price reader: the product's price on a page that states none in its data.

Every short text holding a number with a currency sign (or a number in a "price" element) is a
candidate. Candidates are rejected when struck through (<del>, <s>, line-through, old/was/regular
classes: those become the "was" price), inside related / upsell / bundle / loyalty blocks, or when their
words make them an instalment ("4 x", "/month"), a shipping cost, a per-unit price or a saving. The rest
are scored by tree distance to the main title (the h1 that best matches the page title) and to the buy
control (add-to-cart in many languages), and by prominence (price classes, "current/sale/final" words,
strong text, repetition of the same amount). The best one wins unless a different amount in the same
block scores as high: a range or several products, where no offer beats a guessed one. Amounts and
currencies are read by money.py (separators by rule, currency by symbol, page country and hints).
`weigh` returns every candidate with its score and reasons, for `goodseed extract --explain`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from goodseed_dagster.scraping.extract.budget import checkpoint
from goodseed_dagster.scraping.extract.common import in_stock, text
from goodseed_dagster.scraping.extract.dom import Doc, Element, classes, node_text, title_offer
from goodseed_dagster.scraping.extract.money import (
    PageLocale,
    has_currency,
    page_locale,
    read_currency,
    read_number,
)
from goodseed_dagster.scraping.models import RawOffer

_MAX_TEXT = 48
_MAX_CANDIDATES = 400  # in page order: a product's own price is printed near its top, never after 400 others
_SKIP = "not(parent::script or parent::style or parent::noscript or parent::template or parent::option)"
_TEXTS = f"//body//text()[{_SKIP}]"
_PRICEISH = re.compile(r"price|amount|cost|preis|precio|prix|prezzo|cena|цена|pret|hinta|fiyat|가격", re.I)
_MAIN = re.compile(r"current|sale|final|actual|special|now|new|main|selling|product-price|our|offer", re.I)
_STRUCK = re.compile(
    r"(?:\b|_)(?:old|was|before|regular|original|compare|strike|striked|strikethrough|crossed|rrp|msrp|uvp|"
    r"list|retail)(?:\b|_|price)|oldprice|priceold|line-through",
    re.I,
)
_OWN = re.compile(r"%|\boff\b|save|saving|sparen|ahorra|économ|points?\b|reward|bonus|btc|bitcoin", re.I)
_CONTEXT = re.compile(
    r"\d\s*[x×]\s|\b[x×]\s*\d|/\s*(?:mo|month|mes|mês|monat|mois|mese|m)\b|month|monthly|mensual|monatlich|"
    r"par mois|al mese|měs|mēn|мес|installment|instalment|cuota|rata|raty|ratenzahlung|financ|"
    r"shipping|delivery|versand|envío|envio|livraison|spedizione|doprava|dostava|доставк|배송|postage|"
    r"\bper\s|\d[^\d/]{0,4}/\s*[^\W\d_]|/\s*100\b|\bje\b|за\s*1|unit price|grundpreis|prix unitaire|precio unitario",
    re.I,
)
_CART = (
    r"add[\s_-]*to[\s_-]*(?:cart|basket|bag)|tocart|cart|basket|kosar|košík|kosik|košar|korzin|корзин|warenkorb|"
    r"panier|carrito|carrello|winkelwagen|winkelmand|koszyk|sepet|장바구니|grozs"
)
# Short verbs only as words of their own ("Pickup" holds no Polish "kup", "costa" no Finnish "osta")
_BUY = re.compile(
    rf"{_CART}|(?<![a-z])buy|купить|kaufen|acheter|comprar|acquista|구매|pirkt|bestellen|objednat|naruč|"
    r"(?<![^\W\d_])(?:kup|kupi|kupić|osta|köp|kjøp|køb)(?![^\W\d_])",
    re.I,
)
CART = re.compile(_CART, re.I)  # a control that puts the product in the cart (page_facts reads its state)
_RANGE = re.compile(r"\d\s*(?:-|–|—|to|bis|à|a)\s*\D{0,4}\d")


@dataclass
class Candidate:
    """One printed price the reader weighed, with the reasons for its score (or its rejection)."""

    element: Element
    shown: str
    amount: Decimal
    currency: str | None
    score: float = 0.0
    why: list[str] = field(default_factory=list)
    rejected: str | None = None

    def describe(self) -> str:
        verdict = (
            f"rejected: {self.rejected}"
            if self.rejected
            else f"score {self.score:.1f}: {', '.join(self.why)}"
        )
        return f"{self.shown!r} -> {self.amount} {self.currency or '?'} ({verdict})"


def main_title(doc: Doc) -> Element | None:
    """The heading naming the product: the h1 (else an h2) sharing most of its words with the page's
    title (og:title, <title>); a lone h1 when the page states no title."""
    heads = [h for h in doc.css("h1, h2") if not doc.noisy(h) and node_text(h)]
    named = [t.get("content") or "" for t in doc.css("meta[property='og:title'], meta[name='twitter:title']")]
    words = set(_words(" ".join([*named, *(node_text(t) for t in doc.css("head title")[:1])])))

    def share(h: Element) -> tuple[bool, float, bool, int]:
        own = set(_words(node_text(h)))
        part = len(own & words) / len(own) if own else 0.0
        return (part >= 0.5, round(part, 1), h.tag == "h1", len(own & words))

    ones = [h for h in heads if h.tag == "h1"]
    if not words:
        return ones[0] if len(ones) == 1 else None
    best = max(heads, key=share, default=None)
    if best is not None and (share(best)[0] or (best.tag == "h1" and len(ones) == 1)):
        return best
    return None


def _words(shown: str) -> list[str]:
    return re.findall(r"[^\W_]{2,}", shown.lower())


def buy_control(doc: Doc, title: Element | None) -> Element | None:
    """The add-to-cart control (button or submit, else a link or cart form): the first one after the title."""
    found = []
    for el in doc.css("button, input[type=submit], input[type=button], a, form"):
        checkpoint()
        label = f"{classes(el)} {el.get('name') or ''} {el.get('value') or ''} {el.get('action') or ''}"
        if el.tag == "form":
            label = f"{label} {el.get('action') or ''}"
        elif el.tag == "a":
            label = f"{label} {el.get('href') or ''} {node_text(el)[:30]}"
        else:
            label = f"{label} {node_text(el)[:60]}"
        hit = _BUY.search(label) is not None
        if hit and not doc.noisy(el):
            found.append(el)
    if not found:
        return None
    if title is not None:
        order = _order(doc)
        found = [el for el in found if order.get(el, 0) > order.get(title, 0)] or found[-1:]
    buttons = [el for el in found if el.tag not in ("a", "form")]  # the control itself, not its form
    return (buttons or found)[0]


def _order(doc: Doc) -> dict[Element, int]:
    cached: dict[Element, int] | None = getattr(doc, "_order_cache", None)
    if cached is None:
        cached = {el: i for i, el in enumerate(doc.root.iter())} if doc.root is not None else {}
        doc._order_cache = cached  # type: ignore[attr-defined]
    return cached


def _candidates(doc: Doc, locale: PageLocale, hint: str | None) -> list[Candidate]:
    out: dict[Element, Candidate] = {}
    long: set[Element] = set()  # elements known to hold too much text (each is measured once)
    for t in doc.root.xpath(_TEXTS) if doc.root is not None else []:
        checkpoint()
        if len(out) >= _MAX_CANDIDATES:
            break
        if not any(c.isdigit() for c in t):
            continue
        node = t.getparent()
        node = node.getparent() if t.is_tail else node
        for _ in range(3):
            if node is None or node in out or node in long or node.tag in ("body", "html"):
                break
            shown = node_text(node)
            if len(shown) > _MAX_TEXT:
                long.add(node)
                break
            if has_currency(shown) or _PRICEISH.search(f"{classes(node)} {node.get('itemprop') or ''}"):
                amount = read_number(shown)
                if amount is not None and 0 < amount < 10**9:
                    out[node] = Candidate(node, shown, amount, read_currency(shown, locale, hint))
                break
            node = node.getparent()
    return list(out.values())


def _depths(el: Element) -> list[Element]:
    path = []
    while el is not None:
        path.append(el)
        el = el.getparent()
    return path[::-1]


def _distance(a: Element, b_path: list[Element]) -> int:
    a_path = _depths(a)
    common = 0
    for x, y in zip(a_path, b_path, strict=False):
        if x is not y:
            break
        common += 1
    return len(a_path) + len(b_path) - 2 * common


def _up(el: Element, levels: int) -> list[Element]:
    out: list[Element] = []
    while el is not None and len(out) < levels:
        out.append(el)
        el = el.getparent()
    return out


def _reject(doc: Doc, c: Candidate) -> str | None:
    chain = _up(c.element, 4)
    if doc.struck(c.element) or any(
        _STRUCK.search(f"{classes(n)} {n.get('style') or ''}") or n.tag in ("del", "s", "strike")
        for n in chain
    ):
        return "struck"
    if doc.noisy(c.element):
        return "related/bundle/loyalty block"
    if m := _OWN.search(c.shown):
        return f"saving/points ({m.group(0).strip()!r})"
    if m := _CONTEXT.search(_label(c.element)):
        return f"instalment/shipping/per-unit ({m.group(0).strip()!r})"
    if _RANGE.search(c.shown) and len(re.findall(r"\d+(?:[.,]\d+)*", c.shown)) >= 2:
        return "a range"
    return None


def _label(el: Element) -> str:
    """The candidate's words with what labels it: the text just before it and just after it."""
    before = el.getprevious()
    parent = el.getparent()
    lead = node_text(before) if before is not None else (parent.text or "" if parent is not None else "")
    after = el.getnext()
    tail = (el.tail or "").strip() or (node_text(after) if after is not None else "")
    return f"{lead[-30:]} {node_text(el)} {tail[:15]}"


def _score(doc: Doc, c: Candidate, title: list[Element], buy: list[Element] | None) -> None:
    dt = _distance(c.element, title)
    c.score = 12.0 - 0.6 * min(dt, 16)
    c.why.append(f"title distance {dt}")
    if buy is not None:
        db = _distance(c.element, buy)
        c.score -= 0.6 * min(db, 16) - 4
        c.why.append(f"buy distance {db}")
    chain = _up(c.element, 3)
    marks = " ".join(f"{classes(n)} {n.get('itemprop') or ''}" for n in chain)
    if _PRICEISH.search(marks):
        c.score += 2
        c.why.append("price class")
    if _MAIN.search(marks):
        c.score += 1.5
        c.why.append("current/sale class")
    if any(n.tag in ("strong", "b", "h2", "h3", "h4") for n in chain):
        c.score += 1
        c.why.append("bold")
    if has_currency(c.shown):
        c.score += 1.5
        c.why.append("currency sign")
    if any(n.tag == "a" for n in _up(c.element, 5)):
        c.score -= 3
        c.why.append("inside a link")
    order = _order(doc)
    if order.get(c.element, 0) < order.get(title[-1], 0):
        c.score -= 1.5
        c.why.append("before the title")


def weigh(doc: Doc) -> tuple[list[Candidate], Element | None, Element | None]:
    """Every candidate price of the page, scored (best first) or rejected; the main title; the buy control."""
    title = main_title(doc)
    if title is None or doc.root is None:
        return [], title, None
    buy = buy_control(doc, title)
    locale = page_locale((doc.root.get("lang") or "").strip() or None, doc.page.url)
    found = _candidates(doc, locale, doc.currency)
    title_path, buy_path = _depths(title), (_depths(buy) if buy is not None else None)
    for c in found:
        checkpoint()
        c.rejected = _reject(doc, c)
        if c.rejected is None:
            _score(doc, c, title_path, buy_path)
    kept = [c for c in found if c.rejected is None]
    shown = Counter(c.amount for c in kept)
    for c in kept:  # the product's price is often printed more than once (header, buy box, sticky bar)
        same = shown[c.amount] - 1
        if same:
            c.score += min(same, 3) * 0.5
            c.why.append(f"shown {same + 1} times")
    found.sort(key=lambda c: (c.rejected is not None, -c.score))
    return found, title, buy


def _ambiguous(best: Candidate, kept: list[Candidate]) -> bool:
    """A different amount in the same block scoring as well: a range or several products."""
    block = set(_up(best.element.getparent(), 2))
    return any(
        o.amount != best.amount and o.score >= best.score - 1.0 and block & set(_up(o.element.getparent(), 2))
        for o in kept[1:]
    )


def visible_price(doc: Doc) -> list[RawOffer]:
    """One offer from the best visible price, with the weighed candidates in extra["price_candidates"]."""
    if doc.root is None:
        return []
    weighed, title, buy = weigh(doc)
    kept = [c for c in weighed if c.rejected is None]
    if title is None or not kept or buy is None or _ambiguous(kept[0], kept):
        return []
    best = kept[0]
    struck = [c for c in weighed if c.rejected == "struck" and c.amount > best.amount]
    near = [c for c in struck if set(_up(c.element, 4)) & set(_up(best.element, 4))]
    offer = title_offer(
        doc,
        price=best.amount,
        currency=best.currency,
        in_stock=_stock(doc, best.element),
        regular_price=max(c.amount for c in near) if near else None,
        adapter="visible_text",
    )
    offer.extra["price_candidates"] = " | ".join(c.describe() for c in weighed[:8])
    if doc.title is None and (name := text(node_text(title))):  # the heading the reader took as the title
        offer.name, offer.extra["name_source"] = name, "title"
    return [offer]


def _stock(doc: Doc, el: Element) -> bool | None:
    for block in _up(el, 5)[2:]:
        found = doc.css(".stock, .availability, [itemprop=availability]", block)
        if found:
            return in_stock(text(node_text(found[0])) or found[0].get("href"))
    return None


_STRUCK_NEAR = re.compile(
    r"<del\b|<s\b|<strike\b|line-through|old|original|regular|was|compare|strike|crossed", re.I
)


def _printed(price: Decimal) -> re.Pattern[str]:
    """The amount as a page may print it: "1234.5" as 1234.50, 1.234,50, 1 234,50 (digits not part of more)."""
    whole, _, cents = f"{price:.2f}".partition(".")
    groups = [whole[max(0, i - 3) : i] for i in range(len(whole), 0, -3)][::-1]
    tail = rf"[.,]{cents}" if cents != "00" else r"(?:[.,]00)?"
    return re.compile(r"(?<![\d.,])" + r"[.,\s'\u00a0]?".join(groups) + tail + r"(?![\d])")


def struck_structured(doc: Doc, offers: list[RawOffer]) -> list[RawOffer]:
    """A page's one structured offer whose price the page prints struck through ("was"), beside a lower
    current price by the buy button: structured data cached before a sale. The visible price wins and
    the structured one becomes the "was" price. Anything less clear keeps the structured offer."""
    stated = offers[0].price if len(offers) == 1 and offers[0].regular_price is None else None
    if stated is None:
        return offers
    offer, printed = offers[0], _printed(stated)
    near = (doc.html[max(0, m.start() - 300) : m.start()] for m in printed.finditer(doc.html))
    if not any(_STRUCK_NEAR.search(before) for before in near):
        return offers  # the common case, decided without building the tree
    weighed, _, buy = weigh(doc)
    kept = [c for c in weighed if c.rejected is None]
    if not kept or buy is None or _ambiguous(kept[0], kept) or kept[0].amount >= stated:
        return offers
    beside = set(_up(kept[0].element, 4))  # struck in the same price block, not in a related product's card
    if not any(
        c.rejected == "struck" and c.amount == stated and beside & set(_up(c.element, 4)) for c in weighed
    ):
        return offers
    offer.regular_price, offer.price = stated, kept[0].amount
    offer.extra["price_source"] = "visible_text"
    offer.extra["price_candidates"] = " | ".join(c.describe() for c in weighed[:8])
    return offers
