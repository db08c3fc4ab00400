"""Chapter 6, the buzzer web component: props down, events up, a server that checks.

The server sets <tut-buzzer>'s attributes (phase, round, result). The
component measures the reaction from the frame that painted GO to the press
and dispatches `buzz`, which bubbles out of its shadow root (composed) to a
`data-on:buzz` on an ancestor. The server knows when it sent GO, so a claim
longer than what it saw pass is capped, the rule of the game's buzz.lua.

The game's own buzzer (components/reflex-buzzer.js) adds keys, focus and an
early `ready` event by which the server measures each player's round trip, and
its buzz.lua ranks a whole room's presses in one script.

Run it on its own: `python app.py` in this folder serves http://127.0.0.1:8000
(or the port in PORT), on the Redis at REDIS_URL, or on an embedded one (this
process alone) without it. The game serves this same file at /tutorial/6, where
its limits on requests and new visitors apply too (game/web/limits.py).
"""
# Datastar 1.0.4: the project's static/vendor/datastar.js (scripts/fetch_datastar.py fetches and checks it); copied elsewhere, set DATASTAR_JS to that file.
# Lit: buzzer.js imports it, and `npm run build:tutorial` (scripts/setup.sh runs it) bundles both into static/build/buzzer.js; copied elsewhere: `npm install lit esbuild && npx esbuild buzzer.js --bundle --format=esm --outfile=static/build/buzzer.js`.

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE, read_signals
from fakeredis import FakeAsyncRedis
from quart import Quart, Response, abort, render_template, send_file, session, stream_with_context
from redis.asyncio import Redis
from werkzeug.exceptions import HTTPException

TITLE = "6. The buzzer web component"
HERE = Path(__file__).resolve().parent
DATASTAR_JS = Path(os.environ.get("DATASTAR_JS") or HERE.parents[1] / "static/vendor/datastar.js")
for needed in (DATASTAR_JS, HERE / "static/build/buzzer.js"):
    if not needed.is_file():
        raise SystemExit(f"Missing {needed}: see the lines at the top of {__file__}.")
KEY_TTL_S = 3600  # a round's keys expire an hour after their last change
HUMAN_FLOOR_MS = 100  # faster than this is a false start (the game's HUMAN_FLOOR_MS)
TOLERANCE_MS = 50  # slack on the server's elapsed-time cap (the game's REACTION_TOLERANCE_MS)
LONGEST_MS = 60_000  # the longest reaction a press may claim
DELAY_MS = (int(os.environ.get("READY_MIN_MS", "1500")), int(os.environ.get("READY_MAX_MS", "4000")))

app = Quart(__name__)
app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # {% … %} and {# … #} lines leave no blank line
app.config.update(
    SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),  # signs the session cookie
    REDIS_URL=os.environ.get("REDIS_URL"),  # unset: an embedded Redis, for this process alone
    KEY_PREFIX=os.environ.get("KEY_PREFIX", "tut:6:"),  # every key of the chapter starts with it
)


@app.errorhandler(HTTPException)
async def refused(error: HTTPException) -> Response:
    """A refusal is one sentence a person can read, as plain text."""
    return Response(error.description, error.code, content_type="text/plain; charset=utf-8")


@app.while_serving
async def redis_connection() -> AsyncIterator[None]:
    """Redis at REDIS_URL (or the embedded one), for as long as the app serves."""
    url = app.config["REDIS_URL"]
    connection = Redis.from_url(url, decode_responses=True) if url else FakeAsyncRedis(decode_responses=True)
    app.extensions["redis"] = connection
    yield
    await connection.aclose()


@app.get("/")
async def page() -> str:
    session.setdefault("pid", secrets.token_urlsafe(16))  # the round belongs to this browser's session
    return await render_template("page.html", title=TITLE)


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


def store() -> Redis:
    return app.extensions["redis"]  # type: ignore[no-any-return]


def current_round(pid: str) -> str:
    return app.config["KEY_PREFIX"] + f"buzz:{pid}"  # string: this player's current round id


def round_key(pid: str, rid: str) -> str:
    return app.config["KEY_PREFIX"] + f"buzz:{pid}:{rid}"  # hash: sent (ms), result


async def redis_ms() -> int:
    """Redis's clock: every app process shares it, as the game's scripts do."""
    seconds, micros = await store().time()
    return int(seconds) * 1000 + int(micros) // 1000


async def arena(rid: str, phase: str, **verdict: object) -> str:
    return await render_template("arena.html", rid=rid, phase=phase, **verdict)


# region start
@app.post("/start")
async def start() -> DatastarResponse:
    """A short stream: get ready, a secret delay (never sent to the browser), GO."""
    pid, rid = visitor(), secrets.token_hex(4)
    delay_ms = DELAY_MS[0] + secrets.randbelow(DELAY_MS[1] - DELAY_MS[0] + 1)
    previous = await store().set(current_round(pid), rid, ex=KEY_TTL_S, get=True)
    if previous:  # one round at a time: the last one's record goes
        await store().delete(round_key(pid, previous))

    @stream_with_context
    async def events() -> AsyncIterator[str]:
        yield SSE.patch_elements(await arena(rid, "ready"))
        await asyncio.sleep(delay_ms / 1000)
        async with store().pipeline() as pipe:  # MULTI: together, in one round trip
            key = round_key(pid, rid)
            pipe.hsetnx(key, "sent", await redis_ms()).expire(key, KEY_TTL_S).hexists(key, "result")
            *_, pressed_early = await pipe.execute()
        if not pressed_early:  # the server's clock for this round runs from here
            yield SSE.patch_elements(await arena(rid, "go"))

    return DatastarResponse(events())
# endregion


# region parse
@dataclass(frozen=True)
class Press:
    """A press as the buzzer reports it: in which round, how fast, or too early."""

    round_id: str
    ms: int | None
    early: bool


def parse_press(body: dict[str, Any]) -> Press:
    """The component's {round_id, ms, early}; a 400 with a sentence if it is not that."""
    round_id, ms, early = body.get("round_id"), body.get("ms"), body.get("early")
    if not isinstance(round_id, str) or len(round_id) > 20:
        abort(400, "'round_id' must be a round's id.")
    if not isinstance(early, bool):
        abort(400, "'early' must be true or false.")
    if not early and (type(ms) is not int or not 0 <= ms <= LONGEST_MS):
        abort(400, f"'ms' must be an integer from 0 to {LONGEST_MS}.")
    return Press(round_id, None if early else ms, early)
# endregion


# region judge
def judge(claimed_ms: int, elapsed_ms: int, tolerance_ms: int) -> int:
    """The game's buzz.lua cap: a claim longer than the time the server saw pass
    since it sent GO (plus a tolerance) counts as that time."""
    return elapsed_ms if claimed_ms > elapsed_ms + tolerance_ms else claimed_ms
# endregion


# region buzz
@app.post("/buzz")
async def buzz() -> DatastarResponse:
    """The component's {round_id, ms, early}, checked against the server's own clock."""
    pid, press = visitor(), parse_press(await signals())
    if press.round_id != await store().get(current_round(pid)):
        abort(409, "That round is over: start a new one.")
    key = round_key(pid, press.round_id)
    sent, now = await store().hget(key, "sent"), await redis_ms()
    elapsed = None if press.ms is None or sent is None else now - int(sent)
    ms = None if press.ms is None or elapsed is None else judge(press.ms, elapsed, TOLERANCE_MS)
    valid = ms is not None and ms >= HUMAN_FLOOR_MS  # under the floor: a false start
    result = f"{ms} ms" if valid else "false start"
    if not await store().hsetnx(key, "result", result):  # one press per round, whatever the page does
        abort(409, "You already pressed in this round.")
    await store().expire(key, KEY_TTL_S)
    return DatastarResponse(SSE.patch_elements(await arena(
        press.round_id, "done", result=result, early=press.early, claimed=press.ms, elapsed=elapsed, ms=ms,
        floor=HUMAN_FLOOR_MS)))
# endregion


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8000")), use_reloader=False)
