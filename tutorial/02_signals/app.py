"""Chapter 2, signals: state the page keeps, bound to inputs, sent with every request.

`data-bind` ties an input to a signal and `data-text` shows it back, in the
browser alone. An action sends the signals along (a GET in the `datastar`
query parameter, a POST as its JSON body), so the server reads them; it may
answer with a signal patch of its own. Signals are user input: never a
secret, never who you are. Who you are is in the signed session cookie.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT). The game serves this same file at /tutorial/2, where
its limits on requests and new visitors apply too (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE, read_signals
from quart import Quart, Response, abort, render_template, request, send_file, session
from werkzeug.exceptions import HTTPException

TITLE = "2. Signals"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")
PASSWORD = "open sesame"  # the demo's one password, shown on the page: a real one is a salted hash

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)  # signs the cookie


@app.errorhandler(HTTPException)
async def refused(error: HTTPException) -> Response:
    """A refusal is one sentence a person can read, as plain text."""
    return Response(error.description, error.code, content_type="text/plain; charset=utf-8")


@app.get("/")
async def page() -> str:
    return await render_template("page.html", title=TITLE, signed_in=session.get("signed_in"))


@app.get("/datastar.js")
async def datastar() -> Response:
    return await send_file(DATASTAR_JS, mimetype="text/javascript")


async def signals() -> dict[str, Any]:
    """The signals Datastar sent: user input like any other, checked before use."""
    try:
        data = await read_signals()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        abort(400, "The signals must be JSON.")
    if not isinstance(data, dict | None):
        abort(400, "The signals must be a JSON object.")
    return data or {}


def text_field(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        abort(400, f"'{name}' must be text of at most {limit} characters.")
    return value


# region echo
@app.get("/echo")
async def echo() -> DatastarResponse:
    """Read the signals the page sent; answer with a fragment and a signal patch."""
    received = await signals()
    who = text_field(received, "who", 40).strip() or "stranger"
    html = await render_template("echo.html", received=json.dumps(received))
    return DatastarResponse([
        SSE.patch_elements(html),
        SSE.patch_signals({"reply": f"Hello, {who}! ({len(who)} characters, counted on the server)"}),
    ])
# endregion


# region sign-in
@app.post("/sign-in")
async def sign_in() -> DatastarResponse:
    """A form post (not signals): the password travels once, in this body, and is never kept."""
    form = await request.form
    name, password = form.get("name", "").strip(), form.get("password", "")
    if not 1 <= len(name) <= 20:
        abort(400, "Type a name of 1 to 20 characters.")
    if not hmac.compare_digest(password.encode(), PASSWORD.encode()):
        abort(403, "Wrong password.")
    session["signed_in"] = name  # who you are lives in the signed cookie from now on
    return DatastarResponse(SSE.patch_elements(await render_template("whoami.html", signed_in=name)))
# endregion


# region whoami
@app.get("/whoami")
async def whoami() -> DatastarResponse:
    """Who is asking comes from the signed cookie; a `user` signal is only something the page said."""
    claimed = text_field(await signals(), "user", 40)
    html = await render_template("whoami.html", signed_in=session.get("signed_in"), claimed=claimed)
    return DatastarResponse(SSE.patch_elements(html))
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
