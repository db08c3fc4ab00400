"""The page verb: whole HTML documents, rendered once; they never change state.

The page shows the player's current view straight away and opens the stream
that keeps it live. Its only side effect is handing a new browser its
session cookie (an identity, not game state).
"""

from __future__ import annotations

from quart import Blueprint, render_template, request, url_for

from game.identity import player_id
from game.services import services
from game.screens import render_view
from game.streams import ROOM_CODE
from game.views import load_view

bp = Blueprint("pages", __name__)


async def game_page(invite: str | None = None) -> str:
    pid = player_id(create=True)
    assert pid is not None
    view = await load_view(services().store, pid, invite)
    stream_url = url_for("streams.stream", invite=invite) if invite else url_for("streams.stream")
    return await render_template("game.html", view_html=render_view(view, request.host_url), stream_url=stream_url)


@bp.get("/")
async def index() -> str:
    return await game_page()


@bp.get("/r/<code>")
async def invite(code: str) -> str:
    """A shareable room link: the lobby shows an invitation to this room."""
    code = code.upper()
    return await game_page(code if ROOM_CODE.match(code) else None)
