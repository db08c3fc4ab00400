"""The course's frame around a mounted chapter: a source panel that shows the
code that runs (read once, when the chapter is loaded), opens on the region
being discussed without its markers, and has the whole file, the changes since
the previous chapter and each exercise's solution one choice away."""

from __future__ import annotations

import html as htmllib
import re
import shutil

import pytest

import tutorial
from tests.support import Player
from tests.tutorial.conftest import folder
from tutorial.frame import frame
from tutorial.source import MARKER, shown

CHAPTERS = range(1, 8)


def code_lines(markup: str) -> list[str]:
    """Highlighted code as the viewer reads it, line by line, without the line numbers."""
    plain = re.sub(r'<span class="linenos">\s*\d+</span>', "", markup)
    return htmllib.unescape(re.sub(r"<[^>]+>", "", plain)).rstrip("\n").splitlines()


@pytest.fixture(scope="module")
def mounted() -> dict[int, tutorial.Chapter]:
    return {chapter.number: chapter for chapter in tutorial.chapters()}


@pytest.mark.parametrize("number", CHAPTERS)
def test_the_panel_shows_each_file_of_the_chapter_whole_without_region_markers(mounted, number):
    views = {view.key: view for view in mounted[number].frame.views}
    for path in [folder(number) / "app.py", *sorted((folder(number) / "templates").glob("*.html"))]:
        relative = path.relative_to(folder(number)).as_posix()
        shown_lines = code_lines(views[relative].html)
        source = [line for line in path.read_text().splitlines() if not MARKER.match(line)]
        assert shown_lines == source, relative  # every line, in order, and no marker line
        assert not any(MARKER.match(line) for line in shown_lines)


@pytest.mark.parametrize("number", CHAPTERS)
def test_every_region_a_lesson_names_is_a_range_of_its_files_lines(mounted, number):
    course = mounted[number].frame
    page = (folder(number) / "templates" / "page.html").read_text()
    named = re.findall(r'data-code="([\w-]+)"', page)
    assert named and course.opens_on == course.regions[named[0]]  # the panel opens on the first one
    for name in named:
        view = next(v for v in course.views if v.key == course.regions[name])
        text = shown((folder(number) / view.whole).read_text())
        assert text.regions[name] == view.lines


@pytest.mark.parametrize("number", range(2, 8))
def test_each_chapter_shows_what_changed_since_the_previous_one(mounted, number):
    [changes] = [v for v in mounted[number].frame.views if v.key == "changes"]
    diff = code_lines(changes.html)
    assert diff[0] == f"--- {folder(number - 1).name}/app.py" and diff[1] == f"+++ {folder(number).name}/app.py"
    assert f'+TITLE = "{mounted[number].module.TITLE}"' in diff
    assert f'-TITLE = "{mounted[number - 1].module.TITLE}"' in diff
    assert 'class="gi"' in changes.html and 'class="gd"' in changes.html  # highlighted as a diff


@pytest.mark.parametrize("number", CHAPTERS)
def test_each_exercise_has_its_solution_in_the_panel(mounted, number):
    page = (folder(number) / "templates" / "page.html").read_text()
    wanted = re.findall(r'data-solution="([\w-]+)"', page)
    solutions = {v.key for v in mounted[number].frame.views if v.key.startswith("solution/")}
    assert wanted and solutions == {f"solution/{name}" for name in wanted}


def test_the_panel_shows_the_code_as_it_was_loaded_not_as_it_is_now(tmp_path):
    """What the panel shows is what runs: a file edited after the start shows after a restart."""
    copy = tmp_path / "01_hypermedia"
    shutil.copytree(folder(1), copy)
    loaded = frame(1, "Hypermedia", copy, ((1, "Hypermedia"),), None, {})
    (copy / "app.py").write_text((copy / "app.py").read_text().replace("Hello from", "Goodbye from"))
    (copy / "templates" / "hello.html").write_text("<p id=\"hello\">edited</p>\n")
    views = {view.key: view for view in loaded.views}
    assert "edited" not in views["templates/hello.html"].html and "Hello from the server" in views["templates/hello.html"].html


def test_chapter_7s_tour_finds_each_stop_in_the_real_game(mounted):
    tour = [v for v in mounted[7].frame.views if v.key.startswith("tour/")]
    assert [v.key for v in tour] == [f"tour/{name}" for name in mounted[7].module.TOUR]
    for view in tour:
        assert "(whole file" not in view.label, f"{view.label}: the game changed, update TOUR in tutorial/07_game/app.py"
    press = next(v for v in tour if v.key == "tour/tour-press")
    assert "dispatchEvent" in press.html and "composed" in press.html


async def test_the_page_offers_every_view_and_opens_on_the_demos_region(server, players):
    p = Player(server.url)
    players.append(p)
    page = (await p.open("/tutorial/5")).text
    options = re.findall(r'<option value="([^"]+)"', page)
    assert {"app.py", "app.py#commands", "app.py#stream", "templates/view.html", "changes", "solution/reset"} <= set(options)
    assert re.search(r'<option value="app.py#commands"[^>]*data-file="app.py"[^>]*selected>', page)
    assert '<script src="/static/tutorial/source.js" defer></script>' in page
