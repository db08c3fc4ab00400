"""Chapter 4, fragments and the long-lived stream: one-shot, short, and open.

A one-shot response is one event; a short stream sends a few and ends; a
stream that stays open sends whenever something happens, and in between it
*waits* (on a mailbox, with a timeout for the heartbeat), costing nothing.
The bell here lives in this process; chapter 5 puts Redis in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, Response, render_template

from game.relay import Mailbox
from game.web.context import services
from game.web.streams import HEARTBEAT
from tutorial.common import Chapter, sse
from tutorial.source import highlighted

bp = Blueprint("tutorial_4", __name__, url_prefix="/tutorial/4")
CHAPTER = Chapter(4, __file__)
FRAGMENTS = "tutorial/ch4_streams_fragments.html"

# region busy-loop
# Never write this: nothing in the loop waits for anything to happen, so it
# renders and sends as fast as the CPU and the socket allow, forever.
BUSY_LOOP = """\
async def events():
    while True:                       # no await on a mailbox, a message or a timer
        html = await render_bell()    # the same fragment, again and again
        yield SSE.patch_elements(html)
"""
# endregion


@bp.get("")
async def page() -> str:
    return await CHAPTER.page(busy_loop=highlighted(BUSY_LOOP, "python"))


async def fragment(which: str, **context: object) -> str:
    """One of the chapter's fragments (they share one template file)."""
    return await render_template(FRAGMENTS, which=which, **context)


# region once
@bp.get("/once")
async def once() -> DatastarResponse:
    """One-shot: one event, and the response ends."""
    return DatastarResponse(SSE.patch_elements(await fragment("once", at=datetime.now().strftime("%H:%M:%S"))))
# endregion


# region countdown
@bp.get("/countdown")
async def countdown() -> DatastarResponse:
    """A short stream: a few events, spaced by a timer, then it ends."""
    async def events() -> AsyncIterator[str]:
        for left in (3, 2, 1, 0):
            yield SSE.patch_elements(await fragment("countdown", left=left))
            if left:
                await asyncio.sleep(0.5)
    return sse(events())
# endregion


# region bell
class Bell:
    """Rings counted in this process; each listening stream has a mailbox."""

    def __init__(self) -> None:
        self.rings = 0
        self.listeners: set[Mailbox] = set()

    def wake_all(self) -> None:
        for mailbox in self.listeners:
            mailbox.notify()  # sets a flag: ten rings while a stream renders give one render


BELL = Bell()


@bp.post("/ring")
async def ring() -> Response:
    BELL.rings += 1
    BELL.wake_all()
    return Response(status=204)
# endregion


# region join
@bp.get("/join")
async def join() -> DatastarResponse:
    """A one-shot answer whose fragment holds the element that opens the stream."""
    return DatastarResponse(SSE.patch_elements(await fragment("room", joined=True)))


@bp.get("/leave")
async def leave() -> DatastarResponse:
    """The stream's element leaves the page, and Datastar closes the stream."""
    return DatastarResponse(SSE.patch_elements(await fragment("room", joined=False)))
# endregion


# region stream
@bp.get("/bell")
async def bell_stream() -> DatastarResponse:
    """Stays open: render, then wait until woken (or send a heartbeat), render again."""
    mailbox, heartbeat = Mailbox(), services().settings.heartbeat_s

    async def events() -> AsyncIterator[str]:
        BELL.listeners.add(mailbox)
        BELL.wake_all()  # the others show one more listener
        try:
            sent = ""
            while True:
                html = await fragment("bell", rings=BELL.rings, listeners=len(BELL.listeners))
                if html != sent:  # woken, but nothing new to show: send nothing
                    sent = html
                    yield SSE.patch_elements(html)
                while not await mailbox.wait(heartbeat):  # asleep until rung: no CPU spent
                    yield HEARTBEAT
        finally:
            BELL.listeners.discard(mailbox)
            BELL.wake_all()

    return sse(events(), wake=mailbox)
# endregion
