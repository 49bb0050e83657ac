"""One outbox message as an email (HTML + text from Jinja2 templates) and its SMTP hand-off.

Product names, titles and URLs are scraped from shops: untrusted. The HTML template is autoescaped and a
URL is linked only when it is http(s). The Message-ID derives from the outbox batch_key, so a message
re-sent after a crash is the same message to every mail server and client on the way.
"""

from __future__ import annotations

import smtplib
import ssl
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from goodseed_dagster.notify.signing import message_id, unsubscribe_token
from goodseed_dagster.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
SMTP_TIMEOUT_S = 30.0
RULE_NAMES = {
    "target_price": "at or below your target price",
    "price_drop": "price drop",
    "back_in_stock": "back in stock",
    "new_strain": "new strain",
    "new_seller": "new seller",
    "digest": "this week",
}
_html = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
_text = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)


def money(value: object) -> str:
    """A stored amount (numeric(14, 4), kept as text in the promise) as people read prices: two decimals."""
    try:
        return f"{Decimal(str(value)):.2f}"
    except ArithmeticError:
        return str(value)


for _env in (_html, _text):
    _env.filters["money"] = money


def api_base(settings: Settings) -> str:
    return (settings.public_api_url or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")


def unsubscribe_url(settings: Settings, user_id: int, unsubscribe_secret: str) -> str:
    query = urlencode({"token": unsubscribe_token(user_id, unsubscribe_secret)})
    return f"{api_base(settings)}/v1/unsubscribe?{query}"


def _clean(promise: dict[str, Any]) -> dict[str, Any]:
    """Every promise key present (StrictUndefined), and a URL only when it is http(s)."""
    keys = ("strain", "breeder", "seller", "url", "title", "pack_seeds", "price_local", "currency_local",
            "price_per_seed_base", "base_currency", "rule", "detail")  # fmt: skip
    out = {k: promise.get(k) for k in keys}
    url = out["url"]
    if not (isinstance(url, str) and urlsplit(url).scheme in ("http", "https")):
        out["url"] = None
    return out


def subject(kind: str, alerts: list[dict[str, Any]]) -> str:
    if kind == "report":
        return "GoodSeed weekly report"
    if kind == "digest":
        return "Your GoodSeed weekly digest"
    first = alerts[0].get("strain") or alerts[0].get("title") or "a strain you watch"
    more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
    return " ".join(f"GoodSeed: {str(first)[:100]}{more}".split())  # no CR/LF from a scraped name


def build_message(
    settings: Settings,
    *,
    to: str,
    batch_key: str,
    kind: str,
    alerts: list[dict[str, Any]],
    unsubscribe: str,
    report: dict[str, Any] | None = None,
) -> EmailMessage:
    """The email of one outbox message: `alerts` are promises (notifications.promise), `report` the
    weekly report's payload; one-click unsubscribe headers (RFC 8058) point at the API."""
    promises = [_clean(a) for a in alerts]
    context = {
        "subject": subject(kind, promises),
        "alerts": promises,
        "report": report,
        "unsubscribe_url": unsubscribe,
        "rule_names": RULE_NAMES,
    }
    msg = EmailMessage()
    msg["Subject"] = context["subject"]
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(batch_key)
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(_text.get_template("alerts.txt").render(context))
    msg.add_alternative(_html.get_template("alerts.html").render(context), subtype="html")
    return msg


def send(settings: Settings, msg: EmailMessage, timeout: float = SMTP_TIMEOUT_S) -> None:
    """Hand the message to the configured SMTP server; raises on refusal or connection failure. Returning
    means the server accepted it (from then on it is the server's to deliver)."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_ssl:
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_starttls and not settings.smtp_ssl:
            client.starttls(context=context)
        if settings.smtp_user and settings.smtp_password is not None:
            client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        client.send_message(msg)
