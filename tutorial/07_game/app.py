"""Chapter 7, the whole game: one buzz from the component to every screen, and
a move crossing between two processes.

The walk-through points at the game's real modules (TOUR: where each step's
code starts and ends); mounted at /tutorial/7, the source panel shows them as
they run. The live part is this chapter's own: a move is accepted by whichever
process gets the POST, stored and published in one Redis script, and every
process's one subscriber wakes its streams, which may be on another process.
That is what `docker compose up --scale app=3` relies on: three app processes
behind one proxy, one Redis between them.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT). For two processes, give both the same REDIS_URL and
different ports: `REDIS_URL=redis://127.0.0.1:6379/0 PORT=8001 python app.py`.
Without REDIS_URL it runs on an embedded Redis, for this one process alone.
Standalone, nothing limits how often a move is made; the game serves this
same file at /tutorial/7 under its limits on requests (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from fakeredis import FakeAsyncRedis
from quart import Quart, Response, render_template, send_file, stream_with_context
from redis.asyncio import Redis

TITLE = "7. The whole game"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")
HEARTBEAT_S = 15  # an idle stream sends a comment this often, so proxies and the browser keep it
KEY_TTL_S = 3600  # the moves expire an hour after the last one
SHOWN = 5  # moves kept and shown
PROCESS = f"process {os.getpid()}"  # which app process this is

# The buzz's way through the game: (file, what the step does, its first line, its last line) as regexes.
TOUR = {
    "tour-press": ("components/reflex-buzzer.js", "the component measures the press and dispatches `buzz`",
                   r"^\s*_press\(at\) \{", r"^  \}$"),
    "tour-listener": ("templates/screens/room_you.html",
                      "the player's own part of the room posts it to the buzz command",
                      r"<reflex-buzzer id=\"buzzer\"", r"data-on:buzz="),
    "tour-command": ("game/web/commands.py", "the command checks the body and runs one script",
                     r'^@bp\.post\("/rooms/<code>/buzz"\)', r"^    return done\(\)"),
    "tour-script": ("game/lua/room/buzz.lua", "the script judges the press inside Redis and publishes",
                    r"^-- A player's press", r"^return finish\(\{ok = true, result = result\}\)"),
    "tour-relay": ("game/relay.py", "each process's one subscriber wakes the streams watching the room",
                   r"def deliver\(", r"mailbox\.notify\(channel\)"),
    "tour-stream": ("game/web/streams.py", "each stream re-reads the room and sends its player's view",
                    r"^\s*while link\.alive:", r"^\s*yield event$"),
}

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config.update(
    REDIS_URL=os.environ.get("REDIS_URL"),  # unset: an embedded Redis, for this process alone
    KEY_PREFIX=os.environ.get("KEY_PREFIX", "tut:7:"),  # every key and channel of the chapter starts with it
    OWN_SUBSCRIBER=True,  # listen to Redis pub/sub itself (the game, mounting it, listens for it)
    RESPONSE_TIMEOUT=None,  # a stream lives as long as its tab (Quart cuts any response at 60 s)
)


def key(name: str) -> str:
    return app.config["KEY_PREFIX"] + name


# region relay
CHANNEL = "moves:channel"  # (after the key prefix) where every move is announced
WATCHING: set[asyncio.Event] = set()  # a wake-up flag per stream of this process


def wake_all() -> None:
    for flag in WATCHING:
        flag.set()


async def listen(redis: Redis) -> None:
    """This process's one subscriber (chapter 5's relay): a move wakes every stream here.
    Mounted in the game, the game's relay carries the channel and calls wake_all."""
    async with redis.pubsub() as pubsub:
        await pubsub.ssubscribe(key(CHANNEL))
        async for message in pubsub.listen():
            if message["type"] == "smessage":
                wake_all()


@app.while_serving
async def redis_and_subscriber() -> AsyncIterator[None]:
    url = app.config["REDIS_URL"]
    redis = Redis.from_url(url, decode_responses=True) if url else FakeAsyncRedis(decode_responses=True)
    app.extensions["redis"] = redis
    listener = asyncio.create_task(listen(redis)) if app.config["OWN_SUBSCRIBER"] else None
    yield
    if listener:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    await redis.aclose()
# endregion


@app.get("/")
async def page() -> str:
    return await render_template("page.html", title=TITLE, tour=TOUR, process=PROCESS)


@app.get("/datastar.js")
async def datastar() -> Response:
    return await send_file(DATASTAR_JS, mimetype="text/javascript")


# region move
# KEYS: counter, list of recent moves; ARGV: the process, ttl, how many to keep, channel.
MOVE = """
local n = redis.call('INCR', KEYS[1])
redis.call('LPUSH', KEYS[2], n .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SPUBLISH', ARGV[4], n)
return n
"""


@app.post("/move")
async def move() -> Response:
    """Accepted by whichever process got the request; every process's streams hear of it."""
    redis: Redis = app.extensions["redis"]
    keys = (key("moves:count"), key("moves"))
    await redis.eval(MOVE, len(keys), *keys, PROCESS, KEY_TTL_S, SHOWN, key(CHANNEL))
    return Response(status=204)
# endregion


# region stream
@app.get("/moves")
async def moves() -> DatastarResponse:
    flag = asyncio.Event()

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        WATCHING.add(flag)
        try:
            while not tab_left():  # the view again on every move, and every HEARTBEAT_S (proxies wait for it)
                yield SSE.patch_elements(await view())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(HEARTBEAT_S):
                        await flag.wait()
                flag.clear()
        finally:
            WATCHING.discard(flag)

    return DatastarResponse(events())


def tab_left() -> bool:
    """Whether this stream was asked to stop. Quart cancels a stream whose tab left, but
    Hypercorn 0.18 can swallow that cancellation during a send; the request to stop is
    still counted on the task. (The game watches the connection itself: game/web/transport.py.)"""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def view() -> str:
    """The recent moves, read from Redis: who accepted each, and who shows it to you."""
    redis: Redis = app.extensions["redis"]
    recent = [entry.split("|", 1) for entry in await redis.lrange(key("moves"), 0, SHOWN - 1)]
    [(_, listening)] = await redis.pubsub_shardnumsub(key(CHANNEL))
    return await render_template("moves.html", moves=recent, process=PROCESS, listening=listening)
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
