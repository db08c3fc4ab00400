"""Chapter 3, server validation with signals: the server says whether a name is
acceptable as you type, and says it again when you submit.

The check is a short POST, debounced, answered by one signal patch; nothing is
stored and no stream stays open. The submit is validated from scratch: the
check may never have run, and a request can be sent without the page at all.
Beside it, the wrong way, live: a stream opened on every keystroke.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT). The game serves this same file at /tutorial/3, where
its limits on requests and new visitors apply too (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import asyncio
import os
import secrets
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE, read_signals
from quart import Quart, Response, abort, render_template, send_file, session, stream_with_context
from werkzeug.exceptions import HTTPException

TITLE = "3. Server validation with signals"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")
MAX_NAME = 20
# Control, format (zero-width and bidi tricks), surrogate, private-use,
# unassigned, and line/paragraph separators are not visible characters.
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
LIVE_S = 5  # how long the wrong way's each stream stays open (bounded, so the demo is safe)
LIVE_CAP = 10  # and how many one visitor may have open at once

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)  # signs the cookie


@app.errorhandler(HTTPException)
async def refused(error: HTTPException) -> Response:
    """A refusal is one sentence a person can read, as plain text."""
    return Response(error.description, error.code, content_type="text/plain; charset=utf-8")


@app.get("/")
async def page() -> str:
    session.setdefault("pid", secrets.token_urlsafe(16))  # who this browser is: in the signed cookie
    return await render_template("page.html", title=TITLE, live_s=LIVE_S, live_cap=LIVE_CAP)


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


# region rules
def clean_name(raw: object) -> tuple[str | None, str]:
    """(name, "") when acceptable, else (None, a message for the person typing)."""
    if not isinstance(raw, str):
        return None, "Type a name."
    name = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in INVISIBLE for ch in name):
        return None, "Names cannot contain control or invisible characters."
    name = " ".join(name.split())  # one space between words
    if not name:
        return None, "Type a name."
    if len(name) > MAX_NAME:
        return None, f"At most {MAX_NAME} characters, please."
    return name, ""
# endregion


# region check
@app.post("/check")
async def check() -> DatastarResponse:
    """As you type: one signal patch with the problem, or "" when the name is fine."""
    _, problem = clean_name((await signals()).get("name"))
    return DatastarResponse(SSE.patch_signals({"nameError": problem}))
# endregion


# region submit
@app.post("/submit")
async def submit() -> DatastarResponse:
    """The same rules again: the server never assumes the check ran or was obeyed."""
    name, problem = clean_name((await signals()).get("name"))
    if name is None:
        return DatastarResponse(SSE.patch_signals({"nameError": problem}))
    html = await render_template("welcome.html", name=name)
    return DatastarResponse([SSE.patch_signals({"nameError": ""}), SSE.patch_elements(html)])
# endregion


# region live-check
OPEN: dict[str, set[asyncio.Event]] = {}  # visitor -> a wake-up flag per live-check stream open now


def wake(flags: set[asyncio.Event]) -> None:
    for flag in flags:
        flag.set()


@app.get("/live-check")
async def live_check() -> DatastarResponse:
    """The wrong way, on purpose: the page opens this on every keystroke, and each one
    stays open (LIVE_S seconds here; a real one, until the tab closes)."""
    pid = session.get("pid") or abort(401, "No session: reload the page to get one.")
    flags = OPEN.setdefault(pid, set())
    if len(flags) >= LIVE_CAP:
        abort(429, f"{LIVE_CAP} live checks are already open for you: this is the pitfall.")
    flag = asyncio.Event()
    flags.add(flag)
    wake(flags)  # every stream of this visitor shows the new count

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        deadline = asyncio.get_running_loop().time() + LIVE_S
        sent = ""
        try:
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                html = await render_template("live.html", open=len(flags))
                if html != sent:  # woken, but the count is what this tab shows already
                    sent = html
                    yield SSE.patch_elements(html)
                try:
                    async with asyncio.timeout(left):
                        await flag.wait()
                except TimeoutError:
                    break
                flag.clear()
            yield SSE.patch_elements(await render_template("live.html", open=len(flags) - 1))
        finally:
            flags.discard(flag)
            wake(flags)
            if not flags:
                OPEN.pop(pid, None)  # nothing kept for a visitor with nothing open

    return DatastarResponse(events())
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
