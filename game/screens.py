"""The screens: templates/screens/, the HTML of one player's view.

Streams render a screen on every change for every tab, so screens have a
plain synchronous Jinja environment of their own. Quart's `render_template`
would run the app's context processors (a sync one goes to a thread pool, per
render) and render asynchronously; a screen needs neither: everything it
shows is in the view's context.

A stream sends a screen as one SSE event. The HTML goes on one line:
datastar-py frames each line as a `data:` line of its own, and a room screen
has about eighty of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from datastar_py.sse import ServerSentEventGenerator as SSE

from game.views import View

SCREENS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "screens"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # restart to see a template change, as with Quart outside debug mode
)


def render_screen(screen: str, context: dict[str, Any] | None = None) -> str:
    return SCREENS.get_template(f"{screen}.html").render(context or {})


def render_view(view: View, base_url: str) -> str:
    """A view's HTML, as the page shows it before its stream opens."""
    return render_screen(view.screen, {**view.context, "base_url": base_url})


def view_event(view: View, base_url: str) -> str:
    """A view as one `datastar-patch-elements` event; viewers of identical
    views (spectators) share one render and one event."""
    shared = view.shared_events
    if shared is not None and base_url in shared:
        return shared[base_url]
    # Newlines between tags are only whitespace to HTML (screens have no <pre>).
    event = SSE.patch_elements(render_view(view, base_url).replace("\n", " "))
    if shared is not None:
        shared[base_url] = event
    return event
