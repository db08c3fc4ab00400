"""The page verb: whole HTML documents, rendered once; they never change state.

The page shows the player's current view straight away and opens the stream
that keeps it live. Its only side effect is handing a new browser its
session cookie (an identity, not game state).
"""

from __future__ import annotations

from quart import Blueprint, abort, render_template, request, url_for

from game.reads import load_view, read_room
from game.rules import room_code
from game.web import limits
from game.views import gone_view, screen_view
from game.web.context import services
from game.web.screens import render_view

bp = Blueprint("pages", __name__)


async def game_page(invite: str | None = None) -> str:
    pid = await limits.player_or_new()
    svc = services()
    view = await load_view(svc.store, svc.settings, pid, invite)
    stream_url = url_for("streams.stream", invite=invite) if invite else url_for("streams.stream")
    return await render_template("game.html", view_html=render_view(view, request.host_url), stream_url=stream_url)


@bp.get("/")
async def index() -> str:
    return await game_page()


@bp.get("/r/<code>")
async def invite(code: str) -> str:
    """A shareable room link: the lobby shows an invitation to this room. Opening
    one tells whether a room exists, so links are limited per address (codes
    cannot be probed)."""
    await limits.check_room_link()
    return await game_page(room_code(code))


@bp.get("/r/<code>/screen")
async def big_screen(code: str) -> str:
    """A room on a TV or a projector: it needs no name and takes no seat."""
    await limits.check_room_link()
    found = room_code(code)
    if found is None:
        abort(404, "There is no room with that code.")
    svc = services()
    room = await read_room(svc.store, found)
    view = screen_view(room, svc.settings, frozenset()) if room else gone_view(found, frozenset())
    stream_url = url_for("streams.screen_stream", code=found)
    return await render_template("tv.html", view_html=render_view(view, request.host_url), stream_url=stream_url,
                                 code=found)
