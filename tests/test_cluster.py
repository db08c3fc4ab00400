"""The game on a real Redis Cluster: rooms spread over the primaries, the
lobby is the one shared slot, and a failover mid-match is survived.

What a failover can lose: Redis replicates asynchronously, so writes a
primary acknowledged in the moment before it died, not yet copied to its
replica, are gone (a press, a phase change, a seat taken in that instant).
The match then goes on from the state the replica had: a round may be
replayed from its last copied phase, never broken; the room, its players and
its score up to then stay.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from redis.asyncio.cluster import RedisCluster

from bench.redis_cluster import LocalCluster
from game.config import load_settings
from game.keys import TEMPLATES
from game.store import Store, connect, prepare
from tests.conftest import FAST_GAME, free_port
from tests.support import KEYS, Player, seated_room, start_server

ADDR = "tag"


@pytest.fixture
async def store(redis_cluster: LocalCluster, cluster_redis: RedisCluster):
    settings = load_settings(redis_url=redis_cluster.urls[0], redis_cluster=True, secret_key="k",
                             key_prefix="spread:", check_script_keys=True)
    client = connect(settings)
    await prepare(client)
    yield Store(client, settings)
    await client.aclose()


async def test_a_thousand_rooms_spread_over_the_primaries_and_only_the_lobby_is_shared(store, cluster_redis):
    pids = [f"p{i:04d}" for i in range(1000)]

    async def open_room(pid: str) -> str:
        await store.run("connect", pid=pid, stream="s", proc="spread", addr=ADDR, lease_ms=60_000)
        await store.run("set_name", pid=pid, name=pid, keys=[pid], addr=ADDR)
        return str((await store.run("room_create", pid=pid, public=True))["room"])

    codes: list[str] = []
    for batch in range(0, len(pids), 100):
        codes += await asyncio.gather(*(open_room(pid) for pid in pids[batch:batch + 100]))
    assert len(set(codes)) == 1000
    holders: Counter[str] = Counter(cluster_redis.get_node_from_key(store.keys.room(code)).name for code in codes)
    assert len(holders) == 3 and max(holders.values()) <= 500, holders
    # Every key of a room lives in its room's slot; every other key but the counters in the lobby's.
    code = codes[0]
    slots = {cluster_redis.keyslot(key) for key in store.keys.room_keys(code).values()}
    assert slots == {cluster_redis.keyslot(store.keys.room(code))}
    lobby = {cluster_redis.keyslot(store.keys.key(name, "x")) for name, template in TEMPLATES.items()
             if template.startswith("{lobby}")}
    assert len(lobby) == 1  # the one slot every room shares (README: "Scaling past one machine")


async def test_a_failover_mid_match_is_survived(redis_cluster: LocalCluster, cluster_redis: RedisCluster, players):
    env = {**FAST_GAME, "REDIS_CLUSTER": "1", "REDIS_URL": redis_cluster.urls[0],
           "RESULTS_PAUSE_MS": "1500"}
    with start_server(env, free_port()) as srv:
        code, (ann, bob) = await seated_room(srv, players, "Ann", "Bob")
        await ann.post(f"/rooms/{code}/settings", {"rounds": 3})
        await ann.post(f"/rooms/{code}/start")
        await ann.wait_for(lambda t: "Round 1 of 3" in t)
        holder = cluster_redis.get_node_from_key(KEYS.room(code))
        victim = f"redis://{holder.host}:{holder.port}"
        redis_cluster.kill(victim)  # the primary holding the room's slot, mid-match
        killed = time.monotonic()
        try:
            # Its replica takes over; the players' streams show the room again, moving on.
            for p in (ann, bob):
                await p.wait_for(lambda t: "Round 2 of 3" in t or "Round 3 of 3" in t or "Final scores" in t,
                                 timeout=10 - (time.monotonic() - killed))
            text = await bob.wait_for(lambda t: "Final scores" in t, timeout=30)
            assert "Ann" in text and "Bob" in text
            assert await cluster_redis.zcard(KEYS.key("players", code)) == 2  # the room outlived its primary
        finally:
            await asyncio.to_thread(redis_cluster.revive, victim)


async def test_a_mounted_tutorial_chapter_runs_on_the_cluster(redis_cluster: LocalCluster, cluster_redis, players):
    env = {**FAST_GAME, "REDIS_CLUSTER": "1", "REDIS_URL": redis_cluster.urls[0]}
    with start_server(env, free_port()) as srv:
        ann, bob = Player(srv.url), Player(srv.url)
        players += [ann, bob]
        for p, name in ((ann, "Ann"), (bob, "Bob")):
            await p.open("/tutorial/5")
            await p.start_stream("/tutorial/5/stream")
            await p.wait_for(lambda t: "In the room" in t)
            assert (await p.post("/tutorial/5/join", {"name": name})).status_code == 204
        assert (await ann.post("/tutorial/5/tap")).status_code == 204
        await bob.wait_for(lambda t: "Ann 1" in t)
