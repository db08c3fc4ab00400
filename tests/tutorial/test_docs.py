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
SECTIONS = ("## Goal", "## What to show", "## The code", "## Try it", "## The pitfall it avoids")


def excerpts(doc: Path) -> list[tuple[str | None, str]]:
    """(the source marker right before it, or None; the fenced code) for each fenced block."""
    text = doc.read_text()
    found = []
    for fence in FENCE.finditer(text):
        before = MARKER.search(text, 0, fence.start())
        found.append((before.group(0) if before else None, fence.group(2).rstrip("\n")))
    return found


def test_there_is_one_script_per_chapter_with_every_section():
    assert [d.name[:3] for d in DOCS] == [f"0{n}-" for n in range(1, 7)]
    for doc in DOCS:
        text = doc.read_text()
        positions = [text.find(section) for section in SECTIONS]
        assert -1 not in positions and positions == sorted(positions), doc.name
        assert f"/tutorial/{doc.name[1]}" in text  # the page the video walks through


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
