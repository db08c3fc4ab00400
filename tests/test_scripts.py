"""The game's rules as Redis scripts, run against the real test redis-server.

These drive the scripts directly so a test can set up exact situations
(a press 50 ms after GO, two presses in the same instant) that are hard to
time over HTTP. Over-the-wire behaviour is covered by the other test files.
"""

import asyncio
from dataclasses import replace

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from game.config import Settings, load_settings
from game.presence import Presence
from game.scripts import ScriptError, prelude
from game.timers import Receipts, Timers
from game.store import GameError, Store, connect, prepare
from tests.conftest import BOTH_BACKENDS
from tests.support import subscriber

pytestmark = BOTH_BACKENDS  # a single Redis and a Redis Cluster (tests/conftest.py)

ADDR = "a-network"  # the address tag a command would pass (game/web/limits.py)
PIDS = [f"player{i}".ljust(22, "x") for i in range(4)]


@pytest.fixture
def settings(redis_url: str, backend: str) -> Settings:
    # A key prefix of its own: the suite's app server shares this Redis and publishes too.
    return load_settings(redis_url=redis_url, redis_cluster=backend == "cluster", secret_key="k",
                         results_pause_ms=50, round_timeout_ms=3000, key_prefix="scripts:", check_script_keys=True)


@pytest.fixture
async def store(settings: Settings, redis: Redis):
    client = connect(settings)
    await prepare(client)
    yield Store(client, settings)
    await client.aclose()


@pytest.fixture
async def lenient(settings: Settings, redis: Redis):
    """The scripts with both bounds on a claimed time lifted: a test presses at
    once and claims a human time (the bounds have tests of their own)."""
    client = connect(settings)
    await prepare(client)
    yield Store(client, replace(settings, reaction_tolerance_ms=10**9, rtt_cap_ms=10**9))
    await client.aclose()


def plan(delay_ms: int = 0, decoy: bool = False, then_go: bool = True) -> dict[str, object]:
    """A round's plan as game/timers.py draws it, chosen by the test."""
    return {"delay_ms": delay_ms, "decoy": decoy, "then_go": then_go, "go_after_ms": delay_ms}


async def room_with(store: Store, n: int) -> str:
    for i, pid in enumerate(PIDS[:n]):
        await store.run("set_name", pid=pid, name=f"P{i}", keys=[f"p{i}"], addr=ADDR)
        await store.run("connect", pid=pid, stream="c", proc="p", addr=ADDR, lease_ms=45_000)
    await store.run("room_create", pid=PIDS[0], code="ROOM1", public=True)
    for pid in PIDS[1:n]:
        await store.run("room_join", pid=pid, code="ROOM1", role="player", addr=ADDR)
    return "ROOM1"


async def at_go(store: Store, n: int = 2) -> str:
    """A room whose first round has just turned GO; returns the round id."""
    code = await room_with(store, n)
    started = await store.run("match_start", pid=PIDS[0], code=code, plan=plan(0))
    result = await store.run("advance", code=code, round_id=started["round_id"], phase="ready", plan=plan(0))
    assert result["phase"] == "go"
    return started["round_id"]


async def round_hash(store: Store) -> dict[str, str]:
    return await store.redis.hgetall(store.keys.key("presses", "ROOM1"))


async def test_a_claimed_time_longer_than_the_server_saw_is_capped(store):
    round_id = await at_go(store)
    await store.run("delivered", pids=[PIDS[0]], code="ROOM1", round_id=round_id, phase="go")
    result = await store.run("buzz", pid=PIDS[0], code="ROOM1", round_id=round_id, ms=2500, early=False)
    # The server saw only a few ms since GO was sent: capped, then below the floor.
    assert result["result"] == "early"


async def test_a_plausible_time_is_taken_as_measured(store):
    round_id = await at_go(store)
    sent = int(await store.redis.hget(store.keys.room("ROOM1"), "go_started")) - 400
    await store.redis.hset(store.keys.key("presses", "ROOM1"), f"sent:{PIDS[0]}", sent)  # GO reached them 400 ms ago
    result = await store.run("buzz", pid=PIDS[0], code="ROOM1", round_id=round_id, ms=213, early=False)
    assert result["result"] == "213"


async def test_a_claim_faster_than_the_players_round_trip_allows_is_raised(store):
    code = await room_with(store, 2)
    started = await store.run("match_start", pid=PIDS[0], code=code, plan=plan(0))
    round_id = started["round_id"]
    await store.run("delivered", pids=[PIDS[0]], code=code, round_id=round_id, phase="ready")
    await store.run("seen", pid=PIDS[0], code=code, round_id=round_id)  # answered at once: a short round trip
    await store.run("advance", code=code, round_id=round_id, phase="ready", plan=plan(0))
    sent = int(await store.redis.hget(store.keys.room(code), "go_started")) - 600
    await store.redis.hset(store.keys.key("presses", code), f"sent:{PIDS[0]}", sent)  # GO reached them 600 ms ago
    result = await store.run("buzz", pid=PIDS[0], code=code, round_id=round_id, ms=110, early=False)
    rtt = int((await round_hash(store))[f"rtt:{PIDS[0]}"])
    assert int(result["result"]) >= 600 - rtt - 80  # the slack (RTT_SLACK_MS) is all it is granted


async def test_faster_than_a_human_is_a_false_start(lenient):
    store = lenient
    round_id = await at_go(store)
    assert (await store.run("buzz", pid=PIDS[0], code="ROOM1", round_id=round_id, ms=99, early=False))["result"] == "early"
    assert (await store.run("buzz", pid=PIDS[1], code="ROOM1", round_id=round_id, ms=None, early=True))["result"] == "early"


async def test_rank_by_reaction_time_not_arrival_and_ties_share_the_rank(lenient):
    store = lenient
    round_id = await at_go(store, 4)
    for pid, ms in zip(PIDS, [300, 180, 300, 250]):  # arrival order is not speed order
        await store.run("buzz", pid=pid, code="ROOM1", round_id=round_id, ms=ms, early=False)
    presses = await round_hash(store)
    assert [presses[f"rank:{pid}"] for pid in PIDS] == ["3", "1", "3", "2"]
    scores = await store.redis.hgetall(store.keys.key("scores", "ROOM1"))
    assert [scores[pid] for pid in PIDS] == ["1", "3", "1", "2"]
    assert await store.redis.hget(store.keys.room("ROOM1"), "phase") == "results"


async def test_two_buzzes_in_the_same_instant_are_both_counted_once(lenient):
    store = lenient
    round_id = await at_go(store, 2)
    presses = [store.run("buzz", pid=pid, code="ROOM1", round_id=round_id, ms=200, early=False)
               for pid in PIDS[:2] for _ in range(3)]
    outcomes = await asyncio.gather(*presses, return_exceptions=True)
    assert sum(isinstance(o, dict) for o in outcomes) == 2
    assert all(o.status == 409 for o in outcomes if isinstance(o, GameError))
    scores = await store.redis.hgetall(store.keys.key("scores", "ROOM1"))
    assert scores == {PIDS[0]: "3", PIDS[1]: "3"}  # a tie shares first place


async def test_a_timed_transition_happens_once_however_often_it_fires(store):
    code = await room_with(store, 2)
    started = await store.run("match_start", pid=PIDS[0], code=code, plan=plan(0))
    fired = await asyncio.gather(*(
        store.run("advance", code=code, round_id=started["round_id"], phase="ready", plan=plan(0)) for _ in range(10)
    ))
    assert sum(1 for f in fired if f.get("ok")) == 1
    assert all(f.get("stale") for f in fired if not f.get("ok"))


async def test_a_transition_before_its_deadline_waits(store):
    code = await room_with(store, 2)
    started = await store.run("match_start", pid=PIDS[0], code=code, plan=plan(5000))
    result = await store.run("advance", code=code, round_id=started["round_id"], phase="ready", plan=plan(0))
    assert 4000 < result["wait_ms"] <= 5000
    assert await store.redis.hget(store.keys.room(code), "phase") == "ready"


async def test_a_double_start_has_one_winner(store):
    code = await room_with(store, 2)
    outcomes = await asyncio.gather(
        *(store.run("match_start", pid=PIDS[0], code=code, plan=plan(1000)) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert await store.redis.hget(store.keys.room(code), "round") == "1"


async def test_the_round_ends_when_everyone_pressed_or_on_timeout(store):
    round_id = await at_go(store, 3)
    await store.run("buzz", pid=PIDS[0], code="ROOM1", round_id=round_id, ms=None, early=True)
    await store.run("buzz", pid=PIDS[1], code="ROOM1", round_id=round_id, ms=None, early=True)
    assert await store.redis.hget(store.keys.room("ROOM1"), "phase") == "go"  # one still to press
    await store.redis.hset(store.keys.room("ROOM1"), "due_at", 0)  # the 3 s have passed
    result = await store.run("advance", code="ROOM1", round_id=round_id, phase="go", plan=plan(0))
    assert result["phase"] == "results"
    assert await store.redis.hgetall(store.keys.key("scores", "ROOM1")) == {}  # nobody scored


async def test_the_match_ends_after_the_last_round(store):
    code = await room_with(store, 2)
    await store.run("room_settings", pid=PIDS[0], code=code, rounds=2, decoys=None)
    result = await store.run("match_start", pid=PIDS[0], code=code, plan=plan(0))
    phases = []
    while result.get("phase") != "final":
        await store.redis.hset(store.keys.room(code), "due_at", 0)  # every phase is over at once
        result = await store.run("advance", code=code, round_id=result["round_id"], phase=result["phase"], plan=plan(0))
        phases.append(result["phase"])
    assert phases == ["go", "results", "ready", "go", "results", "final"]


async def test_an_abandoned_room_expires(store, settings):
    code = await room_with(store, 2)
    for key in store.keys.room_keys(code):
        if await store.redis.exists(key):
            assert 0 < await store.redis.ttl(key) <= settings.room_ttl_s


async def test_comings_and_goings_wake_the_lobby_at_most_once_a_window(store):
    pubsub = subscriber(store.redis, store.keys.lobby_channel())
    await pubsub.ssubscribe(store.keys.lobby_channel())
    results = [await store.run("connect", pid=pid, stream="c", proc="p", addr=ADDR, lease_ms=45_000) for pid in PIDS]
    assert [bool(r.get("lobby_later")) for r in results] == [False, True, True, True]
    received = [await pubsub.get_message(timeout=0.2) for _ in range(6)]
    messages = [m["data"] for m in received if m and m["type"] == "smessage"]
    assert len([m for m in messages if m != "catch-up"]) == 1
    assert "catch-up" in messages  # the store wakes the lobby once more when the window ends
    await pubsub.aclose()


async def test_the_secret_delay_is_drawn_within_the_rules(redis_url):
    settings = load_settings(redis_url=redis_url, secret_key="k", ready_min_ms=1500, ready_max_ms=4000)
    timers = Timers(Store(Redis.from_url(redis_url), settings), settings)
    delays = {timers.secret_delay_ms() for _ in range(2000)}
    assert min(delays) >= 1500 and max(delays) <= 4000 and len(delays) > 500


async def test_nobody_is_in_the_queue_and_a_room_or_in_two_rooms(store):
    code = await room_with(store, 2)
    await store.run("set_name", pid=PIDS[2], name="P2", keys=["p2"], addr=ADDR)
    await store.run("connect", pid=PIDS[2], stream="c", proc="p", addr=ADDR, lease_ms=45_000)
    await store.run("queue_join", pid=PIDS[2], code="QROOM", addr=ADDR)
    await store.run("room_join", pid=PIDS[2], code=code, role="player", addr=ADDR)
    assert await store.redis.zscore(store.keys.key("queue"), PIDS[2]) is None
    await store.run("room_create", pid=PIDS[2], code="ROOM2", public=False)
    assert await store.redis.zscore(store.keys.key("players", code), PIDS[2]) is None
    assert await store.redis.hget(store.keys.player(PIDS[2]), "room") == "ROOM2"
    with pytest.raises(GameError) as refused:
        await store.run("queue_join", pid=PIDS[2], code="QROOM", addr=ADDR)
    assert refused.value.status == 409


async def open_streams(store: Store, pid: str) -> int:
    """How many streams the player has open, as Redis has it ("<stream id> <opened ms>" each)."""
    return len((await store.redis.hget(store.keys.key("streams"), pid) or "").split()) // 2


async def test_a_process_that_is_gone_has_its_streams_closed_by_the_next_lease(store, settings):
    a, b = Presence(store, settings), Presence(store, settings)
    await a.renew()
    await b.renew()
    code = await room_with(store, 1)  # connected on process "p", not through a or b
    await a.connect(PIDS[0], "s1", ADDR)
    await store.run("disconnect", pid=PIDS[0], stream="c", proc="p")
    async with subscriber(store.redis, store.keys.room_channel(code)) as room_channel:
        await room_channel.ssubscribe(store.keys.room_channel(code))
        await b.renew()  # a's lease still runs: nothing changes
        assert await open_streams(store, PIDS[0]) == 1
        await store.redis.zadd(store.keys.key("procs"), {a.proc: 1})  # a's lease ran out long ago
        await b.renew()
        assert await open_streams(store, PIDS[0]) == 0
        until = await store.redis.zscore(store.keys.key("presence"), PIDS[0])
        grace = settings.reconnect_grace_ms
        assert abs(until - (await store.redis.time())[0] * 1000 - grace) < 2000  # reconnecting
        await room_channel.get_message(timeout=1)  # the subscription
        assert (await room_channel.get_message(timeout=1))["type"] == "smessage"  # the room was told
    # Process a was only stalled: at its next renewal it registers its streams again.
    await a.renew()
    assert (await store.redis.hget(store.keys.key("streams"), PIDS[0])).split()[0] == "s1"
    assert await store.redis.zscore(store.keys.key("presence"), PIDS[0]) > until
    a.cancel_all()
    b.cancel_all()


async def test_the_go_receipts_of_one_moment_are_one_script(store):
    round_id = await at_go(store, 3)
    receipts = Receipts(store)
    for pid in PIDS[:3]:
        receipts.delivered("ROOM1", round_id, "go", pid)
    assert receipts.batches_pending == 1
    await receipts.settled()
    stamps = {k: v for k, v in (await round_hash(store)).items() if k.startswith("sent:")}
    assert sorted(stamps) == sorted(f"sent:{pid}" for pid in PIDS[:3])
    assert len(set(stamps.values())) == 1


async def test_a_script_touching_an_undeclared_key_fails_loudly(store):
    # A player's record the caller did not declare: refused by the key's accessor.
    with pytest.raises(ScriptError, match="undeclared key player:nobody"):
        await store.scripts.call("sweep", store.scripts.lobby(), pid="nobody")
    # A key built inside a script, not given in KEYS: refused by `call` (CHECK_SCRIPT_KEYS).
    checked = prelude(store.keys, "room", check=True) + "return call('GET', 'elsewhere')"
    with pytest.raises(ResponseError, match="undeclared key elsewhere in GET"):
        await store.redis.eval(checked, 1, store.keys.room("ROOM1"), "{}", '["room"]')


async def test_a_script_error_names_its_lua_file_and_line(store):
    with pytest.raises(ScriptError) as failed:
        await store.scripts.call("limit", {"limit1": store.keys.limit("tag", "x")}, limits=[["many", 1000]])
    assert "limit/limit.lua:11:" in str(failed.value)  # a count that is not a number
