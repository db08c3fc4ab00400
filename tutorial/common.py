"""What every chapter shares: its page in the tutorial layout, the signals it
reads, the SSE responses it streams, and the Redis keys it may touch.

A chapter is one module (handlers) plus its templates, `tutorial/<module>*.html`;
the layout shows those very files in the source panel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datastar_py.quart import DatastarResponse, read_signals
from quart import Blueprint, Quart, Response, abort, current_app, redirect, render_template

from game.config import ROOT
from game.relay import Mailbox
from game.web.context import services
from game.web.transport import client
from tutorial.source import relative, source_file, stylesheet

TITLES = (
    "Hypermedia",
    "Signals",
    "Server validation with signals",
    "Fragments and the long-lived stream",
    "A room over Redis pub/sub",
    "The buzzer web component",
)
KEY_TTL_S = 3600  # the tutorial's demo keys expire an hour after their last change

bp = Blueprint("tutorial", __name__, url_prefix="/tutorial")


@bp.get("")
async def start() -> Response:
    return redirect("/tutorial/1")  # type: ignore[return-value]


@bp.get("/pygments.css")
async def pygments_css() -> Response:
    return Response(stylesheet(), content_type="text/css; charset=utf-8")


@dataclass(frozen=True)
class Chapter:
    number: int
    module_file: str  # the chapter module's __file__
    extra_sources: tuple[str, ...] = ()  # shared files the chapter builds on (shown folded)

    @property
    def name(self) -> str:
        return Path(self.module_file).stem  # e.g. "ch1_hypermedia"

    @property
    def title(self) -> str:
        return TITLES[self.number - 1]

    def sources(self) -> list[dict[str, Any]]:
        """The chapter's module and templates, then the shared files, read now."""
        own = [Path(self.module_file), *sorted((ROOT / "templates" / "tutorial").glob(f"{self.name}*.html"))]
        files = [(path, True) for path in own] + [(ROOT / extra, False) for extra in self.extra_sources]
        return [{"path": relative(path), "html": source_file(path), "open": open_} for path, open_ in files]

    async def page(self, **context: Any) -> str:
        """The whole chapter page: lesson, live demo, source panel, wire panel."""
        return await render_template(
            f"tutorial/{self.name}.html",
            chapter=self,
            chapters=list(enumerate(TITLES, start=1)),
            sources=self.sources(),
            **context,
        )


def tutorial_key(name: str) -> str:
    """A Redis key or channel of the tutorial: the game's prefix, then `tut:`."""
    return services().store.keys.tutorial(name)


async def signals() -> dict[str, Any]:
    """The signals (or the action's payload) Datastar sent: user input like any other."""
    try:
        data = await read_signals()
    except ValueError:
        abort(400, "The signals must be JSON.")
    if data is None:
        return {}
    if not isinstance(data, dict):
        abort(400, "The signals must be a JSON object.")
    return data


def text_field(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        abort(400, f"'{name}' must be text of at most {limit} characters.")
    return value


def sse(events: AsyncIterator[str], wake: Mailbox | None = None) -> DatastarResponse:
    """An SSE response streaming `events`, inside the app context templates need.

    A long-lived stream passes the mailbox it waits on as `wake`: when the
    client leaves, the mailbox is notified, and the stream ends at its next
    event (Hypercorn may not cancel it, see game/web/transport.py).
    """
    app: Quart = current_app._get_current_object()  # type: ignore[attr-defined]
    link = client()
    if wake is not None:
        link.on_gone(wake.notify)

    async def body() -> AsyncIterator[str]:
        async with app.app_context(), aclosing(events) as running:
            async for event in running:
                if not link.alive:
                    return
                yield event

    return DatastarResponse(body())
