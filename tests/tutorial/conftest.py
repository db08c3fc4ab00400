"""Each chapter as a viewer runs it: `python app.py` inside its folder, a process of its own."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.support import Player, Server, serving

# What the suite sets for a chapter process: a fixed key (sessions across requests) and
# chapter 6's secret delay as short as the suite's game has it (tests/conftest.py).
CHAPTER_ENV = {"SECRET_KEY": "tutorial-test-key", "READY_MIN_MS": "400", "READY_MAX_MS": "700"}


def folder(number: int) -> Path:
    [found] = (ROOT / "tutorial").glob(f"{number:02d}_*")
    return found


def run_chapter(path: Path, env: dict[str, str] | None = None) -> contextlib.AbstractContextManager[Server]:
    """`python app.py` in the chapter's folder, on a free port."""
    port = free_port()
    return serving([sys.executable, "app.py"], path, {**CHAPTER_ENV, **(env or {}), "PORT": str(port)}, port)


@pytest.fixture(scope="module")
def chapter(redis_url: str) -> Iterator[Callable[[int], Server]]:
    """Chapter n as its own process on the suite's redis-server, started when first asked for and
    stopped with the test module (its subscriber would count as another process's otherwise)."""
    with contextlib.ExitStack() as stack:
        started: dict[int, Server] = {}

        def get(number: int) -> Server:
            if number not in started:
                started[number] = stack.enter_context(run_chapter(folder(number), {"REDIS_URL": redis_url}))
            return started[number]

        yield get


async def visitor(server: Server, players: list[Player], path: str = "/") -> Player:
    """Someone with the chapter's page open (and so a session cookie)."""
    p = Player(server.url)
    players.append(p)
    await p.open(path)
    return p
