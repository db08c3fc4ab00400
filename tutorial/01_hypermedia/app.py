"""Chapter 1, hypermedia: a button asks the server for HTML, and Datastar patches it in.

One request, one answer: a `datastar-patch-elements` event carrying a fragment
whose id names the element it replaces. No JSON to turn into markup, no
template in the browser: the server renders HTML, the page shows it.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT). The game serves this same file at /tutorial/1.
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Quart, Response, render_template, send_file

TITLE = "1. Hypermedia"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line


@app.get("/")
async def page() -> str:
    return await render_template("page.html", title=TITLE)


@app.get("/datastar.js")
async def datastar() -> Response:
    return await send_file(DATASTAR_JS, mimetype="text/javascript")


# region hello
@app.get("/hello")
async def hello() -> DatastarResponse:
    """A read (GET, nothing changes): render a fragment and send it as one event."""
    now = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    html = await render_template("hello.html", now=now)
    return DatastarResponse(SSE.patch_elements(html))
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
