"""The course's frame around a mounted chapter: the chapter list, and the code
the source panel can show, read once, when the chapter is loaded.

What the panel shows is what runs: the files are read in the same moment the
chapter's module is imported, and never again (an edit after start shows only
after a restart, together with the code it describes).

Each of the chapter's own files is highlighted once, whole; a region is a
range of its lines. The panel opens on the region a lesson section names in
its `data-code` attribute, showing those lines alone, and "whole file" shows
the rest around them, the region's lines marked.
Beside them: what changed since the previous chapter's app.py, each exercise's
solution (a diff), and for chapter 7 the parts of the real game it walks through.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from tutorial.source import MARKER, highlighted, language, shown

ROOT = Path(__file__).resolve().parent.parent
OWN_FILES = ("app.py", "*.js", "templates/*.html", "static/*.js", "static/*.css")
CODE_NAMES = re.compile(r'data-code="([\w-]+)"')


@dataclass(frozen=True)
class View:
    """One thing the source panel can show."""

    key: str  # "app.py", "app.py#stream", "changes", "solution/reset", "tour/press"
    group: str  # how the panel's menu groups it
    label: str
    html: Markup  # empty for a region: it is shown as its lines of its file's view
    whole: str = ""  # a region's file view
    lines: tuple[int, int] = (0, 0)  # the region's lines in that file

    @property
    def region(self) -> str:
        """The name a lesson's `data-code` uses for it ("" for a whole file, a diff)."""
        return self.key.removeprefix("tour/") if self.key.startswith("tour/") else self.key.partition("#")[2]


@dataclass(frozen=True)
class Frame:
    number: int
    title: str
    chapters: tuple[tuple[int, str], ...]  # every chapter's number and title
    views: tuple[View, ...]
    opens_on: str  # the view the panel shows first
    regions: dict[str, str] = field(default_factory=dict)  # region name -> view key

    @property
    def groups(self) -> list[tuple[str, list[View]]]:
        """The views by group, in the order they come (the panel's menu)."""
        grouped: dict[str, list[View]] = {}
        for view in self.views:
            grouped.setdefault(view.group, []).append(view)
        return list(grouped.items())

    @property
    def previous(self) -> tuple[int, str] | None:
        return self.chapters[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> tuple[int, str] | None:
        return self.chapters[self.number] if self.number < len(self.chapters) else None


def file_id(relative: str) -> str:
    """An id-safe name for a file's line spans."""
    return "src-" + re.sub(r"[^\w-]", "-", relative)


def file_views(folder: Path, path: Path, group: str) -> list[View]:
    """The whole file (markers out), highlighted once; each region is a range of its lines."""
    relative = path.relative_to(folder).as_posix()
    text = shown(path.read_text(encoding="utf-8"))
    code = highlighted(text.text, language(path), spans=file_id(relative))
    whole = View(relative, group, f"{relative} (whole file)", code)
    regions = [View(f"{relative}#{name}", group, f"{relative} · {name}", Markup(), relative, lines)
               for name, lines in sorted(text.regions.items(), key=lambda item: item[1])]
    return [*regions, whole]


Tour = dict[str, tuple[str, str, str, str]]  # name -> (file, what it does, first line, last line as regexes)


def tour_span(lines: list[str], first: str, last: str) -> tuple[int, int] | None:
    """The index of the first line matching `first` and of the next one matching `last`."""
    start = next((i for i, line in enumerate(lines) if re.search(first, line)), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if re.search(last, lines[i])), None)
    return None if end is None else (start, end)


def tour_views(tour: Tour) -> list[View]:
    """Chapter 7's stops in the real game. A stop whose lines are gone (the game
    changed) shows its whole file, marked so; tests/tutorial fails on it."""
    views = []
    for name, (path, _, first, last) in tour.items():
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        span = tour_span(lines, first, last)
        start, end = span or (0, len(lines) - 1)
        label = f"{path} · {name.removeprefix('tour-')}" if span else f"{path} (whole file: the excerpt moved)"
        code = "\n".join(lines[start : end + 1]) + "\n"
        views.append(View(f"tour/{name}", "The real game", label,
                          highlighted(code, language(Path(path)), first_line=start + 1)))
    return views


def changes(previous: Path | None, current: Path) -> list[View]:
    """The previous chapter's app.py against this one, as a highlighted diff."""
    if previous is None:
        return []
    before, after = (shown(p.read_text(encoding="utf-8")).text.splitlines(keepends=True) for p in (previous, current))
    names = (f"{previous.parent.name}/app.py", f"{current.parent.name}/app.py")
    diff = "".join(difflib.unified_diff(before, after, *names))
    return [View("changes", "Changes", f"What changed since chapter {previous.parent.name[:2].lstrip('0')}",
                 highlighted(diff, "diff"))]


def solutions(folder: Path) -> list[View]:
    """Each exercise's solution, a diff; its region markers (context for `git apply`) left out."""
    def readable(diff: str) -> str:
        return "".join(line for line in diff.splitlines(keepends=True) if not MARKER.match(line[1:]))

    return [View(f"solution/{path.stem}", "Solutions", f"Solution: {path.stem}",
                 highlighted(readable(path.read_text(encoding="utf-8")), "diff"))
            for path in sorted((folder / "solutions").glob("*.diff"))]


def frame(number: int, title: str, folder: Path, chapters: tuple[tuple[int, str], ...],
          previous: Path | None, tour: Tour) -> Frame:
    """Read the chapter's code now, once, for the source panel."""
    own = sorted({path for pattern in OWN_FILES for path in folder.glob(pattern)},
                 key=lambda p: (p.name != "app.py", p.relative_to(folder).as_posix()))
    views = [view for path in own for view in file_views(folder, path, "This chapter")]
    views += tour_views(tour) + changes(previous, folder / "app.py") + solutions(folder)
    regions: dict[str, str] = {}
    for view in views:
        if view.region in regions:
            raise ValueError(f"chapter {number}: two regions named {view.region!r}")
        if view.region:
            regions[view.region] = view.key
    named = CODE_NAMES.findall((folder / "templates" / "page.html").read_text(encoding="utf-8"))
    missing = [name for name in named if name not in regions]
    if missing:
        raise ValueError(f"chapter {number}: page.html names regions that do not exist: {missing}")
    return Frame(number, title, chapters, tuple(views), regions[named[0]] if named else views[0].key, regions)
