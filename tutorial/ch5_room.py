"""Chapter 5, a room over Redis pub/sub: two tabs, one room, a view each.

A command is a POST that changes Redis in one script (check, write and
PUBLISH together) and answers 204. The process's relay, one subscriber
connection however many streams, wakes each watching stream through its
mailbox; the stream re-reads Redis and renders its own player's view. A second
process has a relay of its own, and Redis delivers each message to both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, Response, abort, render_template

from game.web.identity import require_player
from game.web.limits import player_or_new
from game.names import clean_name
from game.relay import Mailbox
from game.services import Services
from game.web.context import services
from game.web.streams import HEARTBEAT
from tutorial.common import KEY_TTL_S, Chapter, signals, sse, tutorial_key

bp = Blueprint("tutorial_5", __name__, url_prefix="/tutorial/5")
CHAPTER = Chapter(5, __file__, extra_sources=("game/relay.py",))
MAX_MEMBERS = 8
LOCAL_STREAMS: set[Mailbox] = set()  # this process's streams watching the room

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
redis.call('PUBLISH', ARGV[2], 'join')
return 1
"""
TAP = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[2], 'tap')
return 1
"""
LEAVE = """
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], 'leave')
return 1
"""
OPENED = """
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[2], 'stream')
return 1
"""
CLOSED = """
if redis.call('HINCRBY', KEYS[3], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', ARGV[2], 'stream')
return 1
"""
# endregion


def room_keys() -> tuple[str, str, str, str]:
    return tuple(tutorial_key(f"room:{name}") for name in ("names", "taps", "open", "channel"))  # type: ignore[return-value]


async def run(script: str, pid: str, *args: str | int) -> int:
    """One script, run atomically inside Redis for this player."""
    *keys, channel = room_keys()
    return int(await services().store.redis.register_script(script)(
        keys=keys, args=[pid, channel, KEY_TTL_S, *args]))


@bp.get("")
async def page() -> str:
    await player_or_new()  # the session says who is who: never a signal
    return await CHAPTER.page()


# region commands
@bp.post("/join")
async def join() -> Response | DatastarResponse:
    name, problem = clean_name((await signals()).get("name"))
    if name is None:
        return DatastarResponse(SSE.patch_signals({"joinError": problem}))
    joined = await run(JOIN, require_player(), name, MAX_MEMBERS)
    if joined <= 0:
        problem = "The room is full." if joined == 0 else "Open the room's live view first (reload the page)."
        return DatastarResponse(SSE.patch_signals({"joinError": problem}))
    return Response(status=204)  # the stream shows the outcome, to every tab


@bp.post("/tap")
async def tap() -> Response:
    """Visitors see a disabled button; the server checks membership all the same."""
    if not await run(TAP, require_player()):
        abort(403, "Join the room first: only members can tap.")
    return Response(status=204)


@bp.post("/leave")
async def leave() -> Response:
    await run(LEAVE, require_player())
    return Response(status=204)
# endregion


# region stream
@bp.get("/stream")
async def stream() -> DatastarResponse:
    pid, svc, mailbox = require_player(), services(), Mailbox()
    *_, channel = room_keys()

    async def events() -> AsyncIterator[str]:
        await svc.relay.watch(mailbox, frozenset({channel}))  # watch first, then read
        LOCAL_STREAMS.add(mailbox)
        await run(OPENED, pid)  # a member while the room is open; the others count one more stream
        try:
            sent = ""
            while True:
                html = await view(pid, channel)
                if html != sent:  # woken but nothing changed for this player: send nothing
                    sent = html
                    yield SSE.patch_elements(html)
                while not await mailbox.wait(svc.settings.heartbeat_s):
                    yield HEARTBEAT
        finally:
            LOCAL_STREAMS.discard(mailbox)
            await asyncio.shield(closed(svc, mailbox, pid))

    return sse(events(), wake=mailbox)


async def closed(svc: Services, mailbox: Mailbox, pid: str) -> None:
    """The stream ended: closing the last one leaves the room (nobody holds a seat unseen)."""
    await svc.relay.drop(mailbox)
    await run(CLOSED, pid)


async def view(pid: str, channel: str) -> str:
    """This player's view of the room, read from Redis, the source of truth."""
    names_key, taps_key, _, _ = room_keys()
    async with services().store.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(names_key).hgetall(taps_key).pubsub_numsub(channel)
        names, taps, [(_, subscribers)] = await pipe.execute()
    members = sorted(
        ({"name": name, "taps": int(taps.get(member, 0)), "you": member == pid} for member, name in names.items()),
        key=lambda m: str(m["name"]).casefold(),
    )
    return await render_template(
        "tutorial/ch5_room_view.html", members=members, me=next((m for m in members if m["you"]), None),
        max=MAX_MEMBERS, streams=len(LOCAL_STREAMS), subscribers=subscribers,
    )
# endregion
