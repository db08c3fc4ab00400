"""Chapter 5, a room over Redis pub/sub: two tabs, one room, a view each.

A command is a POST that changes Redis in one script (check, write and
SPUBLISH together) and answers 204. The process's relay, one subscriber
connection however many streams, wakes each watching stream through its flag;
the stream re-reads Redis and renders its own player's view. A second process
has a relay of its own, and Redis delivers each message to both. Sharded pub/sub
(SPUBLISH, SSUBSCRIBE) keeps a channel's messages on the one shard of a Redis
Cluster that owns it; on a single Redis the same commands work.

This is the simple, honest version. The game's relay (game/relay.py) also
watches a channel per room and per player, resubscribes after Redis restarts
and closes one stream by its id; its presence (game/presence.py) holds a lease
per process, so the streams of a process that died stop counting; and its
six-tab cap closes the oldest tab instead of refusing the newest.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT), on the Redis at REDIS_URL, or on an embedded one (this
process alone) without it. The game serves this same file at /tutorial/5, where
its limits on requests and new visitors apply too (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE, read_signals
from fakeredis import FakeAsyncRedis
from quart import Quart, Response, abort, render_template, send_file, session, stream_with_context
from redis.asyncio import Redis
from werkzeug.exceptions import HTTPException

TITLE = "5. A room over Redis pub/sub"
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or Path(__file__).parents[2] / "static/vendor/datastar.js")
if not DATASTAR_JS.is_file():
    raise SystemExit(f"No Datastar bundle at {DATASTAR_JS}: see the line at the top of {__file__}.")
HEARTBEAT_S = 15  # an idle stream sends a comment this often, so proxies and the browser keep it
HEARTBEAT = ": heartbeat\n\n"
KEY_TTL_S = 3600  # the room's keys expire an hour after their last change
MAX_MEMBERS = 8
MAX_TABS = 3  # room streams one visitor may hold open at once
MAX_NAME = 20

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config.update(
    SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),  # signs the session cookie
    REDIS_URL=os.environ.get("REDIS_URL"),  # unset: an embedded Redis, for this process alone
    KEY_PREFIX=os.environ.get("KEY_PREFIX", "tut:5:"),  # every key and channel of the room starts with it
    OWN_SUBSCRIBER=True,  # listen to Redis pub/sub itself (the game, mounting it, listens for it)
    RESPONSE_TIMEOUT=None,  # a stream lives as long as its tab (Quart cuts any response at 60 s)
)


@app.errorhandler(HTTPException)
async def refused(error: HTTPException) -> Response:
    """A refusal is one sentence a person can read, as plain text."""
    return Response(error.description, error.code, content_type="text/plain; charset=utf-8")


@app.get("/")
async def page() -> str:
    session.setdefault("pid", secrets.token_urlsafe(16))  # who this browser is: in the signed cookie
    return await render_template("page.html", title=TITLE, max_tabs=MAX_TABS)


@app.get("/datastar.js")
async def datastar() -> Response:
    return await send_file(DATASTAR_JS, mimetype="text/javascript")


def visitor() -> str:
    pid = session.get("pid")
    if not isinstance(pid, str):
        abort(401, "No session: reload the page to get one.")
    return pid


async def signals() -> dict[str, Any]:
    """The signals Datastar sent: user input like any other, checked before use."""
    try:
        data = await read_signals()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        abort(400, "The signals must be JSON.")
    if not isinstance(data, dict | None):
        abort(400, "The signals must be a JSON object.")
    return data or {}


def key(name: str) -> str:
    return app.config["KEY_PREFIX"] + name


# region relay
CHANNEL = "room:channel"  # (after the key prefix) where every change to the room is announced
WATCHING: set[asyncio.Event] = set()  # a wake-up flag per stream of this process on the room


def wake_all() -> None:
    """Something changed in the room: wake every stream watching it."""
    for flag in WATCHING:
        flag.set()  # a flag, not a queue: a burst of taps gives one render


async def listen(redis: Redis) -> None:
    """This process's one pub/sub connection, however many streams. Sharded pub/sub (SSUBSCRIBE,
    SPUBLISH) keeps a channel's messages on its shard of a Redis Cluster; the same commands
    serve one Redis. Mounted in the game, the game's own relay carries the room's channel and
    calls wake_all: one connection per process."""
    async with redis.pubsub() as pubsub:
        await pubsub.ssubscribe(key(CHANNEL))
        async for message in pubsub.listen():
            if message["type"] == "smessage":
                wake_all()


@app.while_serving
async def redis_and_relay() -> AsyncIterator[None]:
    """Redis (or the embedded one) and the process's subscriber, for as long as the app serves."""
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


# region scripts
# KEYS: names (hash pid -> name), taps (hash pid -> count), open (hash pid -> open streams);
# ARGV: pid, channel, ttl, ... A member must have the room open: closing it leaves.
JOIN = """
if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') <= 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SPUBLISH', ARGV[2], 'join')
return 1
"""
TAP = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('SPUBLISH', ARGV[2], 'tap')
return 1
"""
LEAVE = """
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SPUBLISH', ARGV[2], 'leave')
return 1
"""
OPENED = """
if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') >= tonumber(ARGV[4]) then return 0 end
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('SPUBLISH', ARGV[2], 'stream')
return 1
"""
CLOSED = """
if redis.call('HINCRBY', KEYS[3], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('SPUBLISH', ARGV[2], 'stream')
return 1
"""
# endregion


async def run(script: str, pid: str, *args: str | int) -> int:
    """One script, run atomically inside Redis for this player."""
    redis: Redis = app.extensions["redis"]
    keys = [key("room:names"), key("room:taps"), key("room:open")]
    return int(await redis.eval(script, len(keys), *keys, pid, key(CHANNEL), KEY_TTL_S, *args))


# region commands
@app.post("/join")
async def join() -> Response | DatastarResponse:
    raw = (await signals()).get("name")
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not 1 <= len(name) <= MAX_NAME:
        problem = f"Type a name of 1 to {MAX_NAME} characters."
        return DatastarResponse(SSE.patch_signals({"joinError": problem}))
    joined = await run(JOIN, visitor(), name, MAX_MEMBERS)
    if joined <= 0:
        problem = "The room is full." if joined == 0 else "Open the room's live view first (reload the page)."
        return DatastarResponse(SSE.patch_signals({"joinError": problem}))
    return Response(status=204)  # the stream shows the outcome, to every tab


@app.post("/tap")
async def tap() -> Response:
    """Visitors see a disabled button; the server checks membership all the same."""
    if not await run(TAP, visitor()):
        abort(403, "Join the room first: only members can tap.")
    return Response(status=204)


@app.post("/leave")
async def leave() -> Response:
    await run(LEAVE, visitor())
    return Response(status=204)
# endregion


# region router
Command = Callable[[], Awaitable[Response | DatastarResponse]]
ACTIONS: dict[str, Command] = {"join": join, "tap": tap, "leave": leave}


@app.post("/do")
async def do() -> Response | DatastarResponse:
    """The same commands behind one URL: the action is named in the body."""
    action = (await signals()).get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        abort(400, f"'action' must be one of: {', '.join(ACTIONS)}.")
    return await ACTIONS[action]()
# endregion


# region stream
@app.get("/stream")
async def stream() -> DatastarResponse:
    pid, flag = visitor(), asyncio.Event()

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        WATCHING.add(flag)  # watch first, then read: a change in between still wakes us
        try:
            if not await run(OPENED, pid, MAX_TABS):  # a member while the room is open, in a few tabs at most
                yield SSE.patch_elements(await render_template("too_many.html", max_tabs=MAX_TABS))
                return  # the element that opened this stream is gone: Datastar does not reopen it
            try:
                sent = ""
                while not tab_left():
                    html = await view(pid)
                    if html != sent:  # woken but nothing changed for this player: send nothing
                        sent = html
                        yield SSE.patch_elements(html)
                    if not await woken(flag, HEARTBEAT_S):
                        yield HEARTBEAT
            finally:  # the tab left (or the server stops): the last tab to go leaves the room
                await asyncio.shield(run(CLOSED, pid))
        finally:
            WATCHING.discard(flag)

    return DatastarResponse(events())


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


async def view(pid: str) -> str:
    """This player's view of the room, read from Redis, the source of truth."""
    async with app.extensions["redis"].pipeline(transaction=False) as pipe:
        pipe.hgetall(key("room:names")).hgetall(key("room:taps")).pubsub_shardnumsub(key(CHANNEL))
        names, taps, [(_, subscribers)] = await pipe.execute()
    members = sorted(
        ({"name": name, "taps": int(taps.get(pid_, 0)), "you": pid_ == pid} for pid_, name in names.items()),
        key=lambda m: str(m["name"]).casefold(),
    )
    return await render_template(
        "view.html", members=members, me=next((m for m in members if m["you"]), None),
        max=MAX_MEMBERS, streams=len(WATCHING), subscribers=subscribers,
    )
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
