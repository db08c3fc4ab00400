"""The source panel: a chapter's own files, read from disk when the page is
asked for and highlighted on the server by Pygments. What the viewer reads is
what runs. Regions (`# region name` … `# endregion`, or `{# region name #}` in
templates) name the excerpts the docs quote; tests/tutorial/test_docs.py checks
that every excerpt still equals its region.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from game.config import ROOT

LANGUAGES = {".py": "python", ".html": "html+jinja", ".js": "javascript", ".lua": "lua", ".css": "css"}
STYLE = "github-dark"
# A marker line: a comment in any of the languages above that starts with
# "region <name>" or "endregion" (anything after the name is a remark).
MARKER = re.compile(r"^\s*(?:#|\{#|--|//)\s*(region|endregion)\b[ \t]*([\w-]*)")


def stylesheet() -> str:
    """Pygments' colours for `.highlight`, served as a stylesheet (no inline styles)."""
    return str(HtmlFormatter(style=STYLE).get_style_defs(".highlight"))


def highlighted(code: str, language: str, numbers: bool = False) -> Markup:
    formatter = HtmlFormatter(style=STYLE, linenos="inline" if numbers else False)
    return Markup(highlight(code, get_lexer_by_name(language), formatter))


def source_file(path: Path) -> Markup:
    """One file of the project, as it is on disk right now, with line numbers."""
    return highlighted(path.read_text(encoding="utf-8"), LANGUAGES.get(path.suffix, "text"), numbers=True)


def relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


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
