"""The video scripts in docs/tutorial/ cannot drift from the code they show.

Every fenced block in them is an excerpt, marked with the region it comes from
(`<!-- source: path#region -->` just before it), and must equal that region of
the file as it is now (tutorial/source.py reads regions for both).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutorial.source import region

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs" / "tutorial").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
MARKER = re.compile(r"<!-- source: (\S+?)#([\w-]+) -->\n$")
SECTIONS = ("## Goal", "## Before a take", "## What to show", "## The code", "## Try it", "## The pitfall it avoids")
CUE = re.compile(r"^\d+\. \((\d+):(\d\d)\) ", re.M)  # a numbered step with its rough time in the take


def excerpts(doc: Path) -> list[tuple[str | None, str]]:
    """(the source marker right before it, or None; the fenced code) for each fenced block."""
    text = doc.read_text()
    found = []
    for fence in FENCE.finditer(text):
        before = MARKER.search(text, 0, fence.start())
        found.append((before.group(0) if before else None, fence.group(2).rstrip("\n")))
    return found


def test_there_is_one_script_per_chapter_with_every_section():
    chapters = sorted((ROOT / "tutorial").glob("0*_*/app.py"))
    assert [d.name[:3] for d in DOCS] == [f"0{n}-" for n in range(1, len(chapters) + 1)] and len(DOCS) == 7
    for doc in DOCS:
        text = doc.read_text()
        positions = [text.find(section) for section in SECTIONS]
        assert -1 not in positions and positions == sorted(positions), doc.name
        assert f"/tutorial/{doc.name[1]}" in text  # the page the video walks through


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_script_gives_cue_points_in_order(doc):
    steps = text_between(doc.read_text(), "## What to show", "## The code")
    cues = [int(minutes) * 60 + int(seconds) for minutes, seconds in CUE.findall(steps)]
    assert len(cues) >= 4 and cues[0] == 0 and cues == sorted(cues), doc.name


def text_between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_chapter_7_names_only_real_places_in_the_game():
    """Its walk-through names files and functions of the game: each must still be there."""
    text = (ROOT / "docs" / "tutorial" / "07-game.md").read_text()
    named = re.findall(r"\(`([\w/.-]+\.(?:py|js|lua|html))`(?:, `([\w.:-]+)`)?\)", text)
    assert len(named) >= 6
    for path, name in named:
        source = (ROOT / path).read_text()
        if name:
            assert re.search(rf"\b(def |async def |class )?{re.escape(name.split('.')[-1])}\b", source), (path, name)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_excerpt_equals_its_region_of_the_source(doc):
    blocks = excerpts(doc)
    assert blocks, f"{doc.name} shows no code"
    for marker, code in blocks:
        assert marker, f"{doc.name}: a code block without a <!-- source: path#region --> line before it:\n{code}"
        path, name = MARKER.search(marker).groups()  # type: ignore[union-attr]
        assert code == region((ROOT / path).read_text(), name), f"{doc.name}: {path}#{name} has drifted"


def test_a_drifted_excerpt_is_caught(tmp_path):
    source = tmp_path / "demo.py"
    source.write_text("x = 1\n# region answer\nanswer = 42\n# endregion\n")
    assert region(source.read_text(), "answer") == "answer = 42"
    source.write_text("x = 1\n# region answer\nanswer = 43\n# endregion\n")
    assert region(source.read_text(), "answer") != "answer = 42"
    with pytest.raises(KeyError):
        region(source.read_text(), "question")


def test_regions_nest_and_their_markers_stay_out_of_the_excerpt():
    text = "{# region outer #}\n<a>\n  {# region inner #}\n  <b>\n  {# endregion #}\n</a>\n{# endregion #}\n"
    assert region(text, "outer") == "<a>\n  <b>\n</a>"
    assert region(text, "inner") == "<b>"
