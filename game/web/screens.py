"""The screens: templates/screens/, the HTML of one player's view.

Streams render a screen on every change for every tab, so screens have a
plain synchronous Jinja environment of their own. Quart's `render_template`
would run the app's context processors (a sync one goes to a thread pool, per
render) and render asynchronously; a screen needs neither: everything it
shows is in the view's context.

A view is made of parts (game/views.py). A stream that shows a new screen
sends it whole; after that, only the parts that changed, in one
`datastar-patch-elements` event that Datastar morphs in by each part's id. A
shared part (the lobby's board, a room as one role sees it) is rendered and
framed once per snapshot for every tab: this module holds the only render caches
(that one, and each stream's own parts as last rendered, in `Sent`).
The HTML goes on one line: datastar-py frames each line as a `data:` line of
its own, and a room screen has about eighty of them.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import segno
from datastar_py.sse import ServerSentEventGenerator as SSE
from markupsafe import Markup

from game.views import Context, Part, View

SCREENS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "screens"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # restart to see a template change, as with Quart outside debug mode
)


@functools.lru_cache(maxsize=64)
def qr(url: str) -> Markup:
    """A QR code of `url` as inline SVG, made here (no image service): plain
    shapes with fill and stroke attributes, which the page's CSP allows."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", xmldecl=False, svgns=True, nl=False, border=2,
                                    dark="#000", light="#fff", omitsize=True, svgclass="qr", lineclass=None)
    return Markup(out.getvalue().decode())


SCREENS.globals["qr"] = qr


def render_screen(screen: str, context: dict[str, Any] | None = None) -> str:
    return SCREENS.get_template(f"{screen}.html").render(context or {})


def render_view(view: View, base_url: str) -> str:
    """A view's whole HTML (#view), as a page shows it before its stream opens."""
    return _whole(view, [_html(part, base_url) for part in view.parts])


@dataclass
class Sent:
    """What one stream has sent: the screen, and the HTML of each of its parts;
    and its own parts as last rendered: (template, the context's values, HTML)."""

    screen: str = ""
    parts: dict[str, str] = field(default_factory=dict)
    own: dict[str, tuple[str, tuple[Any, ...], str]] = field(default_factory=dict)


def updates(view: View, base_url: str, sent: Sent) -> list[str]:
    """The event that brings a tab showing `sent` to `view`, in a list (empty if nothing changed)."""
    htmls = {part.id: _html(part, base_url, sent) for part in view.parts}
    if view.screen != sent.screen:
        sent.screen, sent.parts = view.screen, {}
        if len(view.parts) > 1:  # a new screen of several parts goes whole
            sent.parts = htmls
            return [_event(_whole(view, list(htmls.values())))]
    changed = {part.id for part in view.parts if sent.parts.get(part.id) != htmls[part.id]}
    if not changed:
        return []
    going = [part for part in view.parts if part.id in changed or part.resent]
    sent.parts.update((part.id, htmls[part.id]) for part in going)
    if len(going) == 1 and going[0].shared:
        return [_shared_event(going[0].template, going[0].context, base_url)]
    # Parts that changed together go as one event (Datastar patches each
    # element by its id), which the next event's compression can refer back
    # to whole (game/web/compression.py).
    return [_event(" ".join(htmls[part.id] for part in going))]


def _whole(view: View, htmls: list[str]) -> str:
    if len(view.parts) == 1:
        return htmls[0]  # the part is the whole screen (#view)
    shell = render_screen(view.screen, {"parts": {p.id: Markup(h) for p, h in zip(view.parts, htmls)}})
    return shell.replace("\n", " ")


def _html(part: Part, base_url: str, sent: Sent | None = None) -> str:
    if part.shared:
        return _shared_html(part.template, part.context, base_url)
    return _render(part.template, part.context, base_url) if sent is None else _own_html(part, base_url, sent)


def _own_html(part: Part, base_url: str, sent: Sent) -> str:
    """A stream's own part, rendered again only when its context's values changed
    (a lobby tab is woken by every player arriving; its own part seldom changes)."""
    values = _values(part.context)
    last = sent.own.get(part.id)
    if last is not None and last[0] == part.template and last[1] == values:
        return last[2]
    html = _render(part.template, part.context, base_url, values)
    sent.own[part.id] = (part.template, values, html)
    return html


def _values(context: Context) -> tuple[Any, ...]:
    return tuple(getattr(context, name) for name in _field_names(type(context)))


def _render(template: str, context: Context, base_url: str, values: tuple[Any, ...] | None = None) -> str:
    """`values`: the context's, if the caller has them already."""
    fields = dict(zip(_field_names(type(context)), _values(context) if values is None else values))
    # Newlines between tags are only whitespace to HTML (screens have no <pre>).
    return render_screen(template, {**fields, "base_url": base_url}).replace("\n", " ")


def _event(html: str) -> str:
    return SSE.patch_elements(html)


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


# Keyed by the context object itself (hashed by identity): one render per
# shared part and base URL, however many tabs show it. Each room has a shared
# part per role (game/views.py): room enough for many rooms changing at once.
SHARED_RENDERS = 128


@functools.lru_cache(maxsize=SHARED_RENDERS)
def _shared_html(template: str, context: Context, base_url: str) -> str:
    return _render(template, context, base_url)


@functools.lru_cache(maxsize=SHARED_RENDERS)
def _shared_event(template: str, context: Context, base_url: str) -> str:
    return _event(_shared_html(template, context, base_url))
