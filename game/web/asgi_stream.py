"""A player's stream, served straight on ASGI, below Quart.

A stream lives as long as its tab, and what Quart keeps for a request while
it is answered (the request and its contexts, the session, two tasks, the
response) was most of what an idle tab cost the server. So `GET /stream` is
answered here whenever there is nothing to refuse and nothing special to
do: a valid session, no invitation, no `datastar` parameter nested too deep,
not the retry of a tab whose stream was given to a newer one. Everything
else goes on to Quart's route (game/web/streams.py), which refuses or
answers it as before; so each refusal is still written once.

The request is read by werkzeug's request (the same parsing of the query,
the cookies and the host that Quart uses) and the session by Quart's session
interface, then both are dropped. What the stream keeps from the layers
around it is the same as on Quart's route: the send timeout and the
client's leaving (game/web/transport.py `guard_streams` wraps this), the
forwarded headers (`trust_proxy`), the gzip (game/web/compression.py), the
headers of every response (game/web/security.py `always`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from datastar_py import SSE_HEADERS
from quart import Quart
from werkzeug.datastructures import Headers
from werkzeug.sansio.request import Request

from game.services import Services
from game.web.compression import compress
from game.web.gate import Receive, Send, too_deep
from game.web.health import replica
from game.web.identity import player_in
from game.web.limits import tag_of
from game.web.security import always
from game.web.streams import EVICTED, player_events
from game.web.transport import ASGIApp, client

PATH = "/stream"


def serve_streams(app: ASGIApp, quart: Quart) -> ASGIApp:
    """ASGI middleware: answer the plain `GET /stream` itself, pass on the rest."""

    async def middleware(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            return await app(scope, receive, send)
        request = read(scope)
        pid = await plain_stream(quart, request)
        if pid is None:
            return await app(scope, receive, send)
        svc: Services = quart.extensions["game"]
        tag = tag_of(svc.settings.secret_key, request.remote_addr)
        events = player_events(svc, client(), pid, tag, None, request.host_url)
        body, encoding = compress(events, request.headers.get("Accept-Encoding", ""))
        head = start(tuple({**SSE_HEADERS, **encoding, **always(request.scheme),
                            **replica(svc.settings.served_by)}.items()))
        del request, encoding  # nothing of the request is kept while the stream lives
        await respond(receive, send, head, body)

    return middleware


def read(scope: dict[str, Any]) -> Request:
    """The request as werkzeug reads it, as Quart builds its own (`ASGIHTTPConnection`)."""
    headers = Headers([(name.decode("latin1").title(), value.decode("latin1")) for name, value in scope["headers"]])
    return Request(scope["method"], scope["scheme"], scope.get("server"), scope.get("root_path", ""),
                   scope["path"], scope["query_string"], headers, (scope.get("client") or ["<local>"])[0])


async def plain_stream(quart: Quart, request: Request) -> str | None:
    """The player whose stream this is, if nothing about it is Quart's to answer."""
    if request.headers.get("Last-Event-ID") == EVICTED or "invite" in request.args:
        return None
    if any(too_deep(signals) for signals in request.args.getlist("datastar")):
        return None
    session = await quart.session_interface.open_session(quart, request)  # type: ignore[arg-type]
    return None if session is None else player_in(session)


@functools.lru_cache(maxsize=16)
def start(headers: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The response's first message. Hypercorn keeps it for the whole response,
    so streams with the same headers share one (a few, per scheme and encoding)."""
    return {"type": "http.response.start", "status": 200,
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers]}


async def respond(receive: Receive, send: Send, head: dict[str, Any],
                  body: AsyncIterator[str] | AsyncIterator[bytes]) -> None:
    """Send the body as it comes, until it ends or the client is gone."""
    await send(head)
    listening = asyncio.create_task(until_gone(receive))  # `guard_streams` sees the disconnect go by
    try:
        async with aclosing(body):
            async for chunk in body:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        listening.cancel()


async def until_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
