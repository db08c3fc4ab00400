"""The stream verb: one long-lived SSE response per tab, this player's view.

Open (register presence), then loop: wake (a message through the relay, a
heartbeat, a presence change falling due), read Redis, render the whole view,
send it unless it is what was sent last. Close (unregister). It never writes
game state: only presence and the moment GO reached this player (delivery
bookkeeping).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, Quart, Response, abort, current_app, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game.reads import load_view, read_player, read_room
from game.relay import Mailbox
from game.rules import room_code
from game.services import Services
from game.snapshots import PlayerState
from game.views import View, gone_view, screen_view
from game.web.compression import compress
from game.web import limits
from game.web.context import no_content, services
from game.web.identity import require_player
from game.web.screens import Sent, render_screen, updates
from game.web.transport import Client, client

bp = Blueprint("streams", __name__)
log = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

HEARTBEAT = ": heartbeat\n\n"
EVICTED = "evicted"
LIVE = SSE.patch_signals({"conn": "live"})


@bp.get("/stream")
async def stream() -> Response:
    """What game/web/asgi_stream.py passes on: refusals, invitations, an evicted tab's retry."""
    pid = require_player()
    if request.headers.get("Last-Event-ID") == EVICTED:
        # This tab's stream was closed for a newer tab: 204 stops Datastar's retries.
        return no_content()
    invite = room_code(request.args.get("invite", ""))
    if invite:
        await limits.check_room_link()  # the invitation shows whether the room exists
    return _respond(player_events(services(), client(), pid, limits.address_tag(), invite, request.host_url))


@bp.get("/r/<code>/screen/stream")
async def screen_stream(code: str) -> DatastarResponse:
    """A room's big screen: it watches, takes no seat and needs no name."""
    found = room_code(code)
    if found is None:
        abort(404, "There is no room with that code.")
    await limits.check_room_link()
    return _respond(_screen_events(services(), client(), found, request.host_url))


def _respond(events: AsyncIterator[str]) -> DatastarResponse:
    app: Quart = current_app._get_current_object()  # type: ignore[attr-defined]
    body, headers = compress(_in_app(app, events), request.headers.get("Accept-Encoding", ""))
    response = DatastarResponse(body)
    response.headers.update(headers)
    response.timeout = None  # this response lives as long as the tab does
    return response


async def _in_app(app: Quart, events: AsyncIterator[str]) -> AsyncIterator[str]:
    # Not wrapped in stream_with_context, which leaves the inner generator
    # suspended when the response is closed: `aclosing` closes it at once, so
    # its `finally` (presence) runs now, not when the garbage collector runs.
    async with app.app_context(), aclosing(events):
        async for event in events:
            yield event


async def player_events(
    svc: Services, link: Client, pid: str, addr: str, invite: str | None, base_url: str
) -> AsyncIterator[str]:
    stream_id = secrets.token_urlsafe(9)
    mailbox = Mailbox(stream_id, svc.store.keys.player_channel(pid))
    link.on_gone(mailbox.notify)  # wake up, see the client is gone, end
    own: PlayerState | None = None
    noted: tuple[str, str, str] | None = None

    async def player_view(fresh_after: float) -> View:
        nonlocal own
        if mailbox.own_changed or own is None:
            mailbox.own_changed = False
            own = await read_player(svc.store, pid)
        return await load_view(svc.store, svc.settings, pid, invite, svc.snapshots, fresh_after, own)

    def shown(view: View) -> None:
        nonlocal noted
        if view.receipt and view.receipt != noted:
            # "Get ready" or GO has been handed to this player's connection.
            noted = view.receipt
            svc.receipts.delivered(*view.receipt, pid)

    try:
        await svc.presence.connect(pid, stream_id, addr)
        yield LIVE  # the page's connection indicator (a retry fires no other event)
        async for event in _follow(svc, link, mailbox, player_view, shown, base_url):
            yield event
    except REDIS_DOWN as exc:
        # End the response; the browser retries until Redis is back.
        log.warning("stream ended, Redis unavailable: %s", exc)
    finally:
        await asyncio.shield(_close(svc, mailbox, pid, stream_id))


async def _screen_events(svc: Services, link: Client, code: str, base_url: str) -> AsyncIterator[str]:
    mailbox = Mailbox()
    link.on_gone(mailbox.notify)
    channels = frozenset({svc.store.keys.room_channel(code)})

    async def screen(fresh_after: float) -> View:
        room = await svc.snapshots.get(f"room:{code}", fresh_after, lambda: read_room(svc.store, code))
        return screen_view(room, svc.settings, channels) if room else gone_view(code, channels)

    try:
        yield LIVE
        async for event in _follow(svc, link, mailbox, screen, lambda view: None, base_url):
            yield event
    except REDIS_DOWN as exc:
        log.warning("screen stream ended, Redis unavailable: %s", exc)
    finally:
        await asyncio.shield(svc.relay.drop(mailbox))


async def _follow(
    svc: Services, link: Client, mailbox: Mailbox, load: Callable[[float], Awaitable[View]],
    shown: Callable[[View], None], base_url: str,
) -> AsyncIterator[str]:
    """Wake, read, render, send what changed, sleep: until the client is gone.

    Woken by a message (the relay), or when a presence change falls due, or
    for the heartbeat. A read may be shared, but never one that started before
    the message that woke this stream (`fresh_after`)."""
    heartbeat = svc.settings.heartbeat_s
    sent = Sent()
    next_beat = time.monotonic() + heartbeat
    fresh_after = time.monotonic()
    while link.alive:
        if mailbox.evicted:
            yield SSE.patch_elements(render_screen("evicted"), event_id=EVICTED)
            return
        view = await load(fresh_after)
        if view.channels != mailbox.channels:
            # Watch first, then read again, so no change slips in between.
            await svc.relay.watch(mailbox, view.channels)
            fresh_after, mailbox.own_changed = time.monotonic(), True
            continue
        if view.deadline:
            svc.timers.ensure(view.deadline)
        for event in updates(view, base_url, sent):  # only what changed
            yield event
            next_beat = time.monotonic() + heartbeat  # a stream that sends needs no heartbeat
        shown(view)
        look_again = None if view.wake_in_ms is None else time.monotonic() + view.wake_in_ms / 1000 + 0.05
        while link.alive:
            timeout = min(next_beat, look_again or next_beat) - time.monotonic()
            if await mailbox.wait(max(timeout, 0)):
                fresh_after = mailbox.woken_at
                break
            if time.monotonic() < next_beat:
                fresh_after = time.monotonic()
                break  # a presence change is due: render again
            yield HEARTBEAT  # for proxies and the browser; presence needs none (see game/presence.py)
            next_beat = time.monotonic() + heartbeat


async def _close(svc: Services, mailbox: Mailbox, pid: str, stream_id: str) -> None:
    await svc.relay.drop(mailbox)
    try:
        await svc.presence.disconnect(pid, stream_id)
    except REDIS_DOWN:
        pass  # the stream's presence entry expires by itself
