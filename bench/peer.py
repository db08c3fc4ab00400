"""The peer baseline: the same game on the stack a Python developer picks first.

Starlette + sse-starlette + uvicorn, written the straightforward way: each
stream opens its own Redis PubSub, and renders and sends its whole view on
every message it receives (no coalescing, no skipping of identical renders).
The game rules are the game's own: the same Lua scripts (game.store.Store),
timed transitions (game.timers), presence, view loading (game.reads) and
screens (game.web.screens, which import nothing from Quart). Only the serving model differs. It answers the HTTP
contract the bench uses; it is a baseline, not a second game server.

    uvicorn bench.peer:create_app --factory --port 8002
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import jinja2
from redis.asyncio import Redis
from datastar_py import ServerSentEventGenerator as SSE
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from game import rules
from game.config import ROOT, load_settings
from game.names import clean_name, name_keys
from game.presence import Presence
from game.reads import load_view
from game.store import GameError, Store
from game.timers import Timers
from game.views import View
from game.web.screens import render_view
from game.web.timing import accepted_stamp

PUBSUB_POOL = 12_000  # Redis itself is started with --maxclients 15000


class Game:
    def __init__(self) -> None:
        self.settings = load_settings()
        # One connection per stream: redis-py's default pool (100 connections)
        # fails past ~100 streams, so the pool is raised as a developer would
        # after the first "No connection available" error.
        redis = Redis.from_url(self.settings.redis_url or "redis://127.0.0.1:6379/0", decode_responses=True,
                               max_connections=PUBSUB_POOL)
        self.store = Store(redis, self.settings)
        self.timers = Timers(self.store, self.settings)
        self.presence = Presence(self.store, self.settings)
        self.jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=True,
            trim_blocks=True, lstrip_blocks=True,
        )
        self.jinja.globals["url_for"] = lambda endpoint, **kw: "/static/" + kw.get("filename", "")

    def render(self, view: View, base_url: str) -> str:
        return render_view(view, base_url)


GAME: Game | None = None


def game() -> Game:
    assert GAME is not None
    return GAME


def player(request: Request) -> str | None:
    pid = request.session.get("pid")
    return pid if isinstance(pid, str) and len(pid) == 22 else None


async def run(script: str, **args: Any) -> Response:
    try:
        result = await game().store.run(script, **args)
    except GameError as err:
        return PlainTextResponse(err.message, status_code=err.status)
    return Response(status_code=204, headers=accepted_stamp(result.get("accepted_ms")))


async def page(request: Request) -> Response:
    pid = player(request)
    if pid is None:
        request.session["pid"] = pid = secrets.token_urlsafe(16)
    g = game()
    view_html = g.render(await load_view(g.store, g.settings, pid), str(request.base_url))
    return HTMLResponse(g.jinja.get_template("game.html").render(view_html=view_html, stream_url="/stream"))


async def command(request: Request) -> Response:
    pid = player(request)
    if pid is None:
        return PlainTextResponse("No session.", status_code=401)
    if request.headers.get("Datastar-Request") != "true":
        return PlainTextResponse("Datastar-Request header missing.", status_code=400)
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return PlainTextResponse("The body must be JSON.", status_code=400)
    if not isinstance(body, dict):
        return PlainTextResponse("The body must be a JSON object.", status_code=400)
    g, path = game(), request.url.path
    if path == "/name":
        name, problem = clean_name(body.get("name"))
        if name is None:
            return PlainTextResponse(problem, status_code=400)
        return await run("set_name", pid=pid, name=name, keys=name_keys(name), addr="peer")
    if path == "/rooms":
        for _ in range(5):
            code = "".join(secrets.choice(rules.CODE_ALPHABET) for _ in range(rules.CODE_LENGTH))
            response = await run("room_create", pid=pid, public=bool(body.get("public", True)), code=code)
            if response.status_code != 503:
                return response
        return response
    code, verb = request.path_params["code"], request.path_params["verb"]
    try:
        if verb == "join":
            result = await g.store.run("room_join", pid=pid, code=code, role=body.get("role", "player"), addr="peer")
        elif verb == "leave":
            result = await g.store.run("room_leave", pid=pid, code=code)
        elif verb == "settings":
            result = await g.store.run("room_settings", pid=pid, code=code, rounds=int(body["rounds"]), decoys=None)
        elif verb == "start":
            result = await g.store.run("match_start", pid=pid, code=code, plan=g.timers.round_plan())
            g.timers.follow(code, result)
        elif verb == "seen":
            result = await g.store.run("seen", pid=pid, code=code, round_id=str(body["round_id"]))
        elif verb == "buzz":
            result = await g.store.run("buzz", pid=pid, code=code, round_id=str(body["round_id"]),
                                       ms=body.get("ms"), early=bool(body.get("early")))
            g.timers.follow(code, result)
        else:
            return PlainTextResponse("Not found.", status_code=404)
    except GameError as err:
        return PlainTextResponse(err.message, status_code=err.status)
    except (KeyError, TypeError, ValueError):
        return PlainTextResponse("Bad request.", status_code=400)
    return Response(status_code=204, headers=accepted_stamp(result.get("accepted_ms")))


async def stream(request: Request) -> Response:
    pid = player(request)
    if pid is None:
        return PlainTextResponse("No session.", status_code=401)
    g = game()
    return EventSourceResponse(events(g, pid, str(request.base_url)), ping=int(g.settings.heartbeat_s))


async def events(g: Game, pid: str, base_url: str) -> AsyncIterator[bytes]:
    """One PubSub per stream; every message: read, render, send."""
    pubsub = g.store.redis.pubsub()
    stream_id = secrets.token_urlsafe(8)
    await g.presence.connect(pid, stream_id, "peer")
    channels: frozenset[str] = frozenset()
    noted: tuple[str, str, str] | None = None
    try:
        while True:
            view = await load_view(g.store, g.settings, pid)
            if view.channels != channels:
                if channels - view.channels:
                    await pubsub.sunsubscribe(*(channels - view.channels))
                await pubsub.ssubscribe(*(view.channels - channels))
                channels = view.channels
                continue  # subscribed: read again, so no change slips in between
            if view.deadline:
                g.timers.ensure(view.deadline)
            yield SSE.patch_elements(g.render(view, base_url)).encode()
            if view.receipt and view.receipt != noted:
                noted = view.receipt
                code, round_id, phase = view.receipt
                await g.store.run("delivered", pids=[pid], code=code, round_id=round_id, phase=phase)
            while True:  # the next message, or a heartbeat's presence refresh
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=g.settings.heartbeat_s)
                if message is not None:
                    break
                await g.presence.connect(pid, stream_id, "peer")
    finally:
        await pubsub.aclose()
        await g.presence.disconnect(pid, stream_id)


def create_app() -> Starlette:
    global GAME
    GAME = Game()
    routes = [
        Route("/", page),
        Route("/stream", stream),
        Route("/name", command, methods=["POST"]),
        Route("/rooms", command, methods=["POST"]),
        Route("/rooms/{code}/{verb}", command, methods=["POST"]),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=GAME.settings.secret_key,
                             session_cookie="reflex_session", same_site="lax", https_only=False)]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The process's presence lease, taken and renewed as the game does: without
    it, the peer's players counted as gone after three heartbeats."""
    await game().presence.start()
    yield
    game().presence.cancel_all()
