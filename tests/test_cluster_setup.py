"""The suite's Redis Cluster is a real one (bench/redis_cluster.py).

Three primaries each with a replica, the 16384 slots spread over the
primaries, keys reachable through a cluster client started from any node,
and a killed primary replaced by its replica within seconds, after which the
same client writes again. The game's cluster tests stand on these.
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from bench.redis_cluster import SLOTS, LocalCluster

FAILOVER_S = 10


def test_three_primaries_each_with_one_replica_of_its_own(redis_cluster: LocalCluster):
    nodes = [n for n in redis_cluster.nodes() if not n.failed]
    primaries = [n for n in nodes if n.primary]
    replicas = [n for n in nodes if not n.primary]
    assert len(primaries) == 3 and len(replicas) == 3
    assert sorted(r.primary_id for r in replicas) == sorted(p.id for p in primaries)  # one each


def test_the_slots_are_spread_over_the_primaries(redis_cluster: LocalCluster):
    slots = [n.slots for n in redis_cluster.nodes() if n.primary and not n.failed]
    assert sum(slots) == SLOTS
    assert all(abs(share - SLOTS / 3) <= 1 for share in slots), slots  # an even third each


async def test_keys_spread_over_the_primaries(redis_cluster: LocalCluster, cluster_redis: RedisCluster):
    for room in range(60):
        await cluster_redis.set(f"room:{{R{room:04}}}", "open")  # the hash tag picks the slot
    sizes = []
    for url in redis_cluster.primaries():
        async with Redis.from_url(url) as primary:
            sizes.append(await primary.dbsize())
    assert sum(sizes) == 60 and all(size > 5 for size in sizes), sizes


async def test_a_key_written_through_one_node_is_read_through_any_other(
    redis_cluster: LocalCluster, cluster_redis: RedisCluster
):
    urls = redis_cluster.urls
    assert len(urls) == 6  # primaries and replicas alike: a client finds the cluster from any of them
    for i, url in enumerate(urls):
        async with RedisCluster.from_url(url, decode_responses=True) as writer:
            await writer.set(f"greeting:{i}", f"from node {i}")
        async with RedisCluster.from_url(urls[(i + 1) % len(urls)], decode_responses=True) as reader:
            assert await reader.get(f"greeting:{i}") == f"from node {i}"


async def test_a_killed_primary_is_replaced_by_its_replica_and_the_client_writes_again(
    redis_cluster: LocalCluster, cluster_redis: RedisCluster
):
    node = cluster_redis.get_node_from_key("room:{FAIL1}")
    doomed = f"redis://{node.host}:{node.port}"
    before = redis_cluster.nodes()
    heir = next(n.url for n in before if n.primary_id == next(p.id for p in before if p.url == doomed))
    async with Redis.from_url(doomed, decode_responses=True) as primary:
        await primary.set("room:{FAIL1}", "round 3")
        # Replication is asynchronous: only a write its replica acknowledged is sure to outlive the primary.
        assert await primary.execute_command("WAIT", 1, 2000) == 1
    try:
        killed_at = time.monotonic()
        redis_cluster.kill(doomed)
        await asyncio.to_thread(redis_cluster.wait_ok, FAILOVER_S)
        assert heir in redis_cluster.primaries() and doomed not in redis_cluster.primaries()
        assert await cluster_redis.get("room:{FAIL1}") == "round 3"  # acknowledged, so kept
        while True:  # the same client: it finds the slot's new primary on its own
            try:
                await cluster_redis.set("room:{FAIL1}", "round 4")
                break
            except RedisError:
                assert time.monotonic() - killed_at < FAILOVER_S, "the client never wrote again"
                await asyncio.sleep(0.1)
        assert time.monotonic() - killed_at < FAILOVER_S
        assert await cluster_redis.get("room:{FAIL1}") == "round 4"
        async with Redis.from_url(heir, decode_responses=True) as promoted:
            assert await promoted.get("room:{FAIL1}") == "round 4"  # written on the heir itself
    finally:
        # The rest of the session gets a whole cluster again: the old primary rejoins as a replica.
        await asyncio.to_thread(redis_cluster.revive, doomed)
    assert len(redis_cluster.primaries()) == 3 and len(redis_cluster.replicas()) == 3
    assert doomed in redis_cluster.replicas()
