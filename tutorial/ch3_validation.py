"""Chapter 3, server validation with signals: the server says whether a name is
acceptable as you type, and says it again when you submit.

The check is a short POST, debounced, answered by one signal patch; nothing is
stored and no stream stays open. The submit is validated from scratch: the
check may never have run, and a request can be sent without the page at all.
The rules are the game's own (game.names.clean_name).
"""

from __future__ import annotations

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, render_template

from game.names import clean_name
from tutorial.common import Chapter, signals

bp = Blueprint("tutorial_3", __name__, url_prefix="/tutorial/3")
CHAPTER = Chapter(3, __file__)


@bp.get("")
async def page() -> str:
    return await CHAPTER.page()


# region check
@bp.post("/check")
async def check() -> DatastarResponse:
    """As you type: one signal patch with the problem, or "" when the name is fine."""
    _, problem = clean_name((await signals()).get("name"))
    return DatastarResponse(SSE.patch_signals({"nameError": problem}))
# endregion


# region submit
@bp.post("/submit")
async def submit() -> DatastarResponse:
    """The same rules again: the server never assumes the check ran or was obeyed."""
    name, problem = clean_name((await signals()).get("name"))
    if name is None:
        return DatastarResponse(SSE.patch_signals({"nameError": problem}))
    html = await render_template("tutorial/ch3_validation_welcome.html", name=name)
    return DatastarResponse([SSE.patch_signals({"nameError": ""}), SSE.patch_elements(html)])
# endregion
