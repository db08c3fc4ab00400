"""Open to strangers: what one machine can do is limited, identities that never
show up cannot take seats, a kick sticks, rooms nobody plays in go away, the
lobby's list is never stale, every key has a bound, and a bot cannot claim a
faster reaction than its own round trip allows."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from game.names import name_keys
from tests.conftest import FAST_GAME, free_port
from tests.support import KEYS, Player, new_players, room_code_of, seated_room, start_server


@pytest.fixture(scope="module")
def strict_server(redis_url):
    """The game with small per-address limits (the suite's own server lifts them)."""
    env = {**FAST_GAME, "REDIS_URL": redis_url, "IDENTITY_LIMIT": "4/60", "PROBE_LIMIT": "3/60",
           "ROOM_LIMIT": "2/60", "ADDRESS_RATE_LIMIT": "30/60"}
    with start_server(env, free_port()) as srv:
        yield srv


def visitor(server, players: list[Player]) -> Player:
    p = Player(server.url)
    players.append(p)
    return p


async def test_new_players_are_limited_per_address(strict_server, redis, players):
    pages = [await visitor(strict_server, players).client.get("/") for _ in range(5)]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 429]
    refused = pages[-1]
    assert "Too many new players from your network" in refused.text and 1 <= int(refused.headers["Retry-After"]) <= 60
    # Someone who already plays is not a new player: their page still loads.
    again = await players[0].client.get("/")
    assert again.status_code == 200


async def test_room_links_cannot_be_probed(strict_server, redis, players):
    ann = (await new_players(strict_server, players, "Ann"))[0]
    codes = ["ABCDE", "FGHJK", "LMNPQ", "RSTUV"]
    answers = [await ann.client.get(f"/r/{code}") for code in codes]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "room links" in answers[-1].text


async def test_a_player_cannot_open_room_after_room(strict_server, redis, players):
    (ann,) = await new_players(strict_server, players, "Ann")
    statuses = []
    for _ in range(3):
        response = await ann.post("/rooms", {"public": True})
        statuses.append(response.status_code)
    assert statuses == [204, 204, 429] and "Too many new rooms" in response.text


async def test_commands_are_limited_per_address_whoever_sends_them(strict_server, redis, players):
    crowd = await new_players(strict_server, players, "P1", "P2", "P3")  # their names took 3 of the 30
    answers = [await crowd[i % 3].post("/name/check", {"name": "Zed"}) for i in range(28)]
    assert answers[-1].status_code == 429 and all(a.status_code == 200 for a in answers[:27])


async def test_an_identity_without_an_open_stream_cannot_take_a_seat(server, redis, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    squatters = [visitor(server, players) for _ in range(6)]
    for i, squatter in enumerate(squatters):
        await squatter.open()
        assert (await squatter.post("/name", {"name": f"Squat{i}"})).status_code == 204
        refused = await squatter.post(f"/rooms/{code}/join", {"role": "player"})
        assert refused.status_code == 409 and "not connected" in refused.text
    for command in ("/queue/join", "/rooms"):
        assert (await squatters[0].post(command, {})).status_code == 409
    assert await redis.zcard(KEYS.key("players", code)) == 2
    (cat,) = await new_players(server, players, "Cat")  # a real player, stream open, gets the seat
    assert (await cat.post(f"/rooms/{code}/join", {"role": "player"})).status_code == 204


async def test_a_kick_sticks_for_a_fresh_cookie_from_the_same_network(server, redis, players):
    code, (ann, bob, cat) = await seated_room(server, players, "Ann", "Bob", "Cat")
    bob_seat = int(await redis.zscore(KEYS.key("players", code), await pid_of(redis, "Bob")))
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": bob_seat})).status_code == 204
    await bob.close()
    (fresh,) = await new_players(server, players, "Bobby")  # a new cookie, from the same address
    refused = await fresh.post(f"/rooms/{code}/join", {"role": "player"})
    assert refused.status_code == 403 and "removed you" in refused.text
    # Cat was already playing from that network: she can leave and come back.
    assert (await cat.post(f"/rooms/{code}/leave")).status_code == 204
    assert (await cat.post(f"/rooms/{code}/join", {"role": "player"})).status_code == 204


async def test_a_room_whose_players_are_all_gone_ends_and_leaves_the_list(server, redis, players):
    ann, bob, onlooker = await new_players(server, players, "Ann", "Bob", "Onlooker")
    await ann.post("/queue/join")
    await bob.post("/queue/join")
    await ann.wait_for(lambda t: "Room" in t and "Bob" in t)
    code = room_code_of(ann)
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    await ann.wait_for(lambda t: "get ready" in t)
    await ann.close()
    await bob.close()
    # Within the reconnect grace (1.5 s here) and a sweep, the room is gone.
    await until(lambda: missing(redis, KEYS.room(code)), timeout=10)
    assert await redis.zscore(KEYS.key("public"), code) is None
    assert code not in onlooker.text


async def test_a_newcomer_to_a_room_without_an_online_host_becomes_host(server, redis, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await ann.close()  # the host's tab closes: reconnecting, then gone
    await bob.wait_for(lambda t: "Ann" not in t, timeout=10)  # gone from a room between matches
    (cat,) = await new_players(server, players, "Cat")
    assert (await cat.post(f"/rooms/{code}/join", {"role": "player"})).status_code == 204
    await bob.wait_for(lambda t: "Cat" in t)
    assert "Start match" in bob.text  # Bob was handed the room when Ann left


async def test_a_listed_room_that_expired_never_hides_a_live_one(server, redis, players):
    ghosts = await new_players(server, players, *[f"G{i}" for i in range(31)])
    codes = []
    for ghost in ghosts:
        await ghost.post("/rooms", {"public": True})
        await ghost.wait_for(lambda t: "Room" in t)
        codes.append(room_code_of(ghost))
    live, expired = codes[0], codes[1:]
    for code in expired:  # as if their keys had expired: gone, their cards lapsed, but still on the list
        await redis.delete(*KEYS.room_keys(code).values())
        card = json.loads(await redis.hget(KEYS.key("cards"), code))
        await redis.hset(KEYS.key("cards"), code, json.dumps({**card, "until": 0}))
    assert await redis.zcard(KEYS.key("public")) == 31
    (newcomer,) = await new_players(server, players, "Newcomer")
    await newcomer.wait_for(lambda t: live in t)
    assert "No open rooms" not in newcomer.text
    assert await redis.zrange(KEYS.key("public"), 0, -1) == [live]  # the dead entries are gone too


async def test_every_key_has_a_bounded_life(server, redis, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await ann.post("/queue/leave")
    await bob.post(f"/rooms/{code}/kick", {"seat": 1})  # refused (not the host): counted, nothing kept
    keyed_once = {KEYS.key(name) for name in ("presence", "procs", "public", "quick", "queue", "queue_seq", "names",
                                              "streams", "cards")}
    for key in await redis.keys("*"):
        if key in keyed_once:
            continue  # one key each, their entries bounded (game/keys.py says how)
        assert await redis.pttl(key) != -1, f"{key} never expires"  # (-2: it expired meanwhile)


async def test_the_lobby_is_woken_at_most_once_a_window_however_fast_a_player_toggles(server, redis, players):
    toggler, bystander = await new_players(server, players, "Toggler", "Bystander")
    await bystander.wait_for(lambda t: "0 in the queue" in t)
    seen = len(bystander.events)
    began = time.monotonic()
    for _ in range(20):
        await toggler.post("/queue/join")
        await toggler.post("/queue/leave")
    took = time.monotonic() - began
    await bystander.wait_for(lambda t: "0 in the queue" in t)  # it ends up right
    await asyncio.sleep(0.6)  # the last window's catch-up
    woken = len(bystander.events) - seen
    windows = took / 0.5 + 2  # FAST_GAME keeps the default 500 ms window
    assert woken <= windows, f"{woken} lobby events in {took:.2f} s"


async def test_lobby_tabs_share_one_render_and_a_players_own_part_travels_alone(server, redis, players):
    ann, bob, cat = await new_players(server, players, "Ann", "Bob", "Cat")
    await ann.post("/queue/join")
    await ann.wait_for(lambda t: "Looking for players" in t)
    await bob.wait_for(lambda t: "1 in the queue" in t)
    await cat.wait_for(lambda t: "1 in the queue" in t)
    boards = [x.html[x.html.index('<div id="lobby-board">'):] for x in (bob, cat)]
    assert boards[0] == boards[1]  # the same board, for every lobby tab
    assert "Hi, Bob" in bob.text and "Hi, Cat" in cat.text and "Looking for players" not in bob.text


async def test_a_claimed_time_faster_than_the_players_own_round_trip_allows_is_raised(server, redis, players):
    """Bob is honest on a slow line (a 200 ms round trip); Ann is a bot on a fast
    one that claims a robotic 110 ms whenever it likes."""
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    ann_pid, bob_pid = await pid_of(redis, "Ann"), await pid_of(redis, "Bob")
    assert (await ann.post(f"/rooms/{code}/settings", {"rounds": 1})).status_code == 204
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    for p, pid in ((ann, ann_pid), (bob, bob_pid)):
        await p.wait_for(lambda t, p=p: p.attr("buzzer", "phase") == "ready")
        await until(lambda pid=pid: redis.hexists(KEYS.key("presses", code), f"probe:{pid}"))  # "get ready" went out

    async def answer(p: Player, lag: float) -> None:  # the page's answer to "get ready", as the buzzer sends it
        await asyncio.sleep(lag)
        assert (await p.post(f"/rooms/{code}/seen", {"round_id": p.attr("buzzer", "round-id")})).status_code == 204

    await asyncio.gather(answer(ann, 0), answer(bob, 0.2))
    for p in (ann, bob):
        await p.wait_for(lambda t, p=p: p.attr("buzzer", "phase") == "go")
    round_id = ann.attr("buzzer", "round-id")

    async def press(p: Player, after: float, ms: int) -> None:
        await asyncio.sleep(after)
        body = {"round_id": round_id, "ms": ms, "early": False}
        assert (await p.post(f"/rooms/{code}/buzz", body)).status_code == 204

    # Bob reacts in 250 ms; his GO and his press each spend about 100 ms on the line.
    await asyncio.gather(press(bob, 0.45, 250), press(ann, 0.6, 110))
    presses = await redis.hgetall(KEYS.key("presses", code))
    assert int(presses[f"rtt:{bob_pid}"]) >= 200 > int(presses[f"rtt:{ann_pid}"])
    assert int(presses[f"p:{bob_pid}"]) == 250  # taken as measured: his round trip explains the rest
    assert int(presses[f"p:{ann_pid}"]) >= 450  # raised: 600 ms passed, and her line is fast


async def pid_of(redis, name: str) -> str:
    return await redis.hget(KEYS.key("names"), name_keys(name)[0])


async def missing(redis, key: str) -> bool:
    return not await redis.exists(key)


async def until(check, timeout: float = 5) -> None:
    """Wait (polling Redis, with a timeout) until `check()` is true."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)
