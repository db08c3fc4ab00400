"""Redis sharded pub/sub, one subscriber connection per shard, fanned out to local mailboxes.

Each stream owns a Mailbox and tells the relay which channels it watches.
A message only sets the mailbox's flag: many messages while a stream is busy
rendering give one wake-up (coalescing), and a mailbox never holds more than
that one flag, however slow its stream (bounded memory).

The game publishes with SPUBLISH and the relay listens with SSUBSCRIBE: on a
Redis Cluster a channel's messages then stay on the shard (the primary) that
owns its slot, so the relay keeps one subscriber connection per shard, each
read by its own task. A single Redis, and the embedded one, is one shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Protocol

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game.rules import EVICT

log = logging.getLogger(__name__)

PACED_SLICE = 100  # mailboxes of a paced channel woken per turn of the event loop

# A broken subscriber connection, or a shard that no longer serves a channel.
TROUBLE = (RedisConnectionError, RedisTimeoutError, OSError, ResponseError)


class Mailbox:
    """A coalescing wake-up flag for one stream (named by its stream id)."""

    def __init__(self, stream_id: str = "", own_channel: str = "") -> None:
        # A flag and the future its stream waits on, not an asyncio.Event: an
        # idle stream would keep the Event's empty deque of waiters (624 bytes).
        self._woken = False
        self._waiter: asyncio.Future[None] | None = None
        self.channels: frozenset[str] = frozenset()
        self.stream_id = stream_id
        self.own_channel = own_channel  # the player's own channel: see `own_changed`
        self.own_changed = True  # something of the player's own may have changed: re-read it
        self.evicted = False  # told to close: the player opened too many tabs
        self.woken_at = 0.0

    def notify(self, channel: str | None = None, since: float | None = None) -> None:
        """Wake the stream; `channel` is where the message came (None: unknown, maybe any),
        `since` a moment after it came (default: now)."""
        # A read for this stream must start after this.
        self.woken_at = time.monotonic() if since is None else since
        if channel is None or channel == self.own_channel:
            self.own_changed = True
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, timeout: float) -> bool:
        """True when woken by a message, False when the timeout ran out first."""
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a
        # cancellation that lands as the event fires, and a stream whose client
        # left would then never end.
        if not self._woken:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._waiter
            except TimeoutError:
                return False  # a wake-up that came as the time ran out stays for the next wait
            finally:
                self._waiter = None
        self._woken = False
        return True


class Topology(Protocol):
    """Which shard serves a channel, and how to listen to a shard."""

    def primaries(self) -> list[str]: ...

    def locate(self, channel: str) -> str: ...

    def subscriber(self, node: str) -> PubSub: ...

    def home(self, node: str) -> str: ...

    async def refresh(self) -> None: ...


class OneServer:
    """A single Redis (or the embedded one): one shard, serving every channel."""

    NODE = "redis"

    def __init__(self, redis: Redis, home_channel: str) -> None:
        self._redis = redis
        self._home = home_channel

    def primaries(self) -> list[str]:
        return [self.NODE]

    def locate(self, channel: str) -> str:
        return self.NODE

    def subscriber(self, node: str) -> PubSub:
        return self._redis.pubsub()

    def home(self, node: str) -> str:
        return self._home

    async def refresh(self) -> None:
        """Nothing moves on a single server: a reconnect is all it takes."""


class Cluster:
    """A Redis Cluster: a channel is served by the primary owning its slot."""

    def __init__(self, cluster: RedisCluster, home_channel: str) -> None:
        self._cluster = cluster
        self._home = home_channel

    def primaries(self) -> list[str]:
        return [node.name for node in self._cluster.get_primaries()]

    def locate(self, channel: str) -> str:
        return self._cluster.nodes_manager.get_node_from_slot(key_slot(channel.encode())).name

    def subscriber(self, node: str) -> PubSub:
        """A PubSub on a pool of its own for `node`, with the cluster client's
        connection settings (the cluster's own per-node pools are private to it)."""
        found = self._cluster.get_node(node_name=node)
        assert found is not None, node
        pool = ConnectionPool(connection_class=found.connection_class, **found.connection_kwargs)
        return Redis(connection_pool=pool).pubsub()

    def home(self, node: str) -> str:
        """The relay's channel with a hash tag whose slot `node` serves."""
        for tag in itertools.islice(itertools.count(), 200_000):
            channel = f"{self._home}{{{tag}}}"
            if self.locate(channel) == node:
                return channel
        raise LookupError(f"{node} serves no slot")

    async def refresh(self) -> None:
        """Reload the slot map (after a failover or a slot migration)."""
        await self._cluster.initialize()  # the client's own start, the first time (a no-op after)
        await self._cluster.nodes_manager.initialize()


class Shard:
    """One subscriber connection to one shard's primary, and the task that reads it.

    Only this task reads from the connection, and only it reconnects it:
    two coroutines reconnecting one connection at once break it ("read()
    called while another coroutine is already waiting"). On every
    (re)connect it subscribes each channel of the shard, then the shard's
    home channel last: Redis answers a connection's commands in order, so the
    home's confirmation means every channel before it is subscribed, and it
    wakes the shard's streams (messages may have been missed meanwhile).
    """

    # redis-py's default for this connection, no retry: the pool's RETRY
    # (game/store.py) would also reconnect it inside whichever task is using
    # it, the listener or a stream subscribing.
    NO_RETRY = Retry(NoBackoff(), 0)

    def __init__(self, relay: Relay, node: str, pubsub: PubSub, home: str) -> None:
        self.node = node
        self.channels: set[str] = set()  # the watched channels this shard serves
        self.ready = asyncio.Event()  # subscribed (the home channel confirmed)
        self._relay = relay
        self._pubsub = pubsub
        self._home = home
        self._leaving: Counter[str] = Counter()  # our own SUNSUBSCRIBEs not confirmed yet
        self._task = asyncio.create_task(self._listen(), name=f"relay {node}")

    async def close(self) -> None:
        if self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._pubsub.aclose()

    async def subscribe(self, channels: Iterable[str], home: bool = False) -> None:
        """SSUBSCRIBE each channel (one per command: channels of two slots may
        not share one), then, if `home`, the home channel: see the class."""
        commands = [("SSUBSCRIBE", channel) for channel in channels]
        await self._send(commands + [("SSUBSCRIBE", self._home)] if home else commands)

    async def unsubscribe(self, channel: str) -> None:
        if await self._send([("SUNSUBSCRIBE", channel)]):
            self._leaving[channel] += 1

    async def _send(self, commands: list[tuple[str, str]]) -> bool:
        """Write (un)subscriptions on the connection, and nothing more (see the class).

        While the connection is down, nothing is sent: the reconnect covers it.
        The commands go to the socket's buffer whole, with no await between the
        check and the write, so a stream cancelled meanwhile (its client left)
        cannot leave half a command on the connection every stream shares, and
        a connection the listener drops is never reconnected here beside it
        (redis-py's own send would reconnect it)."""
        connection = self._pubsub.connection
        writer = connection and connection._writer  # the socket, only while connected
        if not commands or writer is None:
            return False
        writer.writelines(connection.pack_commands(commands))
        with contextlib.suppress(OSError):  # the listener sees a broken connection and reconnects
            await writer.drain()
        return True

    async def _connect(self) -> None:
        await self._pubsub.connect()  # (re)connects; redis-py resubscribes nothing: it lists no channel
        assert self._pubsub.connection is not None
        self._pubsub.connection.retry = self.NO_RETRY
        self._leaving.clear()  # what was unconfirmed is gone with the old connection
        await self.subscribe(list(self.channels), home=True)

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._connect()
                while True:
                    message = await self._pubsub.get_message(timeout=None)
                    if message and self._handle(message):
                        backoff = 0.1
            except TROUBLE as exc:
                # Messages may have been missed, or the shard moved: once
                # resubscribed where the channels now live, every stream re-reads Redis.
                self.ready.clear()
                log.warning("pub/sub on %s lost (%s: %s); retrying in %.1fs",
                            self.node, type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                if not await self._relay.recover(self):
                    return  # this node serves no shard any more: its channels moved on

    def _handle(self, message: dict[str, str]) -> bool:
        """Act on one message; True when it confirmed the home channel (all subscribed)."""
        kind, channel = message["type"], message["channel"]
        if kind == "smessage":
            self._relay.deliver(channel, message["data"])
        elif kind == "ssubscribe" and channel == self._home:
            self.ready.set()
            self._relay.wake(self.channels)
            return True
        elif kind == "sunsubscribe":
            if self._leaving[channel]:
                self._leaving[channel] -= 1
                if not self._leaving[channel]:
                    del self._leaving[channel]  # a channel left long ago costs nothing
            elif channel == self._home or channel in self.channels:
                # Redis dropped a channel we still watch: its slot moved, or
                # this node was demoted to a replica.
                raise ResponseError(f"{channel} is no longer served by {self.node}")
        return False


class Relay:
    """Fans the messages of one subscriber connection per shard out to this process's mailboxes."""

    def __init__(self, topology: Topology, paced: dict[str, float] | None = None) -> None:
        self._topology = topology
        # Channels whose wake-ups are paced: {channel: seconds per mailbox watching it}. A message
        # wakes this process's mailboxes on it at once, unless the last wake-up was less than
        # (mailboxes x that) ago: then one wake-up follows when that time is up, for every message
        # meanwhile. The lobby, whose every tab re-reads and sends on each wake-up: the more tabs,
        # the further apart, so waking them takes a bounded share of the process, however many.
        self._paced = paced or {}
        self._last_woken: dict[str, float] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._mailboxes: dict[str, set[Mailbox]] = defaultdict(set)
        self._shards: dict[str, Shard] = {}  # by node name, opened when first needed
        self._shard_of: dict[str, Shard] = {}  # the shard each watched channel is subscribed on
        self._recovering = asyncio.Lock()  # one slot map refresh at a time

    @classmethod
    def for_client(cls, redis: Redis | RedisCluster, home_channel: str,
                   paced: dict[str, float] | None = None) -> Relay:
        """The relay for whatever `game.store.connect` returned."""
        if isinstance(redis, RedisCluster):
            return cls(Cluster(redis, home_channel), paced)
        return cls(OneServer(redis, home_channel), paced)

    async def start(self, timeout: float = 10) -> None:
        """Open a shard connection to every primary, and wait until each is
        subscribed: a process that cannot reach Redis fails to start. (Opening
        them now rather than on a stream's first watch keeps that wait off the
        streams; a primary that appears later, after a failover, is opened
        when a channel it serves is watched.)"""
        await self._topology.refresh()
        shards = [self._shard(node) for node in self._topology.primaries()]
        async with asyncio.timeout(timeout):
            for shard in shards:
                await shard.ready.wait()

    async def stop(self) -> None:
        for pending in self._pending.values():
            pending.cancel()
        self._pending.clear()
        for shard in list(self._shards.values()):
            await shard.close()
        self._shards.clear()

    def channels(self) -> list[str]:
        """The channels some stream of this process watches."""
        return list(self._mailboxes)

    async def watch(self, mailbox: Mailbox, channels: frozenset[str]) -> None:
        """Point a mailbox at a new set of channels (subscribing as needed)."""
        added, removed = channels - mailbox.channels, mailbox.channels - channels
        mailbox.channels = channels
        for channel in added:
            first = not self._mailboxes[channel]
            self._mailboxes[channel].add(mailbox)
            if first:
                shard = self._shard_of[channel] = self._shard(self._topology.locate(channel))
                shard.channels.add(channel)  # a reconnect resubscribes every channel listed here
                await shard.subscribe([channel])
        await self._unwatch(mailbox, removed)

    async def drop(self, mailbox: Mailbox) -> None:
        channels, mailbox.channels = mailbox.channels, frozenset()
        await self._unwatch(mailbox, channels)

    async def _unwatch(self, mailbox: Mailbox, channels: frozenset[str]) -> None:
        for channel in channels:
            mailboxes = self._mailboxes.get(channel)
            if mailboxes is None:
                continue
            mailboxes.discard(mailbox)
            if not mailboxes:
                del self._mailboxes[channel]
                shard = self._shard_of.pop(channel)
                shard.channels.discard(channel)
                await shard.unsubscribe(channel)

    def _shard(self, node: str) -> Shard:
        """The shard connection of `node`, opened if it is not yet."""
        shard = self._shards.get(node)
        if shard is None:
            pubsub, home = self._topology.subscriber(node), self._topology.home(node)
            shard = self._shards[node] = Shard(self, node, pubsub, home)
        return shard

    async def recover(self, failed: Shard) -> bool:
        """After trouble on a shard: reload the slot map, move each watched
        channel to the shard now serving it (its streams are woken once it is
        subscribed there), and close the shards of nodes that are no longer
        primaries. False when `failed` is one of them."""
        async with self._recovering:
            try:
                await self._topology.refresh()
                homes = {channel: self._topology.locate(channel) for channel in self._shard_of}
                primaries = set(self._topology.primaries())
            except (RedisError, RedisClusterException, OSError) as exc:  # mid-failover: the caller retries
                log.warning("reloading the cluster's slot map failed (%r)", exc)
                return True
            moved: dict[Shard, list[str]] = defaultdict(list)
            for channel, node in homes.items():
                shard = self._shard_of[channel]
                if node != shard.node:
                    shard.channels.discard(channel)
                    target = self._shard_of[channel] = self._shard(node)
                    target.channels.add(channel)
                    moved[target].append(channel)
            for target, channels in moved.items():
                await target.subscribe(channels, home=True)
            for node in [node for node in self._shards if node not in primaries]:
                await self._shards.pop(node).close()
        return failed is self._shards.get(failed.node)

    def deliver(self, channel: str, data: str) -> None:
        """A message arrived on `channel`: wake the mailboxes watching it (a paced channel's: see __init__)."""
        if channel in self._paced:
            return self._pace(channel)
        evict = data.removeprefix(EVICT) if data.startswith(EVICT) else None
        for mailbox in self._mailboxes.get(channel, ()):
            if evict is None or mailbox.stream_id == evict:
                # Once told to close, a later ordinary message must not undo it.
                mailbox.evicted = mailbox.evicted or evict is not None
                mailbox.notify(channel)

    def _pace(self, channel: str) -> None:
        if channel in self._pending:
            return  # a wake-up is due already: it shows this message too
        due = self._last_woken.get(channel, -1e9) + len(self._mailboxes.get(channel, ())) * self._paced[channel]
        loop = asyncio.get_running_loop()
        if loop.time() >= due:
            self._wake_paced(channel)
        else:
            self._pending[channel] = loop.call_at(due, self._wake_paced, channel)

    def _wake_paced(self, channel: str) -> None:
        self._pending.pop(channel, None)
        loop = asyncio.get_running_loop()
        self._last_woken[channel] = loop.time()
        self._wake_slices(loop, list(self._mailboxes.get(channel, ())), channel, time.monotonic())

    def _wake_slices(self, loop: asyncio.AbstractEventLoop, mailboxes: list[Mailbox], channel: str,
                     since: float) -> None:
        """Wake a crowd a slice per turn of the event loop: thousands of streams woken at
        once would each read, render and send before the process answers anything else.
        Every slice is woken as of the first one, so a read started for it serves the next."""
        for mailbox in mailboxes[:PACED_SLICE]:
            mailbox.notify(channel, since)
        if len(mailboxes) > PACED_SLICE:
            loop.call_soon(self._wake_slices, loop, mailboxes[PACED_SLICE:], channel, since)

    def wake(self, channels: Iterable[str]) -> None:
        """Wake every mailbox watching one of `channels`: nobody knows what was missed."""
        for channel in channels:
            for mailbox in self._mailboxes.get(channel, ()):
                mailbox.notify()
