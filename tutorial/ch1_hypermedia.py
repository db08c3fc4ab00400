"""Chapter 1, hypermedia: a button asks the server for HTML, and Datastar patches it in.

One request, one answer: a `datastar-patch-elements` event carrying a fragment
whose id names the element it replaces. No JSON to turn into markup, no
template in the browser: the server renders HTML, the page shows it.
"""

from __future__ import annotations

from datetime import datetime

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, render_template

from tutorial.common import Chapter

bp = Blueprint("tutorial_1", __name__, url_prefix="/tutorial/1")
CHAPTER = Chapter(1, __file__)


@bp.get("")
async def page() -> str:
    return await CHAPTER.page()


# region hello
@bp.get("/hello")
async def hello() -> DatastarResponse:
    """A read (GET, nothing changes): render a fragment and send it as one event."""
    now = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    html = await render_template("tutorial/ch1_hypermedia_hello.html", now=now)
    return DatastarResponse(SSE.patch_elements(html))
# endregion
