"""What is turned away before any handler runs, for the whole app at once.

At the ASGI door: WebSocket upgrades (the game serves none, and Quart would
meet one with session code written for requests). After it: JSON nested
deeper than any page sends, in a POST's body or a `datastar` query
parameter, because Python's parser recurses once per level and a 2 KB body
of `[` would reach its limit inside a handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from itertools import accumulate
from typing import Any

from quart import abort, request

from game.web.transport import ASGIApp

MAX_JSON_DEPTH = 32  # arrays and objects inside each other; the pages' signals nest two or three
TOO_DEEP = f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)."

# A JSON string (to the end of the text if it never closes), then the brackets outside strings.
STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
BRACKET = re.compile(r"[\[\]{}]")
STEP = {"[": 1, "{": 1, "]": -1, "}": -1}



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


def door(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: refuse WebSockets."""

    async def middleware(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] == "websocket":
            await receive()  # the connect message
            await send({"type": "websocket.close"})  # before accepting: Hypercorn answers 403
            return
        await app(scope, receive, send)

    return middleware
