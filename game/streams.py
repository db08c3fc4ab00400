"""The stream verb: one long-lived SSE response per tab, this player's view.

Woken through the relay, the stream re-reads Redis and renders the whole view;
an unchanged render is not sent. It never writes game state: only presence
and the moment GO reached this player (delivery bookkeeping).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, render_template, request, stream_with_context

from game.identity import require_player
from game.relay import Mailbox
from game.services import Services, services
from game.views import View, load_view, now_ms

bp = Blueprint("streams", __name__)

ROOM_CODE = re.compile(r"^[A-Z0-9]{5}$")
HEARTBEAT = ": heartbeat\n\n"


@bp.get("/stream")
async def stream() -> DatastarResponse:
    pid = require_player()
    invite = request.args.get("invite", "").upper()
    body = stream_with_context(player_stream)(services(), pid, invite if ROOM_CODE.match(invite) else None)
    response = DatastarResponse(body)
    response.timeout = None  # this response lives as long as the tab does
    return response


async def render_view(view: View) -> str:
    return await render_template(f"screens/{view.screen}.html", **view.context)


async def player_stream(svc: Services, pid: str, invite: str | None) -> AsyncIterator[str]:
    conn = secrets.token_urlsafe(8)
    mailbox = Mailbox()
    heartbeat = svc.store.settings.heartbeat_s
    await svc.presence.connect(pid, conn)
    try:
        sent, go_marked = "", None
        next_beat = time.monotonic() + heartbeat
        while True:
            view = await load_view(svc.store, pid, invite)
            if view.channels != mailbox.channels:
                # Watch first, then read again, so no change slips in between.
                await svc.relay.watch(mailbox, view.channels)
                continue
            if view.deadline:
                svc.timers.ensure(*view.deadline)
            html = await render_view(view)
            if html != sent:
                sent = html
                yield SSE.patch_elements(html)
            if view.go_round and view.go_round != go_marked:
                # GO has been handed to this player's connection: the buzz cap starts now.
                go_marked = view.go_round
                await svc.store.run("go_sent", pid=pid, code=view.go_round[0], rid=view.go_round[1])
            while True:
                timeout = next_beat - time.monotonic()
                if view.wake_at_ms is not None:
                    timeout = min(timeout, (view.wake_at_ms - now_ms()) / 1000 + 0.05)
                if await mailbox.wait(max(timeout, 0)):
                    break
                if time.monotonic() < next_beat:
                    break  # a presence change is due: render again
                yield HEARTBEAT
                next_beat = time.monotonic() + heartbeat
                await svc.presence.connect(pid, conn)
    finally:
        await asyncio.shield(_close(svc, mailbox, pid, conn))


async def _close(svc: Services, mailbox: Mailbox, pid: str, conn: str) -> None:
    await svc.relay.drop(mailbox)
    await svc.presence.disconnect(pid, conn)
