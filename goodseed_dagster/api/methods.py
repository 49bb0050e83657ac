"""HEAD and OPTIONS wherever GET works: monitors probe with HEAD, browsers and tools ask OPTIONS.

FastAPI routes answer only the methods they declare (HEAD /health was a 405). This middleware answers HEAD
as the GET it stands for, without the body (status and headers, Content-Length included, stay the GET's),
and OPTIONS with 204 and the path's Allow header. It reads what a path allows from the router's own 405
(the Allow header Starlette sends), so nested routers need no introspection; a path nothing serves stays
a 404, and every 405 lists HEAD and OPTIONS too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _allow(methods: bytes) -> bytes:
    """An Allow header's methods, with HEAD where GET is one, and OPTIONS."""
    found = {m.strip().upper() for m in methods.decode("latin-1").split(",") if m.strip()}
    found |= {"HEAD"} if "GET" in found else set()
    return ", ".join(sorted(found | {"OPTIONS"})).encode()


class HeadOptionsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["method"] == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(_allow_all(send)))
        elif scope["method"] == "OPTIONS":
            await self._options(scope, receive, send)
        else:
            await self.app(scope, receive, _allow_all(send))

    async def _options(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Ask the router as it is: its 405 names what the path allows; anything else passes through."""
        allow: list[bytes] = []

        async def probe(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow.append(dict(message.get("headers", [])).get(b"allow", b""))
            if not allow:
                await send(message)

        await self.app(scope, receive, probe)
        if allow:
            headers = [(b"allow", _allow(allow[0])), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


def _allow_all(send: Send) -> Send:
    """A 405's Allow header with HEAD and OPTIONS, which this middleware serves."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = [(k, _allow(v) if k.lower() == b"allow" else v) for k, v in message.get("headers", [])]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
