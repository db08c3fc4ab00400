"""Every exercise's solution, run: each is a diff against its chapter's folder
(tutorial/<nn>_<name>/solutions/<exercise>.diff, shown on the page). It is
applied to a copy of the folder, the copy is started as its own process, and
what the exercise asks for is checked over HTTP and SSE, so a solution cannot
rot while its chapter changes."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support import DATASTAR, Server, sse_events, view_text
from tests.tutorial.conftest import folder, run_chapter, visitor

BUNDLE = ROOT / "static" / "vendor" / "datastar.js"
SOLUTIONS = sorted(Path(folder(1)).parent.glob("*/solutions/*.diff"))


@contextlib.contextmanager
def solved(number: int, exercise: str, tmp_path: Path, redis_url: str) -> Iterator[Server]:
    """The chapter with the exercise's solution applied, running on its own."""
    copy = tmp_path / folder(number).name
    shutil.copytree(folder(number), copy, ignore=shutil.ignore_patterns("__pycache__", "solutions"))
    subprocess.run(["git", "apply", "-p0", str(folder(number) / "solutions" / f"{exercise}.diff")],
                   cwd=copy, check=True, capture_output=True, text=True)
    # Keys of their own: the chapters the other tests started share this redis-server.
    env = {"REDIS_URL": redis_url, "KEY_PREFIX": f"solution:{number}:", "DATASTAR_JS": str(BUNDLE)}
    with run_chapter(copy, env) as server:
        yield server


@pytest.mark.parametrize("diff", SOLUTIONS, ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_every_solution_applies_to_its_chapter_as_it_is_now(diff, tmp_path):
    copy = tmp_path / "chapter"
    shutil.copytree(diff.parents[1], copy, ignore=shutil.ignore_patterns("__pycache__"))
    applied = subprocess.run(["git", "apply", "-p0", "--check", str(diff)], cwd=copy, capture_output=True, text=True)
    assert applied.returncode == 0, f"{diff.name} no longer applies:\n{applied.stderr}"


def test_every_exercise_on_a_page_has_a_solution_and_a_test_here():
    asked = {(int(p.parents[1].name[:2]), name) for p in Path(folder(1)).parent.glob("*/templates/page.html")
             for name in re.findall(r'data-solution="([\w-]+)"', p.read_text())}
    assert asked == {(int(d.parents[1].name[:2]), d.stem) for d in SOLUTIONS}
    assert len(asked) == 7  # one per chapter, each checked below
    for number, name in asked:
        assert f'solved({number}, "{name}"' in Path(__file__).read_text()


async def test_ch1_ask_for_the_date(tmp_path, redis_url, players):
    with solved(1, "date", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        assert "Ask for the date" in (await p.open("/")).text
        [(kind, fragment)] = sse_events((await p.client.get("/date", headers=DATASTAR)).text)
        assert kind == "datastar-patch-elements" and fragment.startswith('<p id="date">Today is <time>')


async def test_ch2_sign_out(tmp_path, redis_url, players):
    with solved(2, "sign-out", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        await p.client.post("/sign-in", data={"name": "Ann", "password": "open sesame"}, headers=DATASTAR)
        [(_, out)] = sse_events((await p.post("/sign-out")).text)
        assert view_text(out) == "The signed cookie says nobody has signed in from this browser."
        [(_, whoami)] = sse_events((await p.client.get("/whoami", headers=DATASTAR)).text)
        assert "nobody has signed in" in view_text(whoami)


async def test_ch3_a_reserved_name(tmp_path, redis_url, players):
    with solved(3, "reserved", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        for path in ("/check", "/submit"):
            for name in ("admin", " ADMIN ", "Admin"):
                answer = sse_events((await p.post(path, {"name": name})).text)
                assert answer == [("datastar-patch-signals", 'signals {"nameError":"That name is reserved."}')]
        assert "Welcome" in (await p.post("/submit", {"name": "Adminah"})).text


async def test_ch4_count_down_from_a_number(tmp_path, redis_url, players):
    with solved(4, "count-from", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        answer = await p.client.get("/countdown", params={"datastar": json.dumps({"from": 5})}, headers=DATASTAR)
        assert [view_text(html) for _, html in sse_events(answer.text)][:-1] == ["5", "4", "3", "2", "1"]
        for bad in (0, 11, "5", 2.5):
            refused = await p.client.get("/countdown", params={"datastar": json.dumps({"from": bad})}, headers=DATASTAR)
            assert refused.status_code == 400 and refused.text == "'from' must be a whole number from 1 to 10."


async def test_ch5_a_reset(tmp_path, redis_url, players):
    with solved(5, "reset", tmp_path, redis_url) as server:
        members = []
        for name in ("Ann", "Bob"):
            p = await visitor(server, players)
            await p.start_stream("/stream")
            await p.wait_for(lambda t: "In the room" in t)
            assert (await p.post("/join", {"name": name})).status_code == 204
            members.append(p)
        ann, bob = members
        for p in (ann, bob, bob):
            assert (await p.post("/tap")).status_code == 204
        await bob.wait_for(lambda t: "Ann 1" in t and "Bob (you) 2" in t)
        outsider = await visitor(server, players)
        refused = await outsider.post("/reset")
        assert refused.status_code == 403 and refused.text == "Join the room first: only members can reset."
        assert (await bob.post("/reset")).status_code == 204
        await ann.wait_for(lambda t: "Ann (you) 0" in t and "Bob 0" in t)
        await bob.wait_for(lambda t: "Ann 0" in t and "Bob (you) 0" in t)


async def test_ch6_your_best_time(tmp_path, redis_url, players, redis):
    with solved(6, "best-time", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        verdicts = []
        for ms in (300, 200, 250, None):
            events = sse_events((await p.post("/start")).text)
            round_id = re.search(r'round-id="(\w+)"', events[-1][1]).group(1)  # type: ignore[union-attr]
            [key] = await redis.keys(f"solution:6:buzz:*:{round_id}")
            await redis.hincrby(key, "sent", -1000)  # GO went a second ago: every claim here stands
            answer = await p.post("/buzz", {"round_id": round_id, "ms": ms, "early": ms is None})
            verdicts.append(view_text(sse_events(answer.text)[0][1]))
        assert [re.search(r"Your best: (\d+) ms\.", v).group(1) for v in verdicts[:3]] == ["300", "200", "200"]  # type: ignore[union-attr]
        assert verdicts[3].startswith("False start") and "Your best: 200 ms." in verdicts[3]


async def test_ch7_clear_the_moves(tmp_path, redis_url, players):
    with solved(7, "clear", tmp_path, redis_url) as server:
        p = await visitor(server, players)
        await p.start_stream("/moves")
        await p.post("/move")
        await p.wait_for(lambda t: "Move 1:" in t)
        assert (await p.post("/clear")).status_code == 204
        await p.wait_for(lambda t: "No moves yet." in t)
