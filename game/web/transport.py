"""The ASGI transport under a stream: is the client still there?

`guard_streams` wraps the app; a handler asks `client()` for its request's
`Client`, whose `alive` says whether anyone is still reading, and which calls
back once when that ends (the client left, or stopped reading). Stario's
`Context.alive` and `Writer.abort` are the same idea.

Leaving: Quart cancels a response when the client disconnects, but
Hypercorn 0.18 can swallow that cancellation (its idle-timer stop catches
CancelledError on the sending task), leaving a stream running for a client
that is gone. So the guard also watches the disconnect message.

Stalling: a client that stops reading fills its socket buffers and the next
send waits. After `send_timeout` the response is abandoned (the stream ends:
presence, mailbox, subscription released) and the connection is reset (a TCP
RST), so the kernel drops the unsent data with it (`abort_connection`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # struct linger {on, 0 s}: close() sends RST

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Client:
    """The HTTP client of one request, as the ASGI layer sees it."""

    def __init__(self) -> None:
        self.alive = True
        self._on_gone: Callable[[], None] | None = None

    def on_gone(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the client is gone (wake the stream, so it ends)."""
        self._on_gone = callback
        if not self.alive:
            callback()

    def _left(self) -> None:
        self.alive = False
        if self._on_gone:
            self._on_gone()


_client: ContextVar[Client | None] = ContextVar("client", default=None)


def client() -> Client:
    """This request's client (a stand-in that never leaves outside `guard_streams`)."""
    return _client.get() or Client()


class SlowClient(Exception):
    """A client did not take a stream's data within the send timeout."""


class SendWatch:
    """Sends in flight, and a watchdog that cancels those waiting too long.

    One timer for the whole process, instead of one per send: a send costs
    a dict entry, and the watchdog looks at the entries a few times per timeout.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.since: dict[asyncio.Task[Any], float] = {}  # a task's send in flight -> its start
        self.stalled: set[asyncio.Task[Any]] = set()  # tasks cancelled for a stalled send
        self._watchdog: asyncio.Task[None] | None = None

    def started(self, task: asyncio.Task[Any]) -> None:
        self.since[task] = time.monotonic()
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        try:
            while self.since:  # it ends when no send is in flight; the next send starts it again
                await asyncio.sleep(self.timeout / 4)
                too_old = time.monotonic() - self.timeout
                for task, since in list(self.since.items()):
                    if since < too_old and task not in self.stalled:
                        self.stalled.add(task)
                        task.cancel()
        finally:
            self._watchdog = None


def guard_streams(app: ASGIApp, send_timeout: float) -> ASGIApp:
    """ASGI middleware: each HTTP request gets a `Client` that learns at once
    when its client leaves or stalls (see the module's docstring)."""
    watch = SendWatch(send_timeout)

    async def middleware(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        link = Client()
        _client.set(link)  # Quart's request task copies this context

        async def watched_receive() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                link._left()
            return message

        sender: asyncio.Task[Any] | None = None  # the task that sends the response, asked once

        async def timed_send(message: Any) -> None:
            nonlocal sender
            task = sender = sender or asyncio.current_task()
            assert task is not None
            watch.started(task)
            try:
                await send(message)
            except asyncio.CancelledError:
                if task not in watch.stalled:
                    raise
                watch.stalled.discard(task)
                task.uncancel()
                log.warning("stream abandoned: %s took no data for %ss", scope.get("client"), send_timeout)
                link._left()
                abort_connection(send)
                raise SlowClient from None
            finally:
                del watch.since[task]

        with contextlib.suppress(SlowClient):
            await app(scope, watched_receive, timed_send)

    return middleware


def abort_connection(send: Any) -> bool:
    """Reset the TCP connection behind Hypercorn's ASGI `send`; False if it cannot be found.

    ASGI has no way to drop a connection, and a graceful close would wait for
    the stalled client to read what is still buffered. Even closing the socket
    is graceful to the kernel: it sends a FIN after the unsent data, and the
    socket stays in FIN-WAIT-1 holding megabytes for a client that reads
    nothing. A zero linger turns the close into a reset: the kernel sends RST
    and frees the data at once. Hypercorn's `send` is a bound method of its
    stream, whose protocol sends through the TCP server that owns the asyncio
    writer. This is the one place that reaches into Hypercorn's private
    attributes; tests/test_transport.py fails if they change.
    """
    stream = getattr(send, "__self__", None)
    protocol = getattr(getattr(stream, "send", None), "__self__", None)
    server = getattr(getattr(protocol, "send", None), "__self__", None)
    writer = getattr(server, "writer", None)
    if writer is None:
        return False
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: nothing left to drop
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
    writer.transport.abort()
    return True
