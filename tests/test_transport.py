"""The one reach into Hypercorn's private attributes, on a real Hypercorn.

`abort_connection` walks from the ASGI `send` Hypercorn hands the app to the
socket's transport, and resets the connection. If a Hypercorn upgrade moves
those attributes, this test fails (a stalled reader would then hold its
connection until the client reads, see tests/test_faults.py).
"""

import asyncio
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from game.web.transport import abort_connection
from tests.conftest import free_port


async def test_the_connection_behind_hypercorns_send_can_be_cut():
    found: list[bool] = []
    hang = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            return await send({"type": "lifespan.shutdown.complete"})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        found.append(abort_connection(send))
        await hang.wait()  # the response never ends by itself

    port, stop = free_port(), asyncio.Event()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        for _ in range(100):  # until it listens
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received, reset = b"", False
        async with asyncio.timeout(5):  # cut at once, not when the response would end (never)
            try:
                while chunk := await reader.read(1024):
                    received += chunk
            except ConnectionResetError:
                reset = True
        assert found == [True]
        assert b"first" in received and not received.endswith(b"0\r\n\r\n")  # cut, not a finished body
        assert reset  # a reset (RST): a plain close would first wait for the unsent data to drain
        writer.close()
    finally:
        hang.set()
        stop.set()
        await server
