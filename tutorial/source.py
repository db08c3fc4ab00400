"""Source text for the course: regions, and code highlighted on the server.

Regions (`# region name` … `# endregion`, or `{# region name #}` in templates)
name the excerpts the source panel opens on and the docs quote;
tests/tutorial/test_docs.py checks that every excerpt still equals its region.
What the viewer reads has its marker lines taken out.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

LANGUAGES = {".py": "python", ".html": "html+jinja", ".js": "javascript", ".lua": "lua", ".css": "css",
             ".diff": "diff"}
STYLE = "github-dark"
# A marker line: a comment in any of the languages above that starts with
# "region <name>" or "endregion" (anything after the name is a remark).
MARKER = re.compile(r"^\s*(?:#|\{#|--|//)\s*(region|endregion)\b[ \t]*([\w-]*)")


def stylesheet() -> str:
    """Pygments' colours for `.highlight`, served as a stylesheet (no inline styles)."""
    return str(HtmlFormatter(style=STYLE).get_style_defs(".highlight"))


def language(path: Path) -> str:
    return LANGUAGES.get(path.suffix, "text")


def highlighted(code: str, lang: str, first_line: int = 1, spans: str = "") -> Markup:
    """Code as highlighted HTML with line numbers from `first_line`; with `spans`,
    each line is wrapped in `<span id="{spans}-{n}">` so a range can be marked."""
    formatter = HtmlFormatter(style=STYLE, linenos="inline", linenostart=first_line, linespans=spans)
    return Markup(highlight(code, get_lexer_by_name(lang), formatter))


@dataclass(frozen=True)
class Shown:
    """A file as the viewer reads it: the marker lines gone, each region's line range kept."""

    text: str
    regions: dict[str, tuple[int, int]]  # name -> (first, last) line of the shown text, from 1

    def excerpt(self, name: str) -> str:
        first, last = self.regions[name]
        return textwrap.dedent("\n".join(self.text.splitlines()[first - 1 : last]))


def shown(text: str) -> Shown:
    """`text` without its region markers, and where each region now stands."""
    kept: list[str] = []
    open_: list[tuple[str, int]] = []
    regions: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        kind = _marker(line)
        if kind is None:
            kept.append(line)
        elif kind[0] == "region":
            open_.append((kind[1], len(kept) + 1))
        elif open_:
            name, first = open_.pop()
            regions[name] = (first, len(kept))
    return Shown("\n".join(kept) + "\n", regions)


def region(text: str, name: str) -> str:
    """The lines between `region name` and its own `endregion`, dedented.

    Regions may nest; the marker lines of inner regions are left out.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _marker(line) == ("region", name)), None)
    if start is None:
        raise KeyError(f"no region {name!r}")
    body, depth = [], 1
    for line in lines[start + 1 :]:
        kind = _marker(line)
        if kind is None:
            body.append(line)
            continue
        depth += 1 if kind[0] == "region" else -1
        if depth == 0:
            return textwrap.dedent("\n".join(body)).strip("\n")
    raise KeyError(f"region {name!r} has no endregion")


def _marker(line: str) -> tuple[str, str] | None:
    found = MARKER.match(line)
    return (found.group(1), found.group(2)) if found else None
