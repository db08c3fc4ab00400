"""Chapter 2, signals: state the page keeps, bound to inputs, sent with every request.

`data-bind` ties an input to a signal and `data-text` shows it back, in the
browser alone. An action sends the signals along (a GET in the `datastar`
query parameter, a POST as its JSON body), so the server reads them; it may
answer with a signal patch of its own.
"""

from __future__ import annotations

import json

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, render_template

from tutorial.common import Chapter, signals, text_field
from tutorial.source import highlighted

bp = Blueprint("tutorial_2", __name__, url_prefix="/tutorial/2")
CHAPTER = Chapter(2, __file__)

# region secret-in-signals
# Never write this. Signals are page state: anyone can read them in the page,
# and every request carries them. A secret stays on the server (the session
# says who is asking); the page holds nothing it could leak.
SECRET_IN_SIGNALS = """\
<div data-signals="{adminToken: 'hunter2'}">
  <button data-on:click="@post('/admin/reset', {payload: {token: $adminToken}})">
    Reset the game
  </button>
</div>
"""
# endregion


@bp.get("")
async def page() -> str:
    return await CHAPTER.page(secret_in_signals=highlighted(SECRET_IN_SIGNALS, "html"))


# region echo
@bp.get("/echo")
async def echo() -> DatastarResponse:
    """Read the signals the page sent; answer with a fragment and a signal patch."""
    received = await signals()
    who = text_field(received, "who", 40).strip() or "stranger"
    html = await render_template("tutorial/ch2_signals_echo.html", received=json.dumps(received))
    return DatastarResponse([
        SSE.patch_elements(html),
        SSE.patch_signals({"reply": f"Hello, {who}! ({len(who)} characters, counted on the server)"}),
    ])
# endregion
