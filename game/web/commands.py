"""The command verb: POSTs that validate, change Redis in one script, and return.

A command answers 204 (the caller's own stream shows the result), a small
signal patch for the caller's own form, or a 4xx with a clear message. It
never renders anyone's view and never waits for other players.
"""

from __future__ import annotations

import json
from typing import Any

from datastar_py.quart import DatastarResponse, ServerSentEventGenerator as SSE
from quart import Blueprint, Response, abort, g, request

from game import rules
from game.names import clean_name, name_keys
from game.store import GameError
from game.web import limits
from game.web.context import no_content, services
from game.web.identity import require_player
from game.web.timing import accepted_stamp

bp = Blueprint("commands", __name__)

MAX_BODY = 2048  # every command's body is a few small fields


def done() -> Response:
    """204: accepted; the caller's own stream will show the outcome."""
    return no_content(accepted_stamp(g.get("accepted_ms")))


def accepted(result: dict[str, Any]) -> dict[str, Any]:
    """A script's result, its moment of acceptance kept for `done`."""
    g.accepted_ms = result.get("accepted_ms")
    return result


@bp.before_request
async def read_body() -> None:
    """Every command's body must be empty or one small JSON object, checked
    before any handler runs (even commands that need no fields)."""
    # Read before refusing (Quart caps reads at MAX_CONTENT_LENGTH): a client
    # still sending its body would otherwise see the connection cut, not a 413.
    raw = await request.get_data(as_text=False)
    if len(raw) > MAX_BODY:
        abort(413, "Request body too large.")
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        abort(400, "The body must be JSON.")
    if not isinstance(data, dict):
        abort(400, "The body must be a JSON object.")
    g.body = data


def body() -> dict[str, Any]:
    """The JSON object Datastar sent (the signals or the action's payload)."""
    return g.body  # type: ignore[no-any-return]


def field(data: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = data.get(name, default)
    # bool is an int in Python; a flag must not pass for a number or vice versa.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        abort(400, f"'{name}' must be a {kind.__name__}.")
    return value


def room_code(raw: str) -> str:
    code = rules.room_code(raw)
    if code is None:
        abort(404, "There is no room with that code.")
    return code


async def run(move: str, **args: Any) -> dict[str, Any]:
    """Make a move for the calling player; refusals become 4xx responses."""
    try:
        result = await services().store.run(move, **args)
    except GameError as err:
        abort(err.status, err.message)
    return accepted(result)


# -- name -----------------------------------------------------------------


async def name_problem(pid: str, raw: object) -> tuple[str | None, str]:
    """The name, or what is wrong with it: its form here, whether it is free in Redis."""
    name, problem = clean_name(raw)
    if name is None:
        return None, problem
    try:
        await services().store.run("name_check", pid=pid, keys=name_keys(name))
    except GameError as err:
        return None, err.message
    return name, ""


@bp.post("/name/check")
async def check_name() -> DatastarResponse:
    """Validation as you type: a signal patch for the form, nothing stored."""
    pid = require_player()
    _, problem = await name_problem(pid, body().get("name"))
    return DatastarResponse(SSE.patch_signals({"nameError": problem}))


@bp.post("/name")
async def set_name() -> Response | DatastarResponse:
    pid = require_player()
    name, problem = await name_problem(pid, body().get("name"))
    if name is None:
        return DatastarResponse(SSE.patch_signals({"nameError": problem}))
    try:
        accepted(await services().store.run("set_name", pid=pid, name=name, keys=name_keys(name),
                                            addr=limits.address_tag()))
    except GameError as err:  # taken in the meantime
        return DatastarResponse(SSE.patch_signals({"nameError": err.message}))
    return done()


# -- lobby ----------------------------------------------------------------


@bp.post("/queue/join")
async def queue_join() -> Response:
    await run("queue_join", pid=require_player(), addr=limits.address_tag())
    return done()


@bp.post("/queue/leave")
async def queue_leave() -> Response:
    await run("queue_leave", pid=require_player())
    return done()


@bp.post("/rooms")
async def create_room() -> Response:
    pid = require_player()
    public = field(body(), "public", bool, True)
    await limits.check_new_room(pid)
    await run("room_create", pid=pid, public=public)
    return done()


def join_role() -> str:
    role = field(body(), "role", str, "player")
    if role not in rules.ROLES:
        abort(400, "'role' must be 'player' or 'spectator'.")
    return role  # type: ignore[no-any-return]


@bp.post("/rooms/join")
async def join_by_code() -> Response | DatastarResponse:
    """The join-by-code form: problems come back as a patch for the form."""
    pid = require_player()
    code = rules.room_code(field(body(), "code", str, ""))
    role = join_role()
    await limits.check_room_link()  # the answer tells whether a room exists
    if code is None:
        return DatastarResponse(SSE.patch_signals({"codeError": "A room code has 5 letters or digits."}))
    try:
        await services().store.run("room_join", pid=pid, code=code, role=role, addr=limits.address_tag())
    except GameError as err:
        return DatastarResponse(SSE.patch_signals({"codeError": err.message}))
    return DatastarResponse(SSE.patch_signals({"codeError": "", "code": ""}))


# -- room -----------------------------------------------------------------


@bp.post("/rooms/<code>/join")
async def join_room(code: str) -> Response:
    pid = require_player()
    await run("room_join", pid=pid, code=room_code(code), role=join_role(), addr=limits.address_tag())
    return done()


@bp.post("/rooms/<code>/leave")
async def leave_room(code: str) -> Response:
    await run("room_leave", pid=require_player(), code=room_code(code))
    return done()


@bp.post("/rooms/<code>/kick")
async def kick(code: str) -> Response:
    pid = require_player()
    seat = field(body(), "seat", int)
    if not 0 < seat < 2**31:
        abort(404, "That player is not in this room.")
    await run("room_kick", pid=pid, code=room_code(code), seat=seat)
    return done()


@bp.post("/rooms/<code>/settings")
async def settings(code: str) -> Response:
    """The match's settings, between matches: the rounds, decoys on or off (either or both)."""
    pid = require_player()
    data = body()
    rounds = field(data, "rounds", int) if "rounds" in data else None
    decoys = field(data, "decoys", bool) if "decoys" in data else None
    limit = services().settings.max_rounds
    if rounds is not None and not 1 <= rounds <= limit:
        abort(400, f"'rounds' must be between 1 and {limit}.")
    if rounds is None and decoys is None:
        abort(400, "Say what to change: 'rounds' or 'decoys'.")
    await run("room_settings", pid=pid, code=room_code(code), rounds=rounds, decoys=decoys)
    return done()


@bp.post("/rooms/<code>/start")
async def start(code: str) -> Response:
    pid = require_player()
    svc = services()
    code = room_code(code)
    result = await run("match_start", pid=pid, code=code, plan=svc.timers.round_plan())
    svc.timers.follow(code, result)
    return done()


@bp.post("/rooms/<code>/seen")
async def seen(code: str) -> Response:
    """The player's page shows "get ready": the answer to the round-trip probe (seen.lua)."""
    round_id = field(body(), "round_id", str)
    if len(round_id) > rules.MAX_ROUND_ID:
        abort(409, "That round is over.")
    await run("seen", pid=require_player(), code=room_code(code), round_id=round_id)
    return done()


@bp.post("/rooms/<code>/buzz")
async def buzz(code: str) -> Response:
    pid = require_player()
    try:
        press = rules.parse_buzz(body())
    except ValueError as err:
        abort(400, str(err))
    if len(press.round_id) > rules.MAX_ROUND_ID:
        abort(409, "That round is over.")
    code = room_code(code)
    result = await run("buzz", pid=pid, code=code, round_id=press.round_id, ms=press.ms, early=press.early)
    services().timers.follow(code, result)
    return done()
