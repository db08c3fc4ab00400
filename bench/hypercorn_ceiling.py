"""The ceiling on Hypercorn: bench/ceiling.py's game, served as a bare ASGI app.

The same rooms in a dict, the same views and commands, but every request
goes through the server the game runs on (Hypercorn and h11, one worker, as
`scripts/run.sh` starts it) instead of the ceiling's few lines of HTTP. No
framework, no Redis, no templates, no compression: what is left between it
and the ceiling is what Hypercorn costs per request, per send and per
connection, a floor under any game served by it.

    python -m hypercorn --bind 127.0.0.1:8002 bench.hypercorn_ceiling:app   # BENCH_PAYLOAD=3000
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from bench.ceiling import HEARTBEAT_S, STREAM_HEADERS, Ceiling

MAX_BODY = 1 << 16
ceiling = Ceiling(int(os.environ.get("BENCH_PAYLOAD", "3000")))


class Pipe:
    """A stream's pending bytes: the ceiling writes without waiting, the stream's
    task sends what has come since its last send."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def write(self, data: bytes) -> None:
        self.chunks.append(data)
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> bool:
        """True when there is something to send, False once the client is gone."""
        while not self.chunks and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return not self.closed

    def take(self) -> bytes:
        """What has come since the last take."""
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _headers(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in pairs]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    if scope["path"] == "/stream":
        return await _stream(headers, receive, send)
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body") or len(body) > MAX_BODY:
            break
    status, extra, content = ceiling.answer(scope["method"], scope["path"], headers, body)
    sized = [] if status == 204 else [("Content-Length", str(len(content)))]
    await send({"type": "http.response.start", "status": status, "headers": _headers([*extra, *sized])})
    await send({"type": "http.response.body", "body": content})


async def _stream(headers: dict[str, str], receive: Any, send: Any) -> None:
    tab = ceiling.tab_of(headers)
    if tab is None:
        await send({"type": "http.response.start", "status": 401, "headers": _headers([("Content-Length", "0")])})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _headers(STREAM_HEADERS)})
    pipe = Pipe()
    pipe.write(ceiling.view_for(tab))
    tab.streams.add(pipe)
    listening = asyncio.create_task(_until_gone(receive, pipe))
    try:
        while await pipe.wait():  # no reference to what was sent is kept while it waits
            await send({"type": "http.response.body", "body": pipe.take(), "more_body": True})
    finally:
        tab.streams.discard(pipe)
        listening.cancel()


async def _until_gone(receive: Any, pipe: Pipe) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    pipe.close()


async def _lifespan(receive: Any, send: Any) -> None:
    beat: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            beat = asyncio.create_task(ceiling.heartbeats())
            print(f"hypercorn ceiling: heartbeats every {HEARTBEAT_S:g} s", flush=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if beat is not None:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
            await send({"type": "lifespan.shutdown.complete"})
            return
