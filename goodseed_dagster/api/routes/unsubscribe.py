"""GET and POST /v1/unsubscribe?token=…: the List-Unsubscribe link of every notification email.

POST unsubscribes (RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the header's URL).
GET only shows a page with a button that POSTs: link scanners and previews fetch GET URLs, and must not
unsubscribe anyone. The API role can only EXECUTE app.unsubscribe(token), which checks the token itself;
a wrong token is a 404. Never cached (caching.py exempts the path).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from goodseed_dagster.api.deps import write
from goodseed_dagster.api.schemas import Error
from goodseed_dagster.db import queries

router = APIRouter(prefix="/v1", tags=["notifications"])
Token = Query(min_length=3, max_length=200, description="The token of the email's List-Unsubscribe link.")
NO_STORE = {"Cache-Control": "no-store"}
TOKEN_SHAPE = re.compile(r"[0-9]{1,18}\.[0-9a-f]{64}")  # what signing.unsubscribe_token makes


class Unsubscribed(BaseModel):
    unsubscribed: bool


@router.get("/unsubscribe", response_class=HTMLResponse, responses={200: {"content": {"text/html": {}}}})
async def confirm_page(token: str = Token) -> HTMLResponse:
    """A page with one button that unsubscribes (POST); a GET itself changes nothing."""
    action = escape(f"/v1/unsubscribe?{urlencode({'token': token})}")
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Unsubscribe</title></head><body>"
        "<h1>Stop GoodSeed emails?</h1>"
        f"<form method='post' action='{action}'>"
        "<input type='hidden' name='List-Unsubscribe' value='One-Click'>"
        "<button type='submit'>Unsubscribe</button></form></body></html>"
    )
    return HTMLResponse(page, headers=NO_STORE)


@router.post(
    "/unsubscribe",
    response_model=Unsubscribed,
    responses={404: {"model": Error, "description": "Unknown or wrong token."}},
)
async def unsubscribe(request: Request, token: str = Token) -> Unsubscribed:
    """One-click unsubscribe (RFC 8058); repeating it is harmless."""
    if not TOKEN_SHAPE.fullmatch(token) or not await write(request, queries.unsubscribe, token):
        raise HTTPException(status_code=404, detail="unknown unsubscribe link", headers=NO_STORE)
    return Unsubscribed(unsubscribed=True)
