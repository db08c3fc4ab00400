"""Chapter 6, the buzzer web component: props down, events up, a server that checks.

The server sets <reflex-buzzer>'s attributes (phase, round, result). The
component measures the reaction from the frame that painted GO to the press
and dispatches `buzz`, which bubbles out of its shadow root (composed) to a
`data-on:buzz` on an ancestor. The server knows when it sent GO, so a claim
longer than what it saw pass is capped, by the rule of game/lua/buzz.lua.
This round is the tutorial's own, for one player, and touches no game state.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, abort, render_template

from game.rules import parse_buzz
from game.web.context import services
from game.web.identity import require_player
from game.web.limits import player_or_new
from tutorial.common import KEY_TTL_S, Chapter, signals, sse, tutorial_key

bp = Blueprint("tutorial_6", __name__, url_prefix="/tutorial/6")
CHAPTER = Chapter(6, __file__, extra_sources=("components/reflex-buzzer.js", "static/tutorial/shadow-demo.js"))
HUMAN_FLOOR_MS = 100  # faster than this is a false start (the game's default HUMAN_FLOOR_MS)
TOLERANCE_MS = 50  # slack on the server's elapsed-time cap (the game's default REACTION_TOLERANCE_MS)


@bp.get("")
async def page() -> str:
    await player_or_new()  # the round belongs to this session
    return await CHAPTER.page()


def current_round(pid: str) -> str:
    return tutorial_key(f"buzz:{pid}")  # string: this player's current round id


def round_key(pid: str, rid: str) -> str:
    return tutorial_key(f"buzz:{pid}:{rid}")  # hash: sent (ms), result


async def redis_ms() -> int:
    """Redis's clock: every app process shares it, as the game's scripts do."""
    seconds, micros = await services().store.redis.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def arena(rid: str, phase: str, **verdict: object) -> str:
    return await render_template("tutorial/ch6_buzzer_arena.html", rid=rid, phase=phase, **verdict)


# region start
@bp.post("/start")
async def start() -> DatastarResponse:
    """A short stream: get ready, a secret delay (never sent to the browser), GO."""
    pid, svc = require_player(), services()
    rid, delay_ms = secrets.token_hex(4), svc.timers.secret_delay_ms()
    previous = await svc.store.redis.set(current_round(pid), rid, ex=KEY_TTL_S, get=True)
    if previous:  # one round at a time: the last one's record goes
        await svc.store.redis.delete(round_key(pid, previous))

    async def events() -> AsyncIterator[str]:
        yield SSE.patch_elements(await arena(rid, "ready"))
        await asyncio.sleep(delay_ms / 1000)
        async with svc.store.redis.pipeline() as pipe:  # MULTI: together, in one round trip
            key = round_key(pid, rid)
            pipe.hsetnx(key, "sent", await redis_ms()).expire(key, KEY_TTL_S).hexists(key, "result")
            *_, pressed_early = await pipe.execute()
        if not pressed_early:  # the server's clock for this round runs from here
            yield SSE.patch_elements(await arena(rid, "go"))

    return sse(events())
# endregion


# region judge
def judge(claimed_ms: int, elapsed_ms: int, tolerance_ms: int) -> int:
    """game/lua/buzz.lua's cap: a claim longer than the time the server saw pass
    since it sent GO (plus a tolerance) counts as that time."""
    return elapsed_ms if claimed_ms > elapsed_ms + tolerance_ms else claimed_ms
# endregion


# region buzz
@bp.post("/buzz")
async def buzz() -> DatastarResponse:
    """The component's {round_id, ms, early}, checked against the server's own clock."""
    pid, svc = require_player(), services()
    try:
        press = parse_buzz(await signals())  # the game's own check of a buzz's form
    except ValueError as err:
        abort(400, str(err))
    if press.round_id != await svc.store.redis.get(current_round(pid)):
        abort(409, "That round is over: start a new one.")
    rid, early, claimed = press.round_id, press.early, press.ms
    key = round_key(pid, rid)
    sent, now = await svc.store.redis.hget(key, "sent"), await redis_ms()
    elapsed = None if claimed is None or sent is None else now - int(sent)
    ms = None if claimed is None or elapsed is None else judge(claimed, elapsed, TOLERANCE_MS)
    valid = ms is not None and ms >= HUMAN_FLOOR_MS  # under the floor: a false start
    result = f"{ms} ms" if valid else "false start"
    if not await svc.store.redis.hsetnx(key, "result", result):  # one press per round
        abort(409, "You already pressed in this round.")
    await svc.store.redis.expire(key, KEY_TTL_S)
    return DatastarResponse(SSE.patch_elements(await arena(
        rid, "done", result=result, early=early, claimed=claimed, elapsed=elapsed, ms=ms, floor=HUMAN_FLOOR_MS)))
# endregion
