"""The tutorial: seven chapters, each a standalone Quart app in a folder of its
own (tutorial/<nn>_<name>/app.py), mounted by the game at /tutorial/<n>.

A viewer copies a chapter's folder and runs `python app.py`; the game serves
that very code, not a copy. Mounted, a chapter gets, before its own handlers,
what a public server needs and the game already has:

- deeply nested JSON refused before anything parses it (game/web/gate.py);
- POSTs only from this origin and from Datastar (game/web/identity.py), every
  POST limited per player and per client address, and new identities limited
  per address (game/web/limits.py): a chapter's page mints the visitor's id the
  game's way, in the game's session cookie;
- refusals as plain sentences (game/web/errors.py) and the strict CSP with
  nonces (game/web/security.py);
- its Redis: the game's REDIS_URL, its keys under `<KEY_PREFIX>tut:<n>:`;
  a chapter that listens to pub/sub (CHANNEL, wake_all) is fed by the game's
  relay instead of a connection of its own: one subscriber per process;
- the course's frame around its page (templates/tutorial/page.html, frame.py).

The dispatch is at the ASGI level, inside the game's stream guard
(game/web/transport.py), so a stalled tutorial stream is cut like a game one.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from quart import Blueprint, Quart, Response, redirect, request

from game.config import Settings
from game.keys import Keys
from game.relay import Mailbox
from game.web import errors, gate, limits, security
from game.web.identity import check_command_request
from game.web.transport import ASGIApp
from tutorial.frame import Frame, frame
from tutorial.source import stylesheet

HERE = Path(__file__).resolve().parent
FOLDER = re.compile(r"^(\d\d)_\w+$")
MOUNTED = re.compile(r"^/tutorial/(\d+)(/.*)?$")
# Settings the game's session cookie and body limit are made of: a mounted chapter uses the game's.
SHARED_CONFIG = ("SECRET_KEY", "SESSION_COOKIE_NAME", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
                 "SESSION_COOKIE_SECURE", "PERMANENT_SESSION_LIFETIME", "MAX_CONTENT_LENGTH")

bp = Blueprint("tutorial", __name__)


@bp.get("/tutorial")
@bp.get("/tutorial/")
async def start() -> Response:
    return redirect("/tutorial/1")  # type: ignore[return-value]


@bp.get("/tutorial/pygments.css")
async def pygments_css() -> Response:
    return Response(stylesheet(), content_type="text/css; charset=utf-8")


@dataclass(frozen=True)
class Chapter:
    number: int
    folder: Path
    module: ModuleType
    frame: Frame

    @property
    def app(self) -> Quart:
        return self.module.app  # type: ignore[no-any-return]


def folders() -> list[Path]:
    return sorted(path for path in HERE.iterdir() if FOLDER.match(path.name) and (path / "app.py").is_file())


def load(folder: Path) -> ModuleType:
    """Import a chapter's app.py by its path (a folder named `05_room` is not a Python name)."""
    name = f"tutorial.chapter{int(folder.name[:2])}"
    spec = importlib.util.spec_from_file_location(name, folder / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before it runs: Quart finds the chapter's folder through it
    spec.loader.exec_module(module)
    return module


def chapters() -> list[Chapter]:
    """Every chapter, imported, with its code read for the source panel in the same moment."""
    modules = [(folder, load(folder)) for folder in folders()]
    titles = tuple((int(folder.name[:2]), str(module.TITLE).partition(". ")[2]) for folder, module in modules)
    made = []
    for i, (folder, module) in enumerate(modules):
        previous = modules[i - 1][0] / "app.py" if i else None
        number = int(folder.name[:2])
        tour = getattr(module, "TOUR", {})  # chapter 7's stops in the real game
        made.append(Chapter(number, folder, module, frame(number, titles[i][1], folder, titles, previous, tour)))
    return made


async def visitor_identity() -> None:
    """A chapter's page gives a new visitor an id the game's way (limited per address)."""
    if request.method == "GET" and request.endpoint == "page":
        await limits.player_or_new()


def protect(chapter: Chapter, game: Quart, settings: Settings) -> None:
    """Put the game's protections, session, Redis and course frame around a chapter app."""
    sub = chapter.app
    sub.config.update({key: game.config[key] for key in SHARED_CONFIG})
    prefix = Keys(settings.key_prefix).tutorial(str(chapter.number))  # <KEY_PREFIX>tut:{<n>}: (one slot)
    sub.config.update(REDIS_URL=settings.redis_url, KEY_PREFIX=prefix,
                      OWN_SUBSCRIBER=False)  # the game's relay listens for it (see `Feed`)
    sub.session_interface = game.session_interface
    # The game's checks run first, before any hook of the chapter's own.
    sub.before_request_funcs.setdefault(None, [])[:0] = [gate.refuse_deep_json, check_command_request,
                                                        limits.limit_commands, visitor_identity]
    errors.register(sub)
    security.register(sub)
    course = chapter.frame

    @sub.context_processor
    async def frame_context() -> dict[str, Any]:  # async: Quart runs a sync one in a thread
        return {"course": course}

    # "page.html" is the course's frame, which extends the chapter's own page ("chapter/page.html").
    own = sub.jinja_env.loader
    assert own is not None
    sub.jinja_env.loader = ChoiceLoader([FileSystemLoader(game.root_path + "/templates/tutorial"),
                                         PrefixLoader({"chapter": own}), own])


class Feed(Mailbox):
    """A mailbox of the game's relay that wakes a chapter's streams: the chapter's channel
    rides on the process's one pub/sub connection, resubscribed after a Redis restart."""

    def __init__(self, wake_all: Callable[[], None]) -> None:
        super().__init__()
        self.wake_all = wake_all

    def notify(self, channel: str | None = None) -> None:
        self.wake_all()


def feeds(mounted: list[Chapter]) -> dict[Feed, frozenset[str]]:
    """A feed, and its channel, for each chapter that listens to Redis pub/sub."""
    return {Feed(c.module.wake_all): frozenset({c.app.config["KEY_PREFIX"] + c.module.CHANNEL})
            for c in mounted if hasattr(c.module, "CHANNEL")}


def dispatch(game: ASGIApp, mounted: dict[str, ASGIApp]) -> ASGIApp:
    """/tutorial/<n>/... goes to chapter n's app, with /tutorial/<n> as its root path."""

    async def tutorial(scope: dict[str, Any], receive: Any, send: Any) -> None:
        found = MOUNTED.match(scope["path"]) if scope["type"] == "http" else None
        chapter = mounted.get(found.group(1)) if found else None
        if chapter is None or found is None:
            return await game(scope, receive, send)
        root = f"/tutorial/{found.group(1)}"
        path = scope["path"] if found.group(2) else root + "/"  # /tutorial/5 is the chapter's own "/"
        await chapter({**scope, "root_path": scope.get("root_path", "") + root, "path": path}, receive, send)

    return tutorial


def mount(app: Quart, settings: Settings) -> None:
    """Serve every chapter at /tutorial/<n>, started and stopped with the game's services."""
    mounted = chapters()
    for chapter in mounted:
        protect(chapter, app, settings)
    app.register_blueprint(bp)
    apps = {str(chapter.number): chapter.app for chapter in mounted}
    app.asgi_app = dispatch(app.asgi_app, apps)  # type: ignore[method-assign]

    @app.while_serving
    async def chapters_serving() -> AsyncIterator[None]:
        svc = app.extensions["game"]  # started before: the game's limits and relay serve the chapters
        for chapter in mounted:
            chapter.app.extensions["game"] = svc
            await chapter.app.startup()
            if "redis" in chapter.app.extensions and settings.redis_cluster:
                # A chapter's own client talks to one Redis; on a cluster it would reach one
                # node. Mounted, it uses the game's (its keys share one slot: Keys.tutorial).
                chapter.app.extensions["redis"] = svc.store.redis
        fed = feeds(mounted)
        for feed, channels in fed.items():
            await svc.relay.watch(feed, channels)
        yield
        for feed in fed:
            await svc.relay.drop(feed)
        for chapter in reversed(mounted):
            await chapter.app.shutdown()
