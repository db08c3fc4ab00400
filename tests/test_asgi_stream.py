"""A player's plain stream is served below Quart; anything else about `/stream` is Quart's.

What a user notices is tested through a real server everywhere else (every
test's tab reads its stream this way). Here: which requests are answered
below Quart, and that such a stream registers its tab, sends its view and
ends (its presence gone) the moment its client leaves.
"""

import asyncio
import secrets
from typing import Any

import pytest

from app import create_app
from game.config import load_settings
from game.web.asgi_stream import plain_stream, read, serve_streams
from game.web.gate import MAX_JSON_DEPTH
from game.web.security import HEADERS
from game.web.transport import guard_streams
from tests.support import KEYS

PID = secrets.token_urlsafe(16)


@pytest.fixture
def app(redis_url):
    return create_app(load_settings(redis_url=redis_url, secret_key="k" * 32))


def cookie(app, data: dict[str, Any]) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def scope(path: str = "/stream", query: bytes = b"", cookie: str | None = None, **headers: str) -> dict[str, Any]:
    raw = [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"identity")]
    raw += [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    if cookie is not None:
        raw.append((b"cookie", f"reflex_session={cookie}".encode()))
    return {"type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
            "query_string": query, "root_path": "", "headers": raw, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000)}


async def test_only_a_plain_stream_of_a_player_is_served_below_quart(app):
    mine = cookie(app, {"pid": PID})
    assert await plain_stream(app, read(scope(cookie=mine))) == PID
    assert await plain_stream(app, read(scope(query=b"datastar=%7B%22a%22%3A1%7D", cookie=mine))) == PID
    for refused in [
        scope(),  # no session: 401
        scope(cookie=mine[:-3] + ("AAA" if mine[-3:] != "AAA" else "BBB")),  # tampered with: 401
        scope(cookie=cookie(app, {"pid": "short"})),  # no player id: 401
        scope(cookie=mine, last_event_id="evicted"),  # a newer tab took this one's place: 204
        scope(query=b"invite=ABCDE", cookie=mine),  # an invitation: the room link's limit
        scope(query=b"datastar=" + b"%5B" * (MAX_JSON_DEPTH + 1), cookie=mine),  # too deep: 400
    ]:
        assert await plain_stream(app, read(refused)) is None, refused


async def test_a_plain_stream_is_answered_below_quart_and_ends_when_its_client_leaves(app, redis):
    passed_on: list[str] = []

    async def quart(scope: dict[str, Any], receive: Any, send: Any) -> None:
        passed_on.append(scope["path"])

    sent: list[dict[str, Any]] = []
    arrived = asyncio.Event()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        arrived.set()

    served = guard_streams(serve_streams(quart, app), send_timeout=5)
    async with app.test_app():
        streaming = asyncio.create_task(served(scope(cookie=cookie(app, {"pid": PID})), inbox.get, send))
        async with asyncio.timeout(10):
            while b"Pick a name" not in b"".join(m.get("body", b"") for m in sent):
                arrived.clear()
                await arrived.wait()
        head = dict(sent[0]["headers"])
        assert sent[0]["status"] == 200 and head[b"content-type"] == b"text/event-stream"
        assert all(head[name.lower().encode()] == value.encode() for name, value in HEADERS.items())
        assert await redis.hget(KEYS.key("streams"), PID)  # the tab is registered
        await inbox.put({"type": "http.disconnect"})
        await asyncio.wait_for(streaming, 10)  # it ends at once, not at the next heartbeat
        assert not await redis.hget(KEYS.key("streams"), PID)  # and its presence is gone
        assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
        assert passed_on == []
        await served(scope(), inbox.get, send)  # no session: Quart's route answers it
    assert passed_on == ["/stream"]
