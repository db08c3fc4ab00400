"""The relay: sharded pub/sub messages wake the streams watching them, once however many,
and after a reconnect or a failover every stream re-reads Redis.

On a real redis-server, and on the suite's real Redis Cluster (`redis_cluster` in
tests/conftest.py: three primaries with a replica each, bench/redis_cluster.py),
shared by the whole session: a test that fails a primary over hands the cluster
back whole, three primaries and three replicas, all ok.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import fakeredis
import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bench.redis_cluster import LocalCluster
from game.relay import Mailbox, OneServer, Relay
from game.rules import EVICT
from tests.support import KEYS


ROOM = {code: KEYS.room_channel(code) for code in ("R0", "R1", "R2")}
PLAYER = KEYS.player_channel("P")


async def woken(mailbox: Mailbox, timeout: float = 5) -> bool:
    return await mailbox.wait(timeout)


async def drained(mailbox: Mailbox) -> None:
    """Forget a pending wake-up (a subscription's own, say)."""
    await mailbox.wait(0)


async def test_a_mailbox_coalesces_wake_ups_and_keeps_one_that_came_while_nobody_waited() -> None:
    tab = Mailbox("tab")
    assert not await tab.wait(0.01)  # nothing yet: the timeout runs out
    tab.notify("ch:room")
    tab.notify("ch:room")
    assert await tab.wait(5)  # two notes while nobody waited: one wake-up
    assert not await tab.wait(0.01)
    waiting = asyncio.create_task(tab.wait(5))
    await asyncio.sleep(0)
    tab.notify("ch:room")
    assert await asyncio.wait_for(waiting, 5)  # a waiting stream is woken at once


@pytest.fixture
async def relay(own_redis_url: str) -> AsyncIterator[tuple[Relay, Redis]]:
    redis = Redis.from_url(own_redis_url, decode_responses=True)
    relay = Relay.for_client(redis, KEYS.relay_channel())
    await relay.start()
    yield relay, redis
    await relay.stop()
    await redis.aclose()


async def subscribed(redis: Redis, channel: str, count: int = 1) -> None:
    """Wait until `count` connections listen on `channel` (SSUBSCRIBE answers later than it returns)."""
    async with asyncio.timeout(5):
        while (await redis.execute_command("PUBSUB", "SHARDNUMSUB", channel))[1] != count:
            await asyncio.sleep(0.01)


async def watching(relay: Relay, redis: Redis, *channels: str) -> list[Mailbox]:
    """A mailbox watching each channel, once all are subscribed."""
    tabs = [Mailbox(f"tab{n}") for n in range(len(channels))]
    for tab, channel in zip(tabs, channels):
        await relay.watch(tab, frozenset({channel}))
    await subscribed(redis, channels[-1])  # one connection: subscribed in order
    return tabs


async def test_a_message_wakes_the_mailboxes_watching_its_channel_and_no_other(relay):
    relay, redis = relay
    room, other = await watching(relay, redis, ROOM["R1"], ROOM["R2"])
    assert await redis.spublish(ROOM["R1"], "1") == 1
    assert await woken(room)
    assert not await other.wait(0.2)


async def test_many_messages_while_a_stream_is_busy_give_one_wake_up(relay):
    relay, redis = relay
    busy, marker = await watching(relay, redis, ROOM["R1"], ROOM["R2"])
    for n in range(20):
        await redis.spublish(ROOM["R1"], str(n))
    await redis.spublish(ROOM["R2"], "after")  # one connection: delivered after the 20
    assert await woken(marker)
    assert await busy.wait(0)
    assert not await busy.wait(0.2)


async def test_a_paced_channel_wakes_a_crowd_at_once_then_at_most_once_per_its_pace(own_redis_url):
    """The lobby's tabs: the more of them, the further apart their wake-ups (Relay's `paced`)."""
    lobby = KEYS.lobby_channel()
    redis = Redis.from_url(own_redis_url, decode_responses=True)
    relay = Relay.for_client(redis, KEYS.relay_channel(), paced={lobby: 0.001})  # 1 ms a tab
    await relay.start()
    try:
        tabs = [Mailbox(f"tab{n}") for n in range(600)]  # 600 tabs: 0.6 s apart
        for tab in tabs:
            await relay.watch(tab, frozenset({lobby}))
        await subscribed(redis, lobby)
        await redis.spublish(lobby, "first")
        assert all([await woken(tab) for tab in tabs])  # the first message: at once
        for n in range(10):
            await redis.spublish(lobby, str(n))  # ten more, within the pace
        assert not await tabs[0].wait(0.2)  # not yet ...
        assert all([await woken(tab, 3) for tab in tabs])  # ... then all, once, for all ten
        assert not any([await tab.wait(0) for tab in tabs])
        assert not await tabs[-1].wait(1)  # and no wake-up more
    finally:
        await relay.stop()
        await redis.aclose()


async def test_an_eviction_survives_a_later_ordinary_message(relay):
    relay, redis = relay
    old_tab, new_tab = Mailbox("old"), Mailbox("new")
    for tab in (old_tab, new_tab):
        await relay.watch(tab, frozenset({PLAYER}))
    await subscribed(redis, PLAYER)
    await redis.spublish(PLAYER, EVICT + "old")
    await redis.spublish(PLAYER, "1795317000000")  # any change, before the old tab's stream runs
    assert await woken(new_tab)
    assert old_tab.evicted and not new_tab.evicted


async def test_a_lost_connection_is_reopened_and_wakes_every_mailbox(relay):
    relay, redis = relay
    tabs = await watching(relay, redis, ROOM["R0"], ROOM["R1"], ROOM["R2"])
    for tab in tabs:
        await drained(tab)
    assert await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
    for tab in tabs:  # messages may have been missed: every stream re-reads Redis
        assert await woken(tab)
    await subscribed(redis, ROOM["R0"])
    await redis.spublish(ROOM["R0"], EVICT + "tab0")
    async with asyncio.timeout(5):
        while not tabs[0].evicted:
            await tabs[0].wait(5)
    assert len(await redis.client_list(_type="pubsub")) == 1  # reopened, not doubled


async def test_the_embedded_redis_delivers_what_a_script_publishes():
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    relay = Relay.for_client(redis, KEYS.relay_channel())
    await relay.start()
    try:
        tab = Mailbox("tab")
        await relay.watch(tab, frozenset({ROOM["R1"]}))
        await redis.eval("return redis.call('SPUBLISH', KEYS[1], ARGV[1])", 1, ROOM["R1"], EVICT + "tab")
        async with asyncio.timeout(5):
            while not tab.evicted:
                await tab.wait(5)
    finally:
        await relay.stop()


class SlowWriter:
    """A connected socket that takes its time to drain, and never delivers."""

    def __init__(self) -> None:
        self.on_the_wire = asyncio.Event()
        self.sent: list[list[tuple[str, str]]] = []

    def writelines(self, commands: list[tuple[str, str]]) -> None:
        self.sent.append(commands)

    async def drain(self) -> None:
        self.on_the_wire.set()
        await asyncio.sleep(0.05)


class SlowConnection:
    def __init__(self) -> None:
        self.wire = self._writer = SlowWriter()  # redis-py's name for the socket's writer
        self.retry = None

    def pack_commands(self, commands: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return commands


class SlowPubSub:
    def __init__(self) -> None:
        self.connection = SlowConnection()

    async def connect(self) -> None:
        pass

    async def get_message(self, timeout: float | None = None) -> None:
        await asyncio.Event().wait()

    async def aclose(self) -> None:
        pass


class SlowServer(OneServer):
    def subscriber(self, node: str) -> SlowPubSub:  # type: ignore[override]
        return self.pubsub

    pubsub = SlowPubSub()


async def test_a_stream_leaving_mid_subscribe_does_not_cancel_the_shared_connections_command():
    topology = SlowServer(None, "home")  # type: ignore[arg-type]
    relay = Relay(topology)  # not started: the stream's watch is the first send
    wire = topology.pubsub.connection.wire
    leaving = asyncio.create_task(relay.watch(Mailbox("gone"), frozenset({"ch:room"})))
    await wire.on_the_wire.wait()
    leaving.cancel()  # its client left while the command was in flight
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    await asyncio.sleep(0.1)
    assert wire.sent[0] == [("SSUBSCRIBE", "ch:room")]  # completed: never cut half-way
    await relay.stop()


# -- on a Redis Cluster -------------------------------------------------------------


async def subscribers(url: str) -> int:
    async with Redis.from_url(url, decode_responses=True) as node:
        return len(await node.client_list(_type="pubsub"))


async def one_subscriber_per_primary(cluster: LocalCluster) -> None:
    """The relay holds one connection on each primary serving slots, none on a replica."""
    primaries, replicas = cluster.primaries(), cluster.replicas()
    assert len(primaries) == 3, primaries
    counted = {url: await subscribers(url) for url in primaries + replicas}
    assert counted == {url: int(url in primaries) for url in counted}, (primaries, counted)


def channel_per_shard(cluster: RedisCluster) -> dict[str, str]:
    """A room channel served by each primary: {primary's URL: channel}."""
    found: dict[str, str] = {}
    n = 0
    while len(found) < 3:
        channel = KEYS.room_channel(f"{{C{n}}}")
        node = cluster.get_node_from_key(channel)
        found.setdefault(LocalCluster.url(int(node.port)), channel)
        n += 1
    return found


def replica_of(cluster: LocalCluster, primary: str) -> str:
    nodes = cluster.nodes()
    primary_id = next(n.id for n in nodes if n.url == primary)
    return next(n.url for n in nodes if n.primary_id == primary_id and not n.failed)


@pytest.fixture
async def cluster_relay(redis_cluster: LocalCluster) -> AsyncIterator[tuple[Relay, RedisCluster]]:
    """A relay on the shared cluster; afterwards the cluster must be whole again
    (a test that killed a node revives it first)."""
    cluster = RedisCluster.from_url(redis_cluster.urls[0], decode_responses=True)  # not initialized yet
    relay = Relay.for_client(cluster, KEYS.relay_channel())
    await relay.start()
    yield relay, cluster
    await relay.stop()
    await cluster.aclose()
    await asyncio.to_thread(redis_cluster.wait_ok, 20, 6)
    assert len(redis_cluster.primaries()) == 3 and len(redis_cluster.replicas()) == 3


async def delivered(cluster: RedisCluster, tab: Mailbox, channel: str, timeout: float = 15) -> None:
    """Publish an eviction for `tab` on `channel` until the relay delivers it (the
    cluster client itself may need a moment to learn a failover)."""
    async with asyncio.timeout(timeout):
        while not tab.evicted:
            with contextlib.suppress(Exception):  # the cluster client may be learning the failover
                await cluster.spublish(channel, EVICT + tab.stream_id)
            await tab.wait(0.3)


async def test_on_a_cluster_each_shard_delivers_through_one_connection(cluster_relay, redis_cluster):
    relay, cluster = cluster_relay
    channels = channel_per_shard(cluster)
    tabs = {url: Mailbox(f"tab{url}") for url in channels}
    for url, channel in channels.items():
        await relay.watch(tabs[url], frozenset({channel}))
    for url, channel in channels.items():
        await delivered(cluster, tabs[url], channel)
    await one_subscriber_per_primary(redis_cluster)


async def failover_is_survived(relay: Relay, cluster: RedisCluster, nodes: LocalCluster,
                               fail: Callable[[str], Awaitable[str]]) -> None:
    """`fail` a primary watched by a tab (and return its replica): the tab is woken,
    delivered to again through the promoted replica, and so is a bystander on other shards."""
    channels = channel_per_shard(cluster)
    primary, channel = next(iter(channels.items()))
    tab, bystander = Mailbox("tab"), Mailbox("bystander")
    await relay.watch(tab, frozenset({channel}))
    others = [c for c in channels.values() if c != channel]
    await relay.watch(bystander, frozenset(others))
    await delivered(cluster, tab, channel)  # subscribed
    tab.evicted = False
    await drained(tab)
    replica = await fail(primary)
    assert await tab.wait(15)  # woken: it re-reads Redis, nothing stale after a failover
    await delivered(cluster, tab, channel)
    await asyncio.to_thread(nodes.wait_ok, 15)  # every node agrees on the new primary
    assert replica in nodes.primaries() and primary not in nodes.primaries()
    await one_subscriber_per_primary(nodes)
    bystander.evicted = False
    await delivered(cluster, bystander, others[0])


async def test_on_a_cluster_a_manual_failover_moves_the_shards_subscriptions(cluster_relay, redis_cluster):
    relay, cluster = cluster_relay

    async def fail(primary: str) -> str:
        replica = replica_of(redis_cluster, primary)
        async with Redis.from_url(replica, decode_responses=True) as node:
            await node.execute_command("CLUSTER", "FAILOVER")
        return replica  # the old primary stays, as its replica: the cluster is still whole

    await failover_is_survived(relay, cluster, redis_cluster, fail)


async def test_on_a_cluster_a_killed_primary_is_replaced_by_its_replica(cluster_relay, redis_cluster):
    relay, cluster = cluster_relay
    killed: list[str] = []

    async def fail(primary: str) -> str:
        replica = replica_of(redis_cluster, primary)
        redis_cluster.kill(primary)
        killed.append(primary)
        return replica

    try:
        await failover_is_survived(relay, cluster, redis_cluster, fail)
    finally:  # the rest of the session gets a whole cluster: the old primary rejoins as a replica
        for url in killed:
            await asyncio.to_thread(redis_cluster.revive, url)
