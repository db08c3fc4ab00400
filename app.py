"""Composition root: build the app, wire the three verbs, start and stop services.

    pages     GET   whole documents             game/web/pages.py
    commands  POST  validate, run one script    game/web/commands.py
    streams   GET   one SSE view per tab        game/web/streams.py

The game itself (rules, state in Redis, views) is `game/`; `game/web/` serves
it over HTTP; `tutorial/` is the course: seven standalone chapter apps,
mounted at /tutorial/<n> under the game's protections.
"""

from __future__ import annotations

import gc
import logging
from datetime import timedelta

from collections.abc import AsyncIterator

from quart import Quart

import tutorial
from game.config import ROOT, Settings, load_settings
from game.services import running
from game.web import asgi_stream, commands, errors, gate, health, limits, pages, security, streams, transport
from game.web.identity import SessionCookie, check_command_request

REQUIRED_ASSETS = {
    "static/vendor/datastar.js": "run scripts/setup.sh (it fetches the pinned Datastar bundle)",
    "static/build/reflex-buzzer.js": "run scripts/setup.sh (it builds the buzzer with npm)",
}


def check_assets() -> None:
    missing = [f"{path}: {how}" for path, how in REQUIRED_ASSETS.items() if not (ROOT / path).exists()]
    if missing:
        raise SystemExit("Missing browser assets:\n  " + "\n  ".join(missing))


def tune_gc() -> None:
    """With a thousand streams open, Python's default collector spent 3.9 s of
    a 50 s arena benchmark run collecting, in pauses of up to 262 ms (0.5 s and
    152 ms with this). What startup built is never garbage: freeze it out of
    every collection. And collect the young generation every 20,000
    allocations instead of 700."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def create_app(settings: Settings | None = None) -> Quart:
    settings = settings or load_settings()
    check_assets()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Quart(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="reflex_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        MAX_CONTENT_LENGTH=16 * 1024,
    )
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.session_interface = SessionCookie()
    app.before_request(gate.refuse_deep_json)  # first: it reads every POST's body (see its docstring)
    app.before_request(check_command_request)  # POSTs: same origin, from Datastar
    app.before_request(limits.limit_commands)  # POSTs: per player and per address
    for blueprint in (pages.bp, commands.bp, streams.bp, health.bp):
        app.register_blueprint(blueprint)

    errors.register(app)
    security.register(app)

    @app.while_serving
    async def game_services() -> AsyncIterator[None]:
        async with running(settings) as svc:  # started here, stopped when serving ends
            app.extensions["game"] = svc
            tune_gc()
            yield
            del app.extensions["game"]

    tutorial.mount(app, settings)  # /tutorial/<n>: each chapter its own app, under the game's protections
    app.asgi_app = asgi_stream.serve_streams(app.asgi_app, app)  # type: ignore[method-assign]
    app.asgi_app = transport.guard_streams(app.asgi_app, settings.send_timeout_s)  # type: ignore[method-assign]
    app.asgi_app = health.trust_proxy(app.asgi_app, settings.trust_proxy)  # type: ignore[method-assign]
    app.asgi_app = gate.door(app.asgi_app, settings.secret_key)  # type: ignore[method-assign]
    return app
