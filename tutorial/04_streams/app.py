"""Chapter 4, fragments and the long-lived stream: one-shot, short, and open.

A one-shot response is one event; a short stream sends a few and ends; a
stream that stays open sends whenever something happens, and in between it
*waits* (on a flag, with a timeout for the heartbeat), costing nothing. Each
visitor has a bell of their own, in this process; chapter 5 puts Redis in
between. Beside them, live: a loop that never waits, a queue per stream, and
polling, each measured against the right way.

The game's streams (game/web/streams.py) also gzip their events, each one
deflated against the one before it, shared by every stream sent the same view
(game/web/compression.py): a game view is a few kilobytes, sent to thousands.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT). The game serves this same file at /tutorial/4, where
its limits on requests and new visitors apply too (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Quart, Response, abort, render_template, send_file, session, stream_with_context
from werkzeug.exceptions import HTTPException

TITLE = "4. Fragments and the long-lived stream"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")
HEARTBEAT_S = 15  # an idle stream sends a comment this often, so proxies and the browser keep it
HEARTBEAT = ": heartbeat\n\n"
BURN_S = 2.0  # how long each side of the busy-loop demo runs (bounded, so the demo is safe)
TICKS = 10  # seconds the polling and streaming demos each run

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)  # signs the cookie
app.config["RESPONSE_TIMEOUT"] = None  # a stream lives as long as its tab (Quart cuts any response at 60 s)


@app.errorhandler(HTTPException)
async def refused(error: HTTPException) -> Response:
    """A refusal is one sentence a person can read, as plain text."""
    return Response(error.description, error.code, content_type="text/plain; charset=utf-8")


@app.get("/")
async def page() -> str:
    session.setdefault("pid", secrets.token_urlsafe(16))  # who this browser is: in the signed cookie
    return await render_template("page.html", title=TITLE, burn_s=BURN_S, ticks=TICKS)


@app.get("/datastar.js")
async def datastar() -> Response:
    return await send_file(DATASTAR_JS, mimetype="text/javascript")


def visitor() -> str:
    pid = session.get("pid")
    if not isinstance(pid, str):
        abort(401, "No session: reload the page to get one.")
    return pid


async def fragment(which: str, **context: object) -> str:
    """One of the chapter's fragments (they share one template file)."""
    return await render_template("fragments.html", which=which, **context)


async def woken(flag: asyncio.Event, timeout: float) -> bool:
    """Wait until the flag is set (True, and lower it) or the timeout runs out (False)."""
    try:
        async with asyncio.timeout(timeout):
            await flag.wait()
    except TimeoutError:
        return False
    flag.clear()
    return True


def tab_left() -> bool:
    """Whether this stream was asked to stop. Quart cancels a stream whose tab left, but
    Hypercorn 0.18 can swallow that cancellation during a send; the request to stop is
    still counted on the task. (The game watches the connection itself: game/web/transport.py.)"""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# region once
@app.get("/once")
async def once() -> DatastarResponse:
    """One-shot: one event, and the response ends."""
    html = await fragment("once", at=datetime.now().strftime("%H:%M:%S"))
    return DatastarResponse(SSE.patch_elements(html))
# endregion


# region countdown
@app.get("/countdown")
async def countdown() -> DatastarResponse:
    """A short stream: a few events, spaced by a timer, then it ends."""
    @stream_with_context  # the generator runs after this handler returns: keep the request's context
    async def events() -> AsyncIterator[str]:
        for left in (3, 2, 1, 0):
            yield SSE.patch_elements(await fragment("countdown", left=left))
            if left:
                await asyncio.sleep(0.5)
    return DatastarResponse(events())
# endregion


# region bell
class Bell:
    """One visitor's bell: rings counted in this process, and a flag per listening tab."""

    def __init__(self) -> None:
        self.rings = 0
        self.listeners: set[asyncio.Event] = set()

    def wake_all(self) -> None:
        for flag in self.listeners:
            flag.set()  # a flag, not a queue: ten rings while a stream renders give one render


BELLS: dict[str, Bell] = {}  # visitor -> their bell, forgotten with their last listening tab


@app.post("/ring")
async def ring() -> Response:
    bell = BELLS.get(visitor())
    if bell is None:
        abort(409, "Join the bell room first.")
    bell.rings += 1
    bell.wake_all()
    return Response(status=204)
# endregion


# region join
@app.get("/join")
async def join() -> DatastarResponse:
    """A one-shot answer whose fragment holds the element that opens the stream."""
    return DatastarResponse(SSE.patch_elements(await fragment("room", joined=True)))


@app.get("/leave")
async def leave() -> DatastarResponse:
    """The stream's element leaves the page, and Datastar closes the stream."""
    return DatastarResponse(SSE.patch_elements(await fragment("room", joined=False)))
# endregion


# region stream
@app.get("/bell")
async def bell_stream() -> DatastarResponse:
    """Stays open: render, then wait until woken (or send a heartbeat), render again."""
    pid, flag = visitor(), asyncio.Event()
    bell = BELLS.setdefault(pid, Bell())
    bell.listeners.add(flag)
    bell.wake_all()  # your other tabs show one more listener

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        try:
            sent = ""
            while not tab_left():
                html = await fragment("bell", rings=bell.rings, listeners=len(bell.listeners))
                if html != sent:  # woken, but nothing new to show: send nothing
                    sent = html
                    yield SSE.patch_elements(html)
                if not await woken(flag, HEARTBEAT_S):  # asleep until rung: no CPU spent
                    yield HEARTBEAT
        finally:  # the tab left: Quart cancels the generator, and this runs
            bell.listeners.discard(flag)
            bell.wake_all()
            if not bell.listeners:
                BELLS.pop(pid, None)  # the next take starts from zero

    return DatastarResponse(events())
# endregion


# region busy-loop
busy_until = 0.0  # on the event loop's clock: when this process may run the busy loop again


@app.get("/busy")
async def busy() -> DatastarResponse:
    """The wrong way, on purpose: a stream kept "open" by a loop that never waits. A demo,
    not a load test: one run at a time in this process, then a rest as long as the run."""
    global busy_until
    loop = asyncio.get_running_loop()
    if loop.time() < busy_until:
        abort(409, "The busy loop ran a moment ago: try again in a few seconds.")
    busy_until = loop.time() + 2 * BURN_S

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        news, checks = asyncio.Event(), 0  # nothing will ever happen
        cpu, deadline = time.thread_time(), loop.time() + BURN_S
        while loop.time() < deadline:  # the real one: `while True:`
            checks += 1
            if news.is_set():  # anything new? no...
                break
            await asyncio.sleep(0)  # "yields", but asks to run again at once
        spent = time.thread_time() - cpu
        yield SSE.patch_elements(await fragment("burn", side="busy", cpu=spent, checks=checks, seconds=BURN_S))
    return DatastarResponse(events())


@app.get("/waiting")
async def waiting() -> DatastarResponse:
    """The right way: the same stream, asleep on an event until something happens."""
    @stream_with_context
    async def events() -> AsyncIterator[str]:
        news, cpu = asyncio.Event(), time.thread_time()
        woke = await woken(news, BURN_S)  # nothing happens: it sleeps the whole time
        spent = time.thread_time() - cpu
        yield SSE.patch_elements(await fragment("burn", side="waiting", cpu=spent, checks=int(woke), seconds=BURN_S))
    return DatastarResponse(events())
# endregion


# region queues
BURST, READ_S, RUN_S = 100, 0.05, 3.0  # 100 messages at once to readers that take 50 ms each, for 3 s


@app.get("/burst")
async def burst() -> DatastarResponse:
    """Three streams get the same 100 messages: a queue each way, and a flag."""
    @stream_with_context
    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        unbounded: asyncio.Queue[int] = asyncio.Queue()  # grows with every message a slow tab has not read
        bounded: asyncio.Queue[int] = asyncio.Queue(maxsize=10)  # full: the publisher waits for the reader
        flag = asyncio.Event()
        seen = {"queue": 0, "bounded": 0, "flag": 0, "renders": 0, "sent": 0, "bounded_sent": 0,
                "blocked": 0.0}  # what each reader shows, and what the publishers did

        async def read_queue(queue: asyncio.Queue[int], name: str) -> None:
            while True:
                seen[name] = await queue.get()
                await asyncio.sleep(READ_S)  # rendering and sending one view

        async def read_flag() -> None:
            while True:
                await flag.wait()
                flag.clear()
                seen["flag"] = seen["sent"]  # woken: read the latest state, whatever came before
                seen["renders"] += 1
                await asyncio.sleep(READ_S)

        async def publish() -> None:  # to the unbounded queue and the flag: it never waits
            for n in range(1, BURST + 1):
                seen["sent"] = n
                unbounded.put_nowait(n)
                flag.set()
                await asyncio.sleep(0)

        async def publish_bounded() -> None:  # the same messages to the bounded queue
            for n in range(1, BURST + 1):
                started = loop.time()
                await bounded.put(n)  # blocks while the slow reader's queue is full
                seen["blocked"] += loop.time() - started
                seen["bounded_sent"] = n

        jobs = (read_queue(unbounded, "queue"), read_queue(bounded, "bounded"), read_flag(), publish(), publish_bounded())
        tasks = [asyncio.create_task(job) for job in jobs]

        async def table(done: bool = False) -> str:
            return SSE.patch_elements(await fragment(
                "burst", seen=seen, backlog=unbounded.qsize(), total=BURST, seconds=RUN_S, done=done))

        try:
            deadline = loop.time() + RUN_S
            while loop.time() < deadline:
                yield await table()
                await asyncio.sleep(0.25)
            yield await table(done=True)
        finally:
            for task in tasks:
                task.cancel()
    return DatastarResponse(events())
# endregion


# region polling
@app.get("/poll")
async def poll() -> DatastarResponse:
    """Polling: the page asks every second, whether or not anything changed."""
    html = await fragment("tick", how="poll", at=datetime.now().strftime("%H:%M:%S"))
    return DatastarResponse(SSE.patch_elements(html))


@app.get("/ticker")
async def ticker() -> DatastarResponse:
    """One stream: the server sends when there is news (here, each second), on one connection."""
    @stream_with_context
    async def events() -> AsyncIterator[str]:
        for _ in range(TICKS):
            html = await fragment("tick", how="stream", at=datetime.now().strftime("%H:%M:%S"))
            yield SSE.patch_elements(html)
            await asyncio.sleep(1)
    return DatastarResponse(events())
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
