"""The party game's rules: decoy rounds, the match's record, personal bests and
today's fastest, quick play filling open rooms, the kicked player told, a
press seen by every tab of its player, and the big screen."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from game.config import Settings, load_settings
from game.names import name_keys
from game.snapshots import PlayerState, RoomSnapshot
from game.store import Store, connect, prepare
from game.views import room_view, screen_view
from game.web.screens import Sent, updates
from tests.support import KEYS, Player, new_players, room_code_of, seated_room
from tests.conftest import BOTH_BACKENDS

pytestmark = BOTH_BACKENDS  # a single Redis and a Redis Cluster (tests/conftest.py)

PIDS = [f"party{i}".ljust(22, "x") for i in range(4)]
ADDR = "a-network"


def plan(decoy: bool = False, then_go: bool = True, delay_ms: int = 0) -> dict[str, object]:
    return {"delay_ms": delay_ms, "decoy": decoy, "then_go": then_go, "go_after_ms": 0}


@pytest.fixture
async def store(redis_url: str, backend: str, redis: Redis):
    # Lifted bounds on a claim: these presses come at once and claim human times.
    settings = load_settings(redis_url=redis_url, redis_cluster=backend == "cluster", secret_key="k",
                             results_pause_ms=0, key_prefix="party:", reaction_tolerance_ms=10**9, rtt_cap_ms=10**9,
                             decoy_ms=0, check_script_keys=True)
    client = connect(settings)
    await prepare(client)
    yield Store(client, settings)
    await client.aclose()


async def room_of(store: Store, n: int, decoys: bool = False) -> str:
    for i, pid in enumerate(PIDS[:n]):
        await store.run("set_name", pid=pid, name=f"P{i}", keys=[f"p{i}"], addr=ADDR)
        await store.run("connect", pid=pid, stream="s", proc="p", addr=ADDR, lease_ms=45_000)
    await store.run("room_create", pid=PIDS[0], code="PARTY", public=True)
    for pid in PIDS[1:n]:
        await store.run("room_join", pid=pid, code="PARTY", role="player", addr=ADDR)
    await store.run("room_settings", pid=PIDS[0], code="PARTY", rounds=None, decoys=decoys)
    return "PARTY"


async def advance(store: Store, result: dict[str, object]) -> dict[str, object]:
    await store.redis.hset(store.keys.room("PARTY"), "due_at", 0)  # the phase is over
    return await store.run("advance", code="PARTY", round_id=result["round_id"], phase=result["phase"], plan=plan())


async def test_a_press_on_a_decoy_is_a_false_start_and_go_may_still_follow(store):
    await room_of(store, 2, decoys=True)
    ready = await store.run("match_start", pid=PIDS[0], code="PARTY", plan=plan(decoy=True, then_go=True))
    decoy = await advance(store, ready)
    assert decoy["phase"] == "decoy"
    early = await store.run("buzz", pid=PIDS[0], code="PARTY", round_id=ready["round_id"], ms=150, early=False)
    assert early["result"] == "early"  # whatever the buzzer claims
    again = await advance(store, decoy)
    assert again["phase"] == "ready"  # "get ready" once more, then the real GO
    go = await advance(store, again)
    assert go["phase"] == "go"
    valid = await store.run("buzz", pid=PIDS[1], code="PARTY", round_id=ready["round_id"], ms=240, early=False)
    assert valid["result"] == "240" and valid["phase"] == "results"  # everyone has pressed
    assert await store.redis.hgetall(store.keys.key("scores", "PARTY")) == {PIDS[1]: "3"}


async def test_a_decoy_without_go_ends_the_round_and_not_pressing_costs_nothing(store):
    await room_of(store, 2, decoys=True)
    ready = await store.run("match_start", pid=PIDS[0], code="PARTY", plan=plan(decoy=True, then_go=False))
    decoy = await advance(store, ready)
    decided = await advance(store, decoy)
    assert decided["phase"] == "results"
    assert await store.redis.hgetall(store.keys.key("scores", "PARTY")) == {}
    stats = await store.redis.hgetall(store.keys.key("stats", "PARTY"))
    assert not any(k.startswith("early:") for k in stats)  # nobody pressed: no false start either


async def test_a_room_without_decoys_never_shows_one(store):
    await room_of(store, 2, decoys=False)
    ready = await store.run("match_start", pid=PIDS[0], code="PARTY", plan=plan(decoy=True))
    assert (await advance(store, ready))["phase"] == "go"


async def test_the_match_record_keeps_best_average_and_false_starts_and_whoever_left(store):
    await room_of(store, 3)
    ready = await store.run("match_start", pid=PIDS[0], code="PARTY", plan=plan())
    for presses in ({PIDS[0]: 200, PIDS[1]: 300, PIDS[2]: None}, {PIDS[0]: 400, PIDS[1]: 250, PIDS[2]: None}):
        go = await advance(store, ready)
        for pid, ms in presses.items():  # None: a false start
            decided = await store.run("buzz", pid=pid, code="PARTY", round_id=go["round_id"], ms=ms, early=ms is None)
        ready = await advance(store, decided)  # the next round
    await store.run("room_leave", pid=PIDS[2], code="PARTY")
    stats = await store.redis.hgetall(store.keys.key("stats", "PARTY"))
    assert (stats[f"best:{PIDS[0]}"], stats[f"sum:{PIDS[0]}"], stats[f"n:{PIDS[0]}"]) == ("200", "600", "2")
    assert stats[f"early:{PIDS[2]}"] == "2" and stats[f"name:{PIDS[2]}"] == "P2"  # who left stays on the record


async def test_personal_bests_and_todays_fastest(store):
    await room_of(store, 2)
    first = await store.run("match_start", pid=PIDS[0], code="PARTY", plan=plan())
    go = await advance(store, first)
    await store.run("buzz", pid=PIDS[0], code="PARTY", round_id=go["round_id"], ms=300, early=False)
    await store.run("buzz", pid=PIDS[1], code="PARTY", round_id=go["round_id"], ms=250, early=False)
    presses = await store.redis.hgetall(store.keys.key("presses", "PARTY"))
    assert f"pb:{PIDS[0]}" in presses and f"pb:{PIDS[1]}" in presses  # their first times are their bests
    assert await store.redis.hget(store.keys.player(PIDS[1]), "best") == "250"
    lobby = await store.run("read_lobby", public_rooms_shown=30, invite="")
    assert lobby["fastest"] == [["P1", 250], ["P0", 300]]
    seconds, _ = await store.redis.time()
    today = store.keys.key("fastest", str(int(seconds) // 86400))
    assert 0 < await store.redis.ttl(today) <= 2 * 86400


def snapshot(phase: str, **room: str) -> RoomSnapshot:
    base = {"code": "ABCDE", "phase": phase, "host": PIDS[0], "max": "8", "public": "1", "rounds": "5",
            "round": "1", "round_id": "7", "due_at": "999"}
    return RoomSnapshot(
        room={**base, **room}, players=PIDS[:2], seats={PIDS[0]: 1, PIDS[1]: 2}, spectators=[], spectator_count=0,
        scores={}, presses={}, stats={}, names={PIDS[0]: "Ann", PIDS[1]: "Bob"},
        presence={p: "online" for p in PIDS[:2]}, presence_changes_in_ms=None, taken_ms=0,
    )


def events(snap: RoomSnapshot, pid: str, settings: Settings) -> list[str]:
    return updates(room_view(snap, PlayerState({"name": "Ann"}, False), pid, settings, frozenset()), "http://x/", Sent())


def test_nothing_a_page_receives_before_the_moment_tells_a_decoy_or_go_is_coming():
    settings = load_settings(redis_url=None, secret_key="k")
    plain = events(snapshot("ready", decoy="", then_go="0"), PIDS[1], settings)
    decoy = events(snapshot("ready", decoy="pending", then_go="1", go_after="1234"), PIDS[1], settings)
    assert plain == decoy


def test_every_big_screen_of_a_room_shares_one_render():
    settings = load_settings(redis_url=None, secret_key="k")
    snap = snapshot("go")
    first, second = (updates(screen_view(snap, settings, frozenset()), "http://x/", Sent()) for _ in range(2))
    assert first[0] is second[0] and "reflex-buzzer" not in first[0]  # no buzzer on a screen
    assert "<svg" in first[0] and "ABCDE" in first[0]  # the invite's QR code and the room code


async def test_quick_play_fills_an_open_quick_room_before_waiting(server, players):
    ann, bob, cat = await new_players(server, players, "Ann", "Bob", "Cat")
    for p in (ann, bob):
        assert (await p.post("/queue/join")).status_code == 204
    await ann.wait_for(lambda t: "Room" in t and "Bob" in t)
    code = room_code_of(ann)
    assert (await cat.post("/queue/join")).status_code == 204  # nobody waits: the open room takes her
    await cat.wait_for(lambda t: code in t and "Ann" in t and "Bob" in t)
    await ann.wait_for(lambda t: "Cat" in t)


async def test_a_kicked_player_is_told_and_their_lobby_says_they_cannot_rejoin(server, redis, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    bob_seat = int(await redis.zscore(KEYS.key("players", code), await redis.hget(KEYS.key("names"), name_keys("Bob")[0])))
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": bob_seat})).status_code == 204
    text = await bob.wait_for(lambda t: f"The host removed you from room {code}" in t)
    assert "cannot rejoin" in text
    (cat,) = await new_players(server, players, "Cat")  # the room is open: others see it as usual
    await cat.wait_for(lambda t: code in t)
    await bob.wait_for(lambda t: "removed: you cannot rejoin" in t)
    assert "removed: you cannot rejoin" not in cat.text


async def test_a_press_in_one_tab_shows_in_the_players_other_tabs(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    second = Player(server.url, httpx.AsyncClient(base_url=server.url, cookies=ann.client.cookies))
    players.append(second)
    await second.start_stream()
    await second.wait_for(lambda t: code in t)
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    await ann.wait_for(lambda t: ann.attr("buzzer", "phase") == "go", timeout=10)
    round_id = ann.attr("buzzer", "round-id")
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 230, "early": False})).status_code == 204
    await second.wait_for(lambda t: second.attr("buzzer", "result") == "230 ms")  # the buzzer shows it pressed


async def test_the_big_screen_needs_no_name_and_follows_the_room(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    tv = Player(server.url)
    players.append(tv)
    page = await tv.open(f"/r/{code}/screen")
    assert "Scan to play" in page.text and "<reflex-buzzer" not in page.text
    await tv.start_stream(f"/r/{code}/screen/stream")
    await tv.wait_for(lambda t: "Ann" in t and "Bob" in t)
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    await tv.wait_for(lambda t: "Get ready" in t)
    await tv.wait_for(lambda t: "GO!" in t, timeout=10)
    missing = await tv.client.get("/r/ZZZZZ/screen")
    assert missing.status_code == 200 and "not here any more" in missing.text


async def test_only_the_host_switches_decoys_and_only_between_matches(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    assert (await bob.post(f"/rooms/{code}/settings", {"decoys": True})).status_code == 403
    assert (await ann.post(f"/rooms/{code}/settings", {"decoys": "yes"})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/settings", {})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/settings", {"decoys": True})).status_code == 204
    await bob.wait_for(lambda t: "with decoys" in t)
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    assert (await ann.post(f"/rooms/{code}/settings", {"decoys": False})).status_code == 409
