"""A chapter is one folder a viewer can copy: it imports nothing from the game or
another chapter, says at its top where its browser bundles come from, and
copied into an empty folder it still runs."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.support import DATASTAR, Player, sse_events
from tests.tutorial.conftest import CHAPTER_ENV, folder, run_chapter

CHAPTERS = range(1, 8)
BUNDLE = ROOT / "static" / "vendor" / "datastar.js"


def imported(path) -> set[str]:  # type: ignore[no-untyped-def]
    """The top-level names of every module a file imports."""
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("number", CHAPTERS)
def test_a_chapter_imports_nothing_of_the_game_or_of_another_chapter(number):
    used = imported(folder(number) / "app.py")
    assert not used & {"game", "tutorial", "app", "bench", "tests"}, used
    assert used <= {"__future__", "asyncio", "contextlib", "dataclasses", "datetime", "hmac", "json", "os",
                    "secrets", "time", "unicodedata", "collections", "pathlib", "typing",
                    "quart", "werkzeug", "datastar_py", "redis", "fakeredis"}, used  # the project's packages


@pytest.mark.parametrize("number", CHAPTERS)
def test_the_top_of_app_py_says_where_the_datastar_bundle_comes_from(number):
    lines = (folder(number) / "app.py").read_text().splitlines()
    source = next(line for line in lines if line.startswith("# Datastar"))
    assert "scripts/fetch_datastar.py" in source and "DATASTAR_JS" in source
    assert lines.index(source) < next(i for i, line in enumerate(lines) if line.startswith(("import", "from")))


def test_chapter_6_says_where_lit_comes_from_and_has_its_own_component():
    head = (folder(6) / "app.py").read_text().split("\nfrom __future__")[0]
    assert "# Lit:" in head and "npm run build:tutorial" in head and "esbuild buzzer.js" in head
    component = (folder(6) / "buzzer.js").read_text()
    assert "from 'lit'" in component and "customElements.define('tut-buzzer'" in component
    assert "reflex-buzzer" not in (folder(6) / "templates" / "page.html").read_text()  # not the game's bundle


@pytest.mark.parametrize("number", CHAPTERS)
async def test_a_chapter_copied_into_an_empty_folder_runs_on_its_own(number, tmp_path, players):
    copy = tmp_path / "mine"
    shutil.copytree(folder(number), copy, ignore=shutil.ignore_patterns("__pycache__"))
    # Nothing else: no REDIS_URL (the embedded Redis), no project around it, only the bundle's path.
    with run_chapter(copy, {"DATASTAR_JS": str(BUNDLE)}) as server:
        p = Player(server.url)
        players.append(p)
        page = await p.open("/")
        assert f"<h1>{number}. " in page.text and '<script type="module" src="/datastar.js">' in page.text
        assert (await p.client.get("/datastar.js")).content == BUNDLE.read_bytes()
        if number == 5:  # the room, on the embedded Redis
            await p.start_stream("/stream")
            await p.wait_for(lambda t: "In the room (0/8)" in t)
            assert (await p.post("/join", {"name": "Ann"})).status_code == 204
            assert (await p.post("/tap")).status_code == 204
            await p.wait_for(lambda t: "You are Ann , and you tapped 1 time." in t)
        if number == 1:
            [(kind, _)] = sse_events((await p.client.get("/hello", headers=DATASTAR)).text)
            assert kind == "datastar-patch-elements"


def test_without_the_datastar_bundle_a_chapter_says_what_is_missing(tmp_path):
    result = subprocess.run([sys.executable, "app.py"], cwd=folder(1), capture_output=True, text=True, timeout=30,
                            env={**CHAPTER_ENV, "DATASTAR_JS": str(tmp_path / "nowhere.js"), "PATH": ""})
    assert result.returncode != 0
    assert f"No Datastar bundle at {tmp_path / 'nowhere.js'}: see the line at the top of" in result.stderr
