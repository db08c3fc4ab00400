"""What is turned away before any handler runs, for the whole app at once.

At the ASGI door: WebSocket upgrades (the game serves none, and Quart would
meet one with session code written for requests), and, as a second line
behind the startup check, every request reaching a socket that is not
loopback while the secret is short. After it: JSON nested deeper than any
page sends, in a POST's body or a `datastar` query parameter, because
Python's parser recurses once per level and a 2 KB body of `[` would reach
its limit inside a handler.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from itertools import accumulate
from typing import Any

from quart import abort, request

from game.config import loopback, weak_secret
from game.web.transport import ASGIApp

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32  # arrays and objects inside each other; the pages' signals nest two or three
TOO_DEEP = f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)."
EXPOSED = (
    "This server is reachable beyond this machine, but its SECRET_KEY is too short to sign "
    "sessions safely: its operator must set a longer one (see the log)."
)

# A JSON string (to the end of the text if it never closes), then the brackets outside strings.
STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
BRACKET = re.compile(r"[\[\]{}]")
STEP = {"[": 1, "{": 1, "]": -1, "}": -1}

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


def too_deep(text: str) -> bool:
    """Whether the parser would go more than MAX_JSON_DEPTH levels down in `text`.

    Counted without parsing: brackets outside strings, in order. Where the text
    stops being JSON the count may go wrong, but the parser stops there too.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False  # it cannot nest deeper than it opens
    depths = accumulate(map(STEP.__getitem__, BRACKET.findall(STRING.sub("", text))))
    return max(depths, default=0) > MAX_JSON_DEPTH


def as_text(raw: bytes) -> str:
    """A body as `json.loads` would read it (UTF-8, 16 or 32); what it could not read, it refuses itself."""
    try:
        return raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError:
        return ""


async def refuse_deep_json() -> None:
    """Before every request, the game's and the tutorial's: no JSON too deep in
    a POST's body or a `datastar` parameter.

    It runs first, so a POST's body is read before anything refuses it:
    Hypercorn closes a connection whose request it answered before the body
    was in, and the client's next request on that connection fails.
    """
    if any(too_deep(signals) for signals in request.args.getlist("datastar")):
        abort(400, TOO_DEEP)
    if request.method == "POST" and too_deep(as_text(await request.get_data(as_text=False))):
        abort(400, TOO_DEEP)


def door(app: ASGIApp, secret_key: str) -> ASGIApp:
    """ASGI middleware: refuse WebSockets, and, with a short secret, any socket beyond loopback."""
    exposed_check = weak_secret(secret_key)  # a strong key may be served anywhere
    warned = False

    async def middleware(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        nonlocal warned
        if scope["type"] == "websocket":
            await receive()  # the connect message
            await send({"type": "websocket.close"})  # before accepting: Hypercorn answers 403
            return
        if exposed_check and scope["type"] == "http" and not on_loopback(scope):
            if not warned:
                warned = True
                log.error("SECRET_KEY is too short for a server reached on %s: refusing every request "
                          "(set BIND to what Hypercorn binds, and a longer SECRET_KEY)",
                          scope.get("server") or "a unix socket")
            await refuse(send, 503, EXPOSED)
            return
        await app(scope, receive, send)

    return middleware


def on_loopback(scope: dict[str, Any]) -> bool:
    server = scope.get("server")  # (host, port); None on a unix socket, which a proxy may serve to anyone
    return server is not None and loopback(server[0])


async def refuse(send: Send, status: int, message: str) -> None:
    """A plain-text answer, sent before the app sees the request."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": message.encode()})
