"""The seven chapters, each started as its own process (`python app.py` in its
folder) and exercised over real HTTP and SSE: each does what its page and its
script say, pitfalls included."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

import tutorial
from tests.support import DATASTAR, KEYS, Player, Server, sse_events, view_text
from tests.tutorial.conftest import folder, run_chapter, visitor


def prefix(number: int) -> str:
    """A standalone chapter's own key prefix (its KEY_PREFIX default)."""
    return f"tut:{number}:"


async def keys_left(redis, number: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The chapter's keys: all under its prefix, and every one expires within the hour. The suite's
    game server shares this Redis (its process lease may land after the test's flush): its keys
    are not the chapter's."""
    keys = [k for k in await redis.keys("*") if not k.startswith(KEYS.prefix)]
    assert all(k.startswith(prefix(number)) for k in keys), keys
    for key in keys:
        assert 0 < await redis.ttl(key) <= 3600, key
    return keys


async def first_event(client: httpx.AsyncClient, path: str) -> tuple[str, str]:
    """The first SSE event of a stream, then the stream is closed (the tab leaves)."""
    async with client.stream("GET", path, headers=DATASTAR) as response:
        assert response.status_code == 200, await response.aread()
        body = ""
        async for chunk in response.aiter_text():
            body += chunk
            if "\n\n" in body:
                return sse_events(body)[0]
    raise AssertionError("the stream ended without an event")


# -- 1. hypermedia --------------------------------------------------------


async def test_ch1_one_request_gets_one_fragment_that_names_its_target(chapter, players):
    p = await visitor(chapter(1), players)
    assert "@get('/hello')" in (await p.open("/")).text  # the chapter's own URL, at its own root
    response = await p.client.get("/hello", headers=DATASTAR)
    assert response.headers["content-type"].startswith("text/event-stream")
    [(kind, fragment)] = sse_events(response.text)
    assert kind == "datastar-patch-elements"
    assert fragment.startswith('<p id="hello">') and "Hello from the server" in fragment


# -- 2. signals -----------------------------------------------------------


async def test_ch2_the_server_reads_the_signals_and_patches_a_signal_back(chapter, players):
    p = await visitor(chapter(2), players)
    sent = {"who": "Ann <b>", "reply": ""}
    response = await p.client.get("/echo", params={"datastar": json.dumps(sent)}, headers=DATASTAR)
    (k1, received), (k2, signals) = sse_events(response.text)
    assert k1 == "datastar-patch-elements" and k2 == "datastar-patch-signals"
    assert view_text(received) == "The server received: " + json.dumps(sent)
    assert "&lt;b&gt;" in received and "&#34;" in received  # escaped: what a user typed is text, never markup
    assert json.loads(signals.removeprefix("signals ")) == {
        "reply": "Hello, Ann <b>! (7 characters, counted on the server)"
    }
    for bad in ({"who": 7}, {"who": "x" * 41}):
        refused = await p.client.get("/echo", params={"datastar": json.dumps(bad)}, headers=DATASTAR)
        assert refused.status_code == 400 and refused.text == "'who' must be text of at most 40 characters."


async def test_ch2_the_page_explains_the_escaped_quotes_the_wire_shows(chapter, players):
    page = (await (await visitor(chapter(2), players)).open("/")).text
    assert "read <code>&amp;#34;</code>" in page and "shows <code>&amp;#34;</code> as <code>\"</code>" in page


async def test_ch2_a_password_field_bound_to_a_signal_travels_with_every_request(chapter, players):
    p = await visitor(chapter(2), players)
    page = (await p.open("/")).text
    assert 'type="password" autocomplete="off" data-bind:password' in page  # the wrong way, on show
    assert '<pre id="would-send" class="server-says" data-json-signals__terse>' in page
    # The right way: a form field with a name, no signal, posted once as the form's body.
    assert re.search(r'<input name="password" type="password"[^>]*>', page) and "contentType: 'form'" in page


async def test_ch2_signing_in_is_a_form_post_and_who_you_are_comes_from_the_cookie(chapter, players):
    p = await visitor(chapter(2), players)
    whoami = await p.client.get("/whoami", headers=DATASTAR)
    assert view_text(sse_events(whoami.text)[0][1]) == "The signed cookie says nobody has signed in from this browser."
    wrong = await p.client.post("/sign-in", data={"name": "Ann", "password": "hunter2"}, headers=DATASTAR)
    assert wrong.status_code == 403 and wrong.text == "Wrong password."
    signed = await p.client.post("/sign-in", data={"name": "Ann", "password": "open sesame"}, headers=DATASTAR)
    assert view_text(sse_events(signed.text)[0][1]) == "The signed cookie says you are Ann ."
    forged = await p.client.get("/whoami", params={"datastar": json.dumps({"user": "admin"})}, headers=DATASTAR)
    assert view_text(sse_events(forged.text)[0][1]) == (
        'The signed cookie says you are Ann . Your request also carried the signal user = "admin": '
        "something the page said, so it changes nothing.")
    stranger = await visitor(chapter(2), players)  # another browser, forging the same signal
    other = await stranger.client.get("/whoami", params={"datastar": json.dumps({"user": "Ann"})}, headers=DATASTAR)
    assert "nobody has signed in" in view_text(sse_events(other.text)[0][1])


# -- 3. validation --------------------------------------------------------


async def test_ch3_names_are_checked_as_you_type_and_again_on_submit(chapter, players):
    p = await visitor(chapter(3), players)
    for raw, problem in [("", "Type a name."), ("x" * 21, "At most 20"), ("a\u200bb", "invisible"), (5, "Type a name.")]:
        for path in ("/check", "/submit"):
            [(kind, payload)] = sse_events((await p.post(path, {"name": raw, "nameError": ""})).text)
            assert kind == "datastar-patch-signals" and problem in payload, (path, raw, payload)
    check = await p.post("/check", {"name": "  Zoë  "})
    assert sse_events(check.text) == [("datastar-patch-signals", 'signals {"nameError":""}')]
    submit = sse_events((await p.post("/submit", {"name": "  <b>Zoë</b>  K "})).text)
    assert submit[0] == ("datastar-patch-signals", 'signals {"nameError":""}')
    assert submit[1][0] == "datastar-patch-elements"
    assert view_text(submit[1][1]) == "Welcome, <b>Zoë</b> K : the server accepted that name."
    assert "&lt;b&gt;Zoë&lt;/b&gt; K" in submit[1][1]  # a name is text, never markup


def same_visitor(p: Player) -> Player:
    """A second tab of the same browser: the same cookie."""
    return Player(p.base_url, httpx.AsyncClient(base_url=p.base_url, cookies=p.client.cookies, timeout=10))


@asynccontextmanager
async def live_checks(p: Player, count: int) -> AsyncIterator[list[Player]]:
    """`count` more live-check streams of this visitor, as the wrong field opens them; closed at the end."""
    tabs: list[Player] = []
    try:
        for _ in range(count):
            tabs.append(same_visitor(p))
            await tabs[-1].start_stream("/live-check")
        yield tabs
    finally:
        for tab in tabs:
            await tab.close()


async def test_ch3_a_stream_per_keystroke_piles_up_until_the_server_refuses(chapter, players):
    p = await visitor(chapter(3), players)
    async with live_checks(p, 1) as [first]:
        await first.wait_for(lambda t: t == "1 stream open on the server for your live checks.")
        async with live_checks(p, 1) as [second]:
            await second.wait_for(lambda t: t.startswith("2 streams open"))
            await first.wait_for(lambda t: t.startswith("2 streams open"))  # the count climbs everywhere
        await first.wait_for(lambda t: t.startswith("1 stream open"))  # a tab that leaves is counted out
        async with live_checks(p, 9) as tabs:
            await tabs[-1].wait_for(lambda t: t.startswith("10 streams open"))
            refused = await p.client.get("/live-check", headers=DATASTAR)
            assert refused.status_code == 429
            assert refused.text == "10 live checks are already open for you: this is the pitfall."
    other = await visitor(chapter(3), players)  # another visitor's count is their own
    async with live_checks(other, 1) as [theirs]:
        await theirs.wait_for(lambda t: t.startswith("1 stream open"))


# -- 4. streams -----------------------------------------------------------


async def test_ch4_a_one_shot_answer_and_a_short_stream_end_by_themselves(chapter, players):
    p = await visitor(chapter(4), players)
    [(kind, once)] = sse_events((await p.client.get("/once", headers=DATASTAR)).text)
    assert kind == "datastar-patch-elements" and once.startswith('<span id="once">')
    started = time.monotonic()
    countdown = sse_events((await p.client.get("/countdown", headers=DATASTAR)).text)
    assert [view_text(html) for _, html in countdown] == ["3", "2", "1", "Lift-off! The stream has ended."]
    assert time.monotonic() - started >= 1.5  # three timer waits of half a second


async def test_ch4_the_stream_opens_only_from_the_joined_room_fragment(chapter, players):
    p = await visitor(chapter(4), players)
    assert "data-init=\"@get('/bell'" not in (await p.open("/")).text
    [(_, joined)] = sse_events((await p.client.get("/join", headers=DATASTAR)).text)
    assert "data-init=\"@get('/bell', {requestCancellation: 'cleanup'})\"" in joined
    [(_, left)] = sse_events((await p.client.get("/leave", headers=DATASTAR)).text)
    assert "/bell" not in left and 'id="join"' in left


async def test_ch4_each_visitor_rings_their_own_bell_and_it_starts_from_zero(chapter, players):
    ann = await visitor(chapter(4), players)
    tab2 = same_visitor(ann)
    players.append(tab2)
    await ann.start_stream("/bell")
    await ann.wait_for(lambda t: t == "Your bell has rung 0 times; 1 of your tabs listening.")
    await tab2.start_stream("/bell")
    await ann.wait_for(lambda t: "2 of your tabs listening" in t)
    sent = len(tab2.events)
    for n in range(1, 4):
        assert (await ann.post("/ring")).status_code == 204
        await tab2.wait_for(lambda t, n=n: f"rung {n} time" in t)
    assert len(tab2.events) == sent + 3  # one event per ring, nothing in between
    bob = await visitor(chapter(4), players)  # another visitor: another bell
    refused = await bob.post("/ring")
    assert refused.status_code == 409 and refused.text == "Join the bell room first."
    await bob.start_stream("/bell")
    await bob.wait_for(lambda t: t == "Your bell has rung 0 times; 1 of your tabs listening.")
    await tab2.stop_stream()
    await ann.wait_for(lambda t: "1 of your tabs listening" in t)
    await ann.stop_stream()  # Ann's last tab leaves: her bell is forgotten
    again = same_visitor(ann)
    players.append(again)
    await again.start_stream("/bell")
    await again.wait_for(lambda t: t == "Your bell has rung 0 times; 1 of your tabs listening.")


async def test_ch4_the_busy_loop_burns_the_cpu_the_waiting_stream_does_not(chapter, players):
    p = await visitor(chapter(4), players)
    [(_, busy)] = sse_events((await p.client.get("/busy", headers=DATASTAR)).text)
    again = await p.client.get("/busy", headers=DATASTAR)  # a stranger cannot keep a core burning
    assert again.status_code == 409 and again.text == "The busy loop ran a moment ago: try again in a few seconds."
    [(_, waiting)] = sse_events((await p.client.get("/waiting", headers=DATASTAR)).text)
    busy_cpu, checks = re.search(r"([\d.]+) s of CPU in 2.0 s: it checked for news ([\d,]+) times",
                                 view_text(busy)).groups()  # type: ignore[union-attr]
    waiting_cpu = re.search(r"([\d.]+) s of CPU in 2.0 s: it woke 0 times", view_text(waiting)).group(1)  # type: ignore[union-attr]
    assert int(checks.replace(",", "")) > 1000 and float(busy_cpu) > float(waiting_cpu)


async def test_ch4_a_burst_piles_up_in_a_queue_blocks_a_bounded_one_and_the_flag_shows_the_latest(chapter, players):
    p = await visitor(chapter(4), players)
    tables = [view_text(html) for _, html in sse_events((await p.client.get("/burst", headers=DATASTAR)).text)]
    final = tables[-1]
    shown = {row: int(n) for row, n in re.findall(r"(Unbounded queue|Bounded queue \(10\)|Flag \(the game's\)) (\d+) of 100", final)}
    assert shown["Flag (the game's)"] == 100  # the latest, at once
    assert shown["Unbounded queue"] < 100 and shown["Bounded queue (10)"] < 100  # still reading old news
    assert any(int(n) > 10 for n in re.findall(r"(\d+) waiting in memory", " ".join(tables)))
    assert re.search(r"its publisher was stuck [1-9][\d.]* s, and has sent (\d+)", final)
    assert final.endswith("After 3.0 s: the flag showed the latest at once.")


async def test_ch4_polling_is_one_request_per_answer_and_the_ticker_one_stream(chapter, players):
    p = await visitor(chapter(4), players)
    [(_, tick)] = sse_events((await p.client.get("/poll", headers=DATASTAR)).text)
    assert tick.startswith('<span id="poll-tick">')
    kind, first = await first_event(p.client, "/ticker")
    assert kind == "datastar-patch-elements" and first.startswith('<span id="stream-tick">')


# -- 5. a room over Redis -------------------------------------------------


async def in_room5(server: Server, players: list[Player], *names: str) -> list[Player]:
    made = []
    for name in names:
        p = await visitor(server, players)
        await p.start_stream("/stream")
        await p.wait_for(lambda t: "In the room" in t)
        assert (await p.post("/join", {"name": name})).status_code == 204
        await p.wait_for(lambda t, name=name: f"You are {name} ," in t)
        made.append(p)
    return made


async def test_ch5_commands_answer_204_and_each_tab_gets_its_own_view(chapter, players, redis):
    ann, bob = await in_room5(chapter(5), players, "Ann", "Bob")
    await ann.wait_for(lambda t: "Ann (you)" in t and "Bob 0" in t)
    await bob.wait_for(lambda t: "Bob (you)" in t and "Ann 0" in t)
    for _ in range(2):
        tap = await ann.post("/tap")
        assert tap.status_code == 204 and tap.content == b""
    await bob.wait_for(lambda t: "Ann 2" in t and "You are Bob , and you tapped 0 times." in t)
    await ann.wait_for(lambda t: "You are Ann , and you tapped 2 times." in t)
    assert "Ann (you)" not in bob.text and "Bob (you)" not in ann.text
    await ann.wait_for(lambda t: "This process has 2 streams open" in t and "1 subscriber connection " in t)
    assert (await bob.post("/leave")).status_code == 204
    await ann.wait_for(lambda t: "Bob" not in t and "In the room (1/8)" in t)
    await bob.wait_for(lambda t: "Join the room" in t)
    assert sorted(await keys_left(redis, 5)) == ["tut:5:room:names", "tut:5:room:open", "tut:5:room:taps"]


async def test_ch5_closing_the_rooms_page_leaves_the_room(chapter, players, redis):
    """Nobody holds a seat unseen: the stream that ends takes its member out."""
    ann, bob = await in_room5(chapter(5), players, "Ann", "Bob")
    await bob.wait_for(lambda t: "In the room (2/8)" in t)
    await ann.stop_stream()
    await bob.wait_for(lambda t: "In the room (1/8)" in t and "Ann" not in t)
    assert len(await redis.hgetall("tut:5:room:open")) == 1


async def test_ch5_a_disabled_button_is_no_permission_the_server_checks(chapter, players, redis):
    [ann] = await in_room5(chapter(5), players, "Ann")
    visitor_ = await visitor(chapter(5), players)
    await visitor_.start_stream("/stream")
    await visitor_.wait_for(lambda t: "Ann 0" in t)
    assert re.search(r'<button id="tap" disabled>', visitor_.html)
    refused = await visitor_.post("/tap")
    assert refused.status_code == 403 and refused.text == "Join the room first: only members can tap."
    assert await redis.hgetall("tut:5:room:taps") == {}
    bad = sse_events((await visitor_.post("/join", {"name": "x" * 21})).text)
    assert bad == [("datastar-patch-signals", 'signals {"joinError":"Type a name of 1 to 20 characters."}')]
    assert len(await redis.hgetall("tut:5:room:names")) == 1
    await ann.post("/tap")
    await visitor_.wait_for(lambda t: "Ann 1" in t)


async def test_ch5_the_room_holds_eight_and_the_ninth_is_told(chapter, players, redis):
    crowd = [await visitor(chapter(5), players) for _ in range(9)]
    unseen = await crowd[0].post("/join", {"name": "Ghost"})  # a join with the room's page closed
    assert "Open the room" in unseen.text and not await redis.hlen("tut:5:room:names")
    for p in crowd:
        await p.start_stream("/stream")
        await p.wait_for(lambda t: "In the room" in t)
    answers = await asyncio.gather(*(p.post("/join", {"name": f"P{i}"}) for i, p in enumerate(crowd)))
    assert sorted(a.status_code for a in answers) == [200] + [204] * 8
    [full] = [a for a in answers if a.status_code == 200]
    assert sse_events(full.text) == [("datastar-patch-signals", 'signals {"joinError":"The room is full."}')]
    assert len(await redis.hgetall("tut:5:room:names")) == 8


async def test_ch5_a_visitor_holds_three_room_streams_and_the_fourth_is_told_to_stop(chapter, players, redis):
    [ann] = await in_room5(chapter(5), players, "Ann")
    tabs = [same_visitor(ann) for _ in range(3)]
    players.extend(tabs)
    for tab in tabs[:2]:
        await tab.start_stream("/stream")
        await tab.wait_for(lambda t: "You are Ann" in t)
    await tabs[2].start_stream("/stream")
    text = await tabs[2].wait_for(lambda t: "this tab stopped its stream" in t)
    assert text.startswith("You have the room open in 3 tabs already, the most one visitor may")
    await tabs[2].until_stream_ends()  # and the server ended it
    assert await redis.hget("tut:5:room:open", next(iter(await redis.hgetall("tut:5:room:names")))) == "3"


async def test_ch5_the_router_runs_the_same_commands_behind_one_url(chapter, players, redis):
    [ann] = await in_room5(chapter(5), players, "Ann")
    assert (await ann.post("/do", {"action": "tap"})).status_code == 204
    await ann.wait_for(lambda t: "you tapped 1 time." in t)
    for bad in ({"action": "kick"}, {"action": 5}, {}):
        refused = await ann.post("/do", bad)
        assert refused.status_code == 400 and refused.text == "'action' must be one of: join, tap, leave."
    stranger = await visitor(chapter(5), players)
    assert (await stranger.post("/do", {"action": "tap"})).status_code == 403  # the same checks
    assert (await ann.post("/do", {"action": "leave"})).status_code == 204
    await ann.wait_for(lambda t: "Join the room" in t)


async def test_ch5_two_processes_share_the_room_through_redis(chapter, redis_url, players, redis):
    with run_chapter(folder(5), {"REDIS_URL": redis_url}) as other:
        [ann] = await in_room5(chapter(5), players, "Ann")
        [bob] = await in_room5(other, players, "Bob")
        for p in (ann, bob):
            await p.wait_for(lambda t: "This process has 1 stream open" in t and "2 subscriber connections" in t)
        await ann.post("/tap")
        await bob.wait_for(lambda t: "Ann 1" in t)  # published on process 1, seen on process 2
        await bob.post("/tap")
        await ann.wait_for(lambda t: "Bob 1" in t)
        assert await redis.pubsub_shardnumsub("tut:5:room:channel") == [("tut:5:room:channel", 2)]


# -- 6. the buzzer --------------------------------------------------------


def buzzer_of(fragment: str) -> dict[str, str]:
    tag = re.search(r"<tut-buzzer [^>]*>", fragment)
    assert tag, fragment
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(0)))


async def a_round_at_go(p: Player) -> str:
    """Start a round; the short stream says ready, then GO, then ends."""
    started = time.monotonic()
    events = sse_events((await p.post("/start")).text)
    assert time.monotonic() - started >= 0.4  # the secret delay (READY_MIN_MS) passed on the server
    ready, go = (buzzer_of(html) for _, html in events)
    assert ready["phase"] == "ready" and go["phase"] == "go" and ready["round-id"] == go["round-id"]
    return go["round-id"]


async def go_sent_long_ago(redis, round_id: str) -> None:  # type: ignore[no-untyped-def]
    """As if GO had been sent a second ago: the server's cap is then one second."""
    [key] = await redis.keys(f"{prefix(6)}buzz:*:{round_id}")
    await redis.hincrby(key, "sent", -1000)


async def buzz(p: Player, round_id: str, ms: int | None, early: bool = False) -> httpx.Response:
    return await p.post("/buzz", {"round_id": round_id, "ms": ms, "early": early})


async def verdict(p: Player, round_id: str, ms: int | None, early: bool = False) -> tuple[dict[str, str], str]:
    response = await buzz(p, round_id, ms, early)
    assert response.status_code == 200, response.text
    [(_, arena)] = sse_events(response.text)
    return buzzer_of(arena), view_text(arena)


async def test_ch6_a_press_at_go_is_judged_by_the_servers_clock_and_a_second_is_refused(chapter, players, redis):
    p = await visitor(chapter(6), players)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, round_id)
    buzzer, text = await verdict(p, round_id, 213)
    assert buzzer == {"id": "buzzer", "phase": "done", "round-id": round_id, "result": "213 ms"}
    assert re.fullmatch(r"213 ms, and the server agrees: it saw \d+ ms pass since it sent GO\.", text), text
    again = await buzz(p, round_id, 150)  # what the page's "Send a second press anyway" sends
    assert again.status_code == 409 and again.text == "You already pressed in this round."
    assert len(await keys_left(redis, 6)) == 2  # this visitor's current round, and its one record


async def test_ch6_a_claim_longer_than_the_server_saw_is_capped(chapter, players, redis):
    p = await visitor(chapter(6), players)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, round_id)
    buzzer, text = await verdict(p, round_id, 50_000)
    capped = int(buzzer["result"].removesuffix(" ms"))
    assert 1000 <= capped < 3000, buzzer
    assert text.startswith(f"Capped to {capped} ms: the buzzer claimed 50000 ms, but the server saw only {capped} ms")


async def test_ch6_too_fast_or_before_go_is_a_false_start(chapter, players, redis):
    p = await visitor(chapter(6), players)
    round_id = await a_round_at_go(p)
    await go_sent_long_ago(redis, round_id)
    buzzer, text = await verdict(p, round_id, 60)
    assert buzzer["result"] == "false start" and text == "False start: 60 ms is under the human floor of 100 ms."


async def test_ch6_a_press_during_get_ready_ends_the_round_without_go(chapter, players):
    p = await visitor(chapter(6), players)
    async with p.client.stream("POST", "/start", headers=DATASTAR) as start:
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


async def test_ch6_a_buzz_must_be_well_formed_and_for_the_current_round(chapter, players, redis):
    p = await visitor(chapter(6), players)
    round_id = await a_round_at_go(p)
    for body in ({"round_id": round_id, "early": False}, {"round_id": round_id, "ms": True, "early": False},
                 {"round_id": round_id, "ms": 1.5, "early": False}, {"round_id": round_id, "ms": 70_000, "early": False},
                 {"round_id": round_id, "ms": 200}, {"round_id": round_id, "ms": 200, "early": "no"},
                 {"round_id": "x" * 21, "ms": 200, "early": False}):
        refused = await p.post("/buzz", body)
        assert refused.status_code == 400, body
    stale = await buzz(p, "not-this-one", 200)
    assert stale.status_code == 409 and stale.text == "That round is over: start a new one."
    newer = await a_round_at_go(p)
    assert (await buzz(p, round_id, 200)).status_code == 409  # the previous round is over
    assert (await buzz(p, newer, 200)).status_code == 200
    assert len(await keys_left(redis, 6)) == 2  # one round record per visitor: the previous one went
    stranger = await visitor(chapter(6), players)
    assert (await buzz(stranger, newer, 200)).status_code == 409  # another session's round


def test_ch6_judge_caps_like_buzz_lua():
    judge = tutorial.load(folder(6)).judge
    # buzz.lua: `if ms > elapsed + tolerance then ms = elapsed end`
    assert judge(5000, 300, 50) == 300
    assert judge(350, 300, 50) == 350
    assert judge(351, 300, 50) == 300
    assert judge(120, 300, 50) == 120


# -- 7. the whole game ----------------------------------------------------


async def test_ch7_a_move_accepted_by_one_process_reaches_a_stream_on_another(chapter, redis_url, players, redis):
    with run_chapter(folder(7), {"REDIS_URL": redis_url}) as other:
        here, there = await visitor(chapter(7), players), await visitor(other, players)
        await there.start_stream("/moves")
        await there.wait_for(lambda t: "Redis counts 2 processes listening for moves." in t and "No moves yet." in t)
        assert (await here.post("/move")).status_code == 204
        text = await there.wait_for(lambda t: "Move 1:" in t)
        [(accepted, shown)] = re.findall(r"Move 1: accepted by (process \d+), shown to you by (process \d+)", text)
        assert accepted != shown and "(another process: it crossed through Redis)" in text
        for _ in range(6):
            await there.post("/move")
        text = await there.wait_for(lambda t: "Move 7:" in t)
        assert re.findall(r"Move (\d+):", text) == ["7", "6", "5", "4", "3"]  # the five latest, no more
        assert sorted(await keys_left(redis, 7)) == ["tut:7:moves", "tut:7:moves:count"]
