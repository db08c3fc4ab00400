"""The screens: templates/screens/, the HTML of one player's view.

Streams render a screen on every change for every tab, so screens have a
plain synchronous Jinja environment of their own. Quart's `render_template`
would run the app's context processors (a sync one goes to a thread pool, per
render) and render asynchronously; a screen needs neither: everything it
shows is in the view's context.

A stream sends a screen as one SSE event. The HTML goes on one line:
datastar-py frames each line as a `data:` line of its own, and a room screen
has about eighty of them. A view shared by many viewers (everyone watching a
room) is rendered and framed once: this module holds the only render cache.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import jinja2
from datastar_py.sse import ServerSentEventGenerator as SSE

from game.views import Context, View

SCREENS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "screens"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # restart to see a template change, as with Quart outside debug mode
)


def render_screen(screen: str, context: dict[str, Any] | None = None) -> str:
    return SCREENS.get_template(f"{screen}.html").render(context or {})


def render_view(view: View, base_url: str) -> str:
    """A view's HTML, as the page shows it before its stream opens."""
    return _render(view.screen, view.context, base_url)


def view_event(view: View, base_url: str) -> str:
    """A view as one `datastar-patch-elements` event."""
    if view.shared:
        return _shared_event(view.screen, view.context, base_url)
    return _event(view.screen, view.context, base_url)


def _render(screen: str, context: Context, base_url: str) -> str:
    values = {name: getattr(context, name) for name in _field_names(type(context))}
    return render_screen(screen, {**values, "base_url": base_url})


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _event(screen: str, context: Context, base_url: str) -> str:
    # Newlines between tags are only whitespace to HTML (screens have no <pre>).
    return SSE.patch_elements(_render(screen, context, base_url).replace("\n", " "))


@functools.lru_cache(maxsize=64)
def _shared_event(screen: str, context: Context, base_url: str) -> str:
    """Keyed by the context object itself: one render per shared view and base URL."""
    return _event(screen, context, base_url)
