"""The stream verb: one long-lived SSE response per tab, this player's view.

Woken through the relay, the stream re-reads Redis and renders the whole view;
an unchanged render is not sent. It never writes game state: only presence
and the moment GO reached this player (delivery bookkeeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, Quart, current_app, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game.identity import require_player
from game.relay import Mailbox
from game.screens import render_screen, view_event
from game.services import Services, services
from game.views import load_view, now_ms, read_player

bp = Blueprint("streams", __name__)
log = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

ROOM_CODE = re.compile(r"^[A-Z0-9]{5}$")
HEARTBEAT = ": heartbeat\n\n"
EVICTED = "evicted"
LIVE = SSE.patch_signals({"conn": "live"})
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # RFC 1952: deflate, no name, no time
WINDOW_BITS = 13  # how far back an event may refer: a window a little larger than one room view


class ClientLink:
    """Whether the HTTP client is still there, as seen by the ASGI layer."""

    def __init__(self) -> None:
        self.gone = False
        self.on_gone: Callable[[], None] | None = None

    def left(self) -> None:
        self.gone = True
        if self.on_gone:
            self.on_gone()


_client: ContextVar[ClientLink | None] = ContextVar("client", default=None)


def client_link() -> ClientLink:
    """This request's link to its client (set by `guard_streams`)."""
    return _client.get() or ClientLink()


ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


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
    """ASGI middleware: streams learn at once when their client leaves or stalls.

    Leaving: Quart cancels a response when the client disconnects, but
    Hypercorn 0.18 can swallow that cancellation (its idle-timer stop catches
    CancelledError on the sending task), leaving a stream running for a client
    that is gone. So streams also watch the disconnect message and end.

    Stalling: a client that stops reading fills its socket buffers and the
    next send waits. After `send_timeout` the response is abandoned: the
    stream ends (presence, mailbox, subscription released) and Hypercorn
    closes the connection. What it held is its socket buffers, nothing more.
    """
    watch = SendWatch(send_timeout)

    async def middleware(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        link = ClientLink()
        _client.set(link)  # Quart's request task copies this context

        async def watched_receive() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                link.left()
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
                link.left()
                _abort_connection(send)
                raise SlowClient from None
            finally:
                del watch.since[task]

        with contextlib.suppress(SlowClient):
            await app(scope, watched_receive, timed_send)

    return middleware


def _abort_connection(send: Any) -> None:
    """Reset the TCP connection behind Hypercorn's ASGI `send`.

    ASGI has no way to drop a connection, and a graceful close would wait for
    the stalled client to read what is still buffered. Hypercorn's `send` is a
    bound method of its stream, whose protocol sends through the TCP server
    that owns the asyncio writer; tests/test_faults.py fails if that changes.
    """
    stream = getattr(send, "__self__", None)
    protocol = getattr(getattr(stream, "send", None), "__self__", None)
    server = getattr(getattr(protocol, "send", None), "__self__", None)
    writer = getattr(server, "writer", None)
    if writer is not None:
        writer.transport.abort()


@bp.get("/stream")
async def stream() -> DatastarResponse:
    pid = require_player()
    if request.headers.get("Last-Event-ID") == EVICTED:
        # This tab's stream was closed for a newer tab: 204 stops Datastar's retries.
        return DatastarResponse(status=204)
    invite = request.args.get("invite", "").upper()
    app: Quart = current_app._get_current_object()  # type: ignore[attr-defined]
    link = client_link()
    body = player_stream(app, services(), link, pid, invite if ROOM_CODE.match(invite) else None, request.host_url)
    gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    response = DatastarResponse(gzipped(body) if gzip else body)
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.timeout = None  # this response lives as long as the tab does
    return response


def accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0")
    return False


async def gzipped(events: AsyncIterator[str]) -> AsyncIterator[bytes]:
    """One gzip body for the stream's life, each event coded against what the
    reader decoded just before it (a new view is mostly the last one again),
    so an update costs a few dozen bytes. No compressor is kept per stream
    (zlib's would hold 40 KB): see `deflate_after`."""
    history = ""
    async with aclosing(events):
        async for event in events:
            packed = deflate_after(history, event)
            yield packed if history else GZIP_HEADER + packed
            # The next event's context: a view replaces it, so the streams sent
            # the same view (spectators) share the next compression; a
            # heartbeat extends it.
            history = (history + event)[-(1 << WINDOW_BITS):] if event == HEARTBEAT else event


@functools.lru_cache(maxsize=256)
def deflate_after(history: str, event: str) -> bytes:
    """`event` as raw deflate blocks that may refer back into `history`, the
    text the reader decoded last. Sync-flushed, they continue any deflate
    stream that ends with `history`: every stream sent the same history gets
    the same bytes, compressed once."""
    context = {"zdict": history.encode()[-(1 << WINDOW_BITS):]} if history else {}
    packer = zlib.compressobj(6, zlib.DEFLATED, -WINDOW_BITS, 8, **context)
    return packer.compress(event.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)


async def player_stream(
    app: Quart, svc: Services, link: ClientLink, pid: str, invite: str | None, base_url: str
) -> AsyncIterator[str]:
    # Not wrapped in stream_with_context, which leaves the inner generator
    # suspended when the response is closed: `aclosing` closes it at once, so
    # its `finally` (presence) runs now, not when the garbage collector runs.
    async with app.app_context(), aclosing(_player_events(svc, link, pid, invite, base_url)) as events:
        async for event in events:
            yield event


async def _player_events(
    svc: Services, link: ClientLink, pid: str, invite: str | None, base_url: str
) -> AsyncIterator[str]:
    conn = f"{now_ms():013d}-{secrets.token_urlsafe(6)}"  # sorts by opening time
    mailbox = Mailbox(conn, svc.store.keys.player_channel(pid))
    link.on_gone = mailbox.notify  # wake up, see the client is gone, end
    heartbeat = svc.store.settings.heartbeat_s
    try:
        await svc.presence.connect(pid, conn)
        yield LIVE  # the page's connection indicator (a retry fires no other event)
        sent, go_marked, own = "", None, None
        next_beat = time.monotonic() + heartbeat
        fresh_after = time.monotonic()
        while not link.gone:
            if mailbox.evicted:
                yield SSE.patch_elements(render_screen("evicted"), event_id=EVICTED)
                return
            if mailbox.own_changed or own is None:
                mailbox.own_changed = False
                own = await read_player(svc.store, pid)
            view = await load_view(svc.store, pid, invite, svc.snapshots, fresh_after, own)
            if view.channels != mailbox.channels:
                # Watch first, then read again, so no change slips in between.
                await svc.relay.watch(mailbox, view.channels)
                fresh_after, own = time.monotonic(), None
                continue
            if view.deadline:
                svc.timers.ensure(*view.deadline)
            event = view_event(view, base_url)
            if event != sent:
                sent = event
                yield event
            if view.go_round and view.go_round != go_marked:
                # GO has been handed to this player's connection: the buzz cap starts now.
                go_marked = view.go_round
                svc.go_receipts.delivered(*view.go_round, pid)
            while not link.gone:
                timeout = next_beat - time.monotonic()
                if view.wake_at_ms is not None:
                    timeout = min(timeout, (view.wake_at_ms - now_ms()) / 1000 + 0.05)
                if await mailbox.wait(max(timeout, 0)):
                    fresh_after = mailbox.woken_at
                    break
                if time.monotonic() < next_beat:
                    fresh_after = time.monotonic()
                    break  # a presence change is due: render again
                yield HEARTBEAT  # for proxies and the browser; presence needs none (see presence.py)
                next_beat = time.monotonic() + heartbeat
    except REDIS_DOWN as exc:
        # End the response; the browser retries until Redis is back.
        log.warning("stream ended, Redis unavailable: %s", exc)
    finally:
        await asyncio.shield(_close(svc, mailbox, pid, conn))


async def _close(svc: Services, mailbox: Mailbox, pid: str, conn: str) -> None:
    await svc.relay.drop(mailbox)
    try:
        await svc.presence.disconnect(pid, conn)
    except REDIS_DOWN:
        pass  # the connection's presence entry expires by itself
