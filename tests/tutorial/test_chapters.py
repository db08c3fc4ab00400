"""The tutorial's six chapters over real HTTP and SSE: each does what its page and its doc say."""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tutorial.ch6_buzzer import judge
from tests.conftest import FAST_GAME, ROOT, free_port
from tests.support import DATASTAR, KEYS, Player, Server, sse_events, start_server, view_text

PREFIX = KEYS.tutorial("")


async def visitor(server: Server, players: list[Player], chapter: int) -> Player:
    """Someone with the chapter's page open (and so a session cookie)."""
    p = Player(server.url)
    players.append(p)
    await p.open(f"/tutorial/{chapter}")
    return p


def source_text(page_html: str) -> str:
    """The page with its tags removed but nothing added: highlighted code reads as code."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", page_html))


def the_apps_own(key: str) -> bool:
    """The app processes' leases (renewed at any moment) and the request counters every request makes."""
    return key == KEYS.procs() or bool(KEYS.parse("proc_streams", key)) or key.startswith(KEYS.limit(""))


async def only_tutorial_keys(redis) -> list[str]:  # type: ignore[no-untyped-def]
    """The keys the tutorial left."""
    keys = [k for k in await redis.keys("*") if not the_apps_own(k)]
    assert all(k.startswith(PREFIX) for k in keys), keys
    for key in keys:
        assert 0 < await redis.ttl(key) <= 3600, key  # the demo's keys expire
    return keys


# -- every chapter --------------------------------------------------------


async def test_each_chapter_page_shows_its_own_files_read_from_disk(server, players):
    p = await visitor(server, players, 1)
    for n in range(1, 7):
        page = (await p.open(f"/tutorial/{n}")).text
        module = next((ROOT / "tutorial").glob(f"ch{n}_*.py"))
        own = [module, *sorted((ROOT / "templates" / "tutorial").glob(f"{module.stem}*.html"))]
        shown = source_text(page)
        for path in own:
            assert f"<summary>{path.relative_to(ROOT).as_posix()}</summary>" in page
            for line in path.read_text().splitlines():
                assert line.strip() in shown, (path.name, line)
        assert 'class="highlight"' in page and 'id="wire-log"' in page and 'id="presenter-toggle"' in page
        assert ('id="prev"' in page) == (n > 1) and ('id="next"' in page) == (n < 6)
        if n > 1:
            assert f'href="/tutorial/{n - 1}"' in page
        if n < 6:
            assert f'href="/tutorial/{n + 1}"' in page


async def test_the_tutorial_starts_at_chapter_one_and_has_six_chapters(server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        start = await client.get("/tutorial")
        assert start.status_code == 302 and start.headers["location"].endswith("/tutorial/1")
        assert (await client.get("/tutorial/7")).status_code == 404
        css = await client.get("/tutorial/pygments.css")
        assert css.headers["content-type"].startswith("text/css") and ".highlight" in css.text


def test_the_source_panel_reads_the_file_as_it_is_now(tmp_path):
    from tutorial.common import Chapter

    module = tmp_path / "ch9_scratch.py"
    module.write_text("ANSWER = 41\n")
    chapter = Chapter(1, str(module))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("tutorial.common.relative", lambda path: path.name)
        assert "41" in chapter.sources()[0]["html"]
        module.write_text("ANSWER = 42\n")
        assert "42" in chapter.sources()[0]["html"]


# -- 1. hypermedia --------------------------------------------------------


async def test_ch1_one_request_gets_one_fragment_that_names_its_target(server, players):
    p = await visitor(server, players, 1)
    response = await p.client.get("/tutorial/1/hello", headers=DATASTAR)
    assert response.headers["content-type"].startswith("text/event-stream")
    [(kind, fragment)] = sse_events(response.text)
    assert kind == "datastar-patch-elements"
    assert fragment.startswith('<p id="hello">') and "Hello from the server" in fragment


# -- 2. signals -----------------------------------------------------------


async def test_ch2_the_server_reads_the_signals_and_patches_a_signal_back(server, players):
    p = await visitor(server, players, 2)
    sent = {"who": "Ann <b>", "reply": ""}
    response = await p.client.get("/tutorial/2/echo", params={"datastar": json.dumps(sent)}, headers=DATASTAR)
    (k1, received), (k2, signals) = sse_events(response.text)
    assert k1 == "datastar-patch-elements" and k2 == "datastar-patch-signals"
    assert view_text(received) == "The server received: " + json.dumps(sent)
    assert "&lt;b&gt;" in received  # escaped: what a user typed is text, never markup
    assert json.loads(signals.removeprefix("signals ")) == {
        "reply": "Hello, Ann <b>! (7 characters, counted on the server)"
    }
    for bad in ({"who": 7}, {"who": "x" * 41}):
        refused = await p.client.get("/tutorial/2/echo", params={"datastar": json.dumps(bad)}, headers=DATASTAR)
        assert refused.status_code == 400 and "'who'" in refused.text


# -- 3. validation --------------------------------------------------------


async def test_ch3_names_are_checked_as_you_type_and_again_on_submit_storing_nothing(server, players, redis):
    p = await visitor(server, players, 3)
    for raw, problem in [("", "Type a name."), ("x" * 21, "At most 20"), ("a\u200bb", "invisible"), (5, "Type a name.")]:
        for path in ("/tutorial/3/check", "/tutorial/3/submit"):
            [(kind, payload)] = sse_events((await p.post(path, {"name": raw, "nameError": ""})).text)
            assert kind == "datastar-patch-signals" and problem in payload, (path, raw, payload)
    check = await p.post("/tutorial/3/check", {"name": "  Zoë  "})
    assert sse_events(check.text) == [("datastar-patch-signals", 'signals {"nameError":""}')]
    submit = sse_events((await p.post("/tutorial/3/submit", {"name": "  <b>Zoë</b>  K "})).text)
    assert submit[0] == ("datastar-patch-signals", 'signals {"nameError":""}')
    assert submit[1][0] == "datastar-patch-elements"
    assert view_text(submit[1][1]) == "Welcome, <b>Zoë</b> K : the server accepted that name."
    assert "&lt;b&gt;Zoë&lt;/b&gt; K" in submit[1][1]  # a name is text, never markup
    assert not [k for k in await redis.keys() if not the_apps_own(k)]  # nothing stored


async def test_ch3_a_submit_without_the_page_is_refused_by_the_app(server, players):
    p = await visitor(server, players, 3)
    bare = await p.client.post("/tutorial/3/submit", json={"name": "Ann"})  # no Datastar-Request header
    assert bare.status_code == 400
    foreign = await p.post("/tutorial/3/submit", {"name": "Ann"}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


# -- 4. streams -----------------------------------------------------------


async def test_ch4_a_one_shot_answer_and_a_short_stream_end_by_themselves(server, players):
    p = await visitor(server, players, 4)
    [(kind, once)] = sse_events((await p.client.get("/tutorial/4/once", headers=DATASTAR)).text)
    assert kind == "datastar-patch-elements" and once.startswith('<span id="once">')
    started = time.monotonic()
    countdown = sse_events((await p.client.get("/tutorial/4/countdown", headers=DATASTAR)).text)
    assert [view_text(html) for _, html in countdown] == ["3", "2", "1", "Lift-off! The stream has ended."]
    assert time.monotonic() - started >= 1.5  # three timer waits of half a second


async def test_ch4_the_stream_opens_only_from_the_joined_room_fragment(server, players):
    p = await visitor(server, players, 4)
    assert "data-init=\"@get('/tutorial/4/bell'" not in (await p.open("/tutorial/4")).text
    [(_, joined)] = sse_events((await p.client.get("/tutorial/4/join", headers=DATASTAR)).text)
    assert "data-init=\"@get('/tutorial/4/bell', {requestCancellation: 'cleanup'})\"" in joined
    [(_, left)] = sse_events((await p.client.get("/tutorial/4/leave", headers=DATASTAR)).text)
    assert "/tutorial/4/bell" not in left and 'id="join"' in left


def rings(player: Player) -> int:
    return int(re.search(r"rung (\d+) time", player.text).group(1))  # type: ignore[union-attr]


async def test_ch4_an_open_stream_sends_only_when_the_bell_rings(server, players):
    ann, bob = await visitor(server, players, 4), await visitor(server, players, 4)
    await ann.start_stream("/tutorial/4/bell")
    await ann.wait_for(lambda t: "rung" in t)
    await bob.start_stream("/tutorial/4/bell")
    await ann.wait_for(lambda t: "2 streams listening" in t)
    await bob.wait_for(lambda t: "2 streams listening" in t)
    before, sent = rings(bob), len(bob.events)
    for n in range(1, 4):
        assert (await ann.post("/tutorial/4/ring")).status_code == 204
        await bob.wait_for(lambda t, n=n: f"rung {before + n} time" in t)
    assert len(bob.events) == sent + 3  # one event per ring, nothing in between
    await ann.stop_stream()  # the tab closes: its stream ends, the bell forgets it
    await bob.wait_for(lambda t: "1 stream listening" in t)


# -- 5. a room over Redis -------------------------------------------------


async def in_room5(server: Server, players: list[Player], *names: str) -> list[Player]:
    made = []
    for name in names:
        p = await visitor(server, players, 5)
        await p.start_stream("/tutorial/5/stream")
        await p.wait_for(lambda t: "In the room" in t)
        assert (await p.post("/tutorial/5/join", {"name": name})).status_code == 204
        await p.wait_for(lambda t, name=name: f"You are {name} ," in t)
        made.append(p)
    return made


async def test_ch5_commands_answer_204_and_each_tab_gets_its_own_view(server, players, redis):
    ann, bob = await in_room5(server, players, "Ann", "Bob")
    await ann.wait_for(lambda t: "Ann (you)" in t and "Bob 0" in t)
    await bob.wait_for(lambda t: "Bob (you)" in t and "Ann 0" in t)
    for _ in range(2):
        tap = await ann.post("/tutorial/5/tap")
        assert tap.status_code == 204 and tap.content == b""
    await bob.wait_for(lambda t: "Ann 2" in t and "You are Bob , and you tapped 0 times." in t)
    await ann.wait_for(lambda t: "You are Ann , and you tapped 2 times." in t)
    assert "Ann (you)" not in bob.text and "Bob (you)" not in ann.text
    await ann.wait_for(lambda t: "This process has 2 streams open" in t and "1 subscriber connection " in t)
    assert (await bob.post("/tutorial/5/leave")).status_code == 204
    await ann.wait_for(lambda t: "Bob" not in t and "In the room (1/8)" in t)
    await bob.wait_for(lambda t: "Join the room" in t)
    assert sorted(await only_tutorial_keys(redis)) == [PREFIX + "room:names", PREFIX + "room:open", PREFIX + "room:taps"]


async def test_ch5_closing_the_rooms_page_leaves_the_room(redis_url, players, redis):
    """Nobody holds a seat unseen: a stream that ends (found at its next heartbeat
    at the latest, short here) takes its member out."""
    with start_server({**FAST_GAME, "REDIS_URL": redis_url, "HEARTBEAT_S": "0.3"}, free_port()) as srv:
        ann, bob = await in_room5(srv, players, "Ann", "Bob")
        await bob.wait_for(lambda t: "In the room (2/8)" in t)
        await ann.stop_stream()
        await bob.wait_for(lambda t: "In the room (1/8)" in t and "Ann" not in t)


async def test_ch5_a_disabled_button_is_no_permission_the_server_checks(server, players, redis):
    [ann] = await in_room5(server, players, "Ann")
    visitor_ = await visitor(server, players, 5)
    await visitor_.start_stream("/tutorial/5/stream")
    await visitor_.wait_for(lambda t: "Ann 0" in t)
    assert re.search(r'<button id="tap" disabled>', visitor_.html)
    refused = await visitor_.post("/tutorial/5/tap")
    assert refused.status_code == 403 and refused.text == "Join the room first: only members can tap."
    assert await redis.hgetall(PREFIX + "room:taps") == {}
    bad = sse_events((await visitor_.post("/tutorial/5/join", {"name": "x" * 21})).text)
    assert bad == [("datastar-patch-signals", 'signals {"joinError":"At most 20 characters, please."}')]
    assert len(await redis.hgetall(PREFIX + "room:names")) == 1
    await ann.post("/tutorial/5/tap")
    await visitor_.wait_for(lambda t: "Ann 1" in t)


async def test_ch5_the_room_holds_eight_and_the_ninth_is_told(server, players, redis):
    crowd = [await visitor(server, players, 5) for _ in range(9)]
    unseen = await crowd[0].post("/tutorial/5/join", {"name": "Ghost"})  # a join with the room's page closed
    assert "Open the room" in unseen.text and not await redis.hlen(PREFIX + "room:names")
    for p in crowd:
        await p.start_stream("/tutorial/5/stream")
        await p.wait_for(lambda t: "In the room" in t)
    answers = await asyncio.gather(*(p.post("/tutorial/5/join", {"name": f"P{i}"}) for i, p in enumerate(crowd)))
    assert sorted(a.status_code for a in answers) == [200] + [204] * 8
    [full] = [a for a in answers if a.status_code == 200]
    assert sse_events(full.text) == [("datastar-patch-signals", 'signals {"joinError":"The room is full."}')]
    assert len(await redis.hgetall(PREFIX + "room:names")) == 8


async def test_ch5_many_tabs_share_one_subscriber_connection_per_process(server, players, redis):
    tabs = await in_room5(server, players, "A", "B", "C")
    await tabs[0].wait_for(lambda t: "This process has 3 streams open" in t)
    assert "Redis counts 1 subscriber connection on the room's channel" in tabs[0].text
    assert await redis.pubsub_numsub(PREFIX + "room:channel") == [(PREFIX + "room:channel", 1)]


@asynccontextmanager
async def second_process(redis_url: str) -> AsyncIterator[Server]:
    with start_server({**FAST_GAME, "REDIS_URL": redis_url}, free_port()) as srv:
        yield srv


async def test_ch5_two_processes_share_the_room_through_redis(server, redis_url, players, redis):
    async with second_process(redis_url) as other:
        [ann] = await in_room5(server, players, "Ann")
        [bob] = await in_room5(other, players, "Bob")
        for p in (ann, bob):
            await p.wait_for(lambda t: "This process has 1 stream open" in t and "2 subscriber connections" in t)
        await ann.post("/tutorial/5/tap")
        await bob.wait_for(lambda t: "Ann 1" in t)  # published on process 1, seen on process 2
        await bob.post("/tutorial/5/tap")
        await ann.wait_for(lambda t: "Bob 1" in t)
        assert await redis.pubsub_numsub(PREFIX + "room:channel") == [(PREFIX + "room:channel", 2)]


# -- 6. the buzzer --------------------------------------------------------


def buzzer_of(fragment: str) -> dict[str, str]:
    tag = re.search(r"<reflex-buzzer [^>]*>", fragment)
    assert tag, fragment
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(0)))


async def a_round_at_go(p: Player) -> str:
    """Start a tutorial round; the short stream says ready, then GO, then ends."""
    started = time.monotonic()
    events = sse_events((await p.post("/tutorial/6/start")).text)
    assert time.monotonic() - started >= 0.4  # the secret delay (READY_MIN_MS) passed on the server
    ready, go = (buzzer_of(html) for _, html in events)
    assert ready["phase"] == "ready" and go["phase"] == "go" and ready["round-id"] == go["round-id"]
    return go["round-id"]


async def go_sent_long_ago(redis, p: Player, round_id: str) -> None:  # type: ignore[no-untyped-def]
    """As if GO had been sent a second ago: the server's cap is then one second."""
    [key] = [k for k in await redis.keys(f"{PREFIX}buzz:*:{round_id}")]
    await redis.hincrby(key, "sent", -1000)


async def buzz(p: Player, round_id: str, ms: int | None, early: bool = False) -> httpx.Response:
    return await p.post("/tutorial/6/buzz", {"round_id": round_id, "ms": ms, "early": early})


async def verdict(p: Player, round_id: str, ms: int | None, early: bool = False) -> tuple[dict[str, str], str]:
    response = await buzz(p, round_id, ms, early)
    assert response.status_code == 200, response.text
    [(_, arena)] = sse_events(response.text)
    return buzzer_of(arena), view_text(arena)


async def test_ch6_a_press_at_go_is_judged_by_the_servers_clock(server, players, redis):
    p = await visitor(server, players, 6)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, p, round_id)
    buzzer, text = await verdict(p, round_id, 213)
    assert buzzer == {"id": "buzzer", "phase": "done", "round-id": round_id, "result": "213 ms"}
    assert re.fullmatch(r"213 ms, and the server agrees: it saw \d+ ms pass since it sent GO\.", text), text
    again = await buzz(p, round_id, 150)
    assert again.status_code == 409 and again.text == "You already pressed in this round."
    assert all(k.startswith(f"{PREFIX}buzz:") for k in await only_tutorial_keys(redis))  # no game state


async def test_ch6_a_claim_longer_than_the_server_saw_is_capped(server, players, redis):
    p = await visitor(server, players, 6)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, p, round_id)
    buzzer, text = await verdict(p, round_id, 50_000)
    capped = int(buzzer["result"].removesuffix(" ms"))
    assert 1000 <= capped < 3000, buzzer
    assert text.startswith(f"Capped to {capped} ms: the buzzer claimed 50000 ms, but the server saw only {capped} ms")


async def test_ch6_too_fast_or_before_go_is_a_false_start(server, players, redis):
    p = await visitor(server, players, 6)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, p, round_id)
    buzzer, text = await verdict(p, round_id, 60)
    assert buzzer["result"] == "false start" and text == "False start: 60 ms is under the human floor of 100 ms."


async def test_ch6_a_press_during_get_ready_ends_the_round_without_go(server, players):
    p = await visitor(server, players, 6)
    async with p.client.stream("POST", "/tutorial/6/start", headers=DATASTAR) as start:
        chunks, body = start.aiter_text(), ""
        async for chunk in chunks:
            body += chunk
            if "\n\n" in body:
                break
        [(_, ready)] = sse_events(body)
        round_id = buzzer_of(ready)["round-id"]
        buzzer, text = await verdict(p, round_id, None, early=True)
        assert buzzer["result"] == "false start" and text == "False start: pressed before GO."
        rest = "".join([chunk async for chunk in chunks])
    assert 'phase="go"' not in rest  # GO never comes to a round that is over


async def test_ch6_a_buzz_must_be_well_formed_and_for_the_current_round(server, players):
    p = await visitor(server, players, 6)
    round_id = await a_round_at_go(p)
    for body in ({"round_id": round_id, "early": False}, {"round_id": round_id, "ms": True, "early": False},
                 {"round_id": round_id, "ms": 1.5, "early": False}, {"round_id": round_id, "ms": 70_000, "early": False},
                 {"round_id": round_id, "ms": 200}, {"round_id": round_id, "ms": 200, "early": "no"}):
        refused = await p.post("/tutorial/6/buzz", body)
        assert refused.status_code == 400, body
    stale = await buzz(p, "not-this-one", 200)
    assert stale.status_code == 409 and stale.text == "That round is over: start a new one."
    newer = await a_round_at_go(p)
    assert (await buzz(p, round_id, 200)).status_code == 409  # the previous round is over
    assert (await buzz(p, newer, 200)).status_code == 200
    stranger = await visitor(server, players, 6)
    assert (await buzz(stranger, newer, 200)).status_code == 409  # another session's round


def test_ch6_judge_caps_like_buzz_lua():
    # buzz.lua: `if ms > elapsed + tolerance then ms = elapsed end`
    assert judge(5000, 300, 50) == 300
    assert judge(350, 300, 50) == 350
    assert judge(351, 300, 50) == 300
    assert judge(120, 300, 50) == 120
