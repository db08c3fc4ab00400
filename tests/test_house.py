"""The layout's promises, checked on the source: the domain imports nothing
from the web framework, each rule is written once, and tests speak the
game's language (keys built by `Keys`, no private names)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import KEYS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    path for folder in ("game", "tutorial", "bench", "templates", "components", "scripts", "static")
    for path in (ROOT / folder).rglob("*")
    if path.suffix in (".py", ".lua", ".html", ".js", ".css", ".sh") and not {"build", "vendor"} & set(path.parts)
] + [ROOT / "app.py"]
DOMAIN = sorted(p.stem for p in (ROOT / "game").glob("*.py") if p.stem != "__init__")
TESTS = sorted((ROOT / "tests").rglob("*.py"))

# (text, the one file allowed to hold it): a rule's spelling, and its home.
WRITTEN_ONCE = [
    ("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", "game/rules.py"),  # the room code alphabet
    ('"close:"', "game/rules.py"),  # the message that closes a stream
    ('("ready", "decoy", "go", "results")', "game/rules.py"),  # the phases of a match
    ("That name is taken by someone online", "game/lua/lobby.lua"),
    ("whole number of milliseconds", "game/rules.py"),  # the form of a buzz
    ('"relay": "relay:"', "game/keys.py"),  # the relay's own channel on a shard
    ('"room:{$}:players"', "game/keys.py"),  # a key template
]
NEVER = [
    ("[A-Z0-9]{5}", "a room code pattern besides game/rules.py"),
    ("range(1, 21)", "the rounds offered, written into a template"),
    ("time.time()", "a clock besides Redis's in the game"),
]


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "home"), WRITTEN_ONCE)
def test_each_rule_is_written_once(text, home):
    holders = [p.relative_to(ROOT).as_posix() for p in SOURCES if text in source(p)]
    assert holders == [home]
    assert source(ROOT / home).count(text) == 1


@pytest.mark.parametrize(("text", "what"), NEVER)
def test_nothing_spells_a_rule_again(text, what):
    holders = [p.relative_to(ROOT).as_posix() for p in SOURCES if text in source(p) and "bench" not in p.parts]
    assert not holders, what


def test_scripts_reach_redis_only_through_the_checked_call():
    """`call` (game/scripts.py) checks, when the suite runs, that each key a script touches was
    declared; a script that called redis.call itself would skip the check."""
    for path in sorted((ROOT / "game" / "lua").rglob("*.lua")):
        assert "redis.call" not in source(path), path.relative_to(ROOT).as_posix()


def imported_after(*modules: str) -> set[str]:
    code = f"import sys; import {', '.join(modules)}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_domain_imports_nothing_from_the_web_framework():
    loaded = imported_after(*(f"game.{name}" for name in DOMAIN))
    assert not {"quart", "hypercorn", "werkzeug", "game.web"} & loaded


def test_the_starlette_peer_imports_no_quart_module():
    loaded = imported_after("bench.peer")
    assert "quart" not in loaded and not any(m.startswith("game.web.") and m not in (
        "game.web.screens", "game.web.timing") for m in loaded)


def test_tests_build_keys_through_keys_and_use_no_private_names():
    for path in TESTS:
        tree = ast.parse(source(path))
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and path.name != "support.py":
                assert not node.value.startswith(KEYS.prefix), f"{where}:{node.lineno} writes a raw key"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("game", "tutorial", "bench")):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{where}:{node.lineno} imports {private}"
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                assert isinstance(owner, ast.Name) and owner.id == "self", f"{where}:{node.lineno} reads .{node.attr}"
