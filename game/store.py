"""The Redis connection, and the store the game changes through.

Every change is a move (game/moves.py): scripts that each run atomically in
one slot of Redis (game/scripts.py), so each race has exactly one winner.
The same scripts serve a single Redis, a Redis Cluster (REDIS_CLUSTER=1) and
the embedded one. Scripts publish their slot's channels themselves (sharded
pub/sub); the lobby's catch-up is published here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from game.config import Settings
from game.keys import Keys
from game.moves import Moves
from game.scripts import GameError, Scripts

log = logging.getLogger(__name__)

# What each connection tells Redis about its client (CLIENT SETINFO), made
# once: left to itself, redis-py reads its version from the installed
# package's metadata for every new connection (a third of a millisecond
# each, and a burst of tabs opens many).
DRIVER = DriverInfo()

__all__ = ["GameError", "Store", "connect", "release_idle", "RETRY"]


# A command whose connection turned out dead (Redis restarted since it was
# last used) is sent again on a fresh one, up to 3 times, 0 to 0.4 s apart.
# Connection errors only, never timeouts: a script that timed out may have run,
# and only its answer was lost; it must not run twice. (redis-py's async
# connections retry nothing unless told.)
RETRY = Retry(ExponentialWithJitterBackoff(cap=0.4, base=0.05), 3, supported_errors=(RedisConnectionError,))


class IdlePool(BlockingConnectionPool):
    """A blocking pool that closes the connections a burst left idle.

    redis-py never closes a pooled connection by itself: after 2,000 streams
    had opened and closed, each process kept 1,000 connections to Redis (whose
    own limit is 10,000 clients, all processes together). The pool is a stack
    (the connection released last is used next), so the ones at the bottom
    have been idle longest: `close_idle` closes those idle past `idle_s`,
    keeping `keep`, and `release_idle` calls it a few times per `idle_s`.
    redis-py offers no such setting (8.1), so this reads its free list;
    tests/test_faults.py (the pool shrinking back) fails if that changes.
    """

    def __init__(self, *, idle_s: float, keep: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.idle_s = idle_s
        self.keep = keep
        self._idle_since: dict[AbstractConnection, float] = {}

    async def release(self, connection: AbstractConnection) -> None:
        self._idle_since[connection] = time.monotonic()
        await super().release(connection)

    async def close_idle(self) -> None:
        """Close the connections idle past `idle_s`, but not the `keep` used last."""
        free = self._available_connections  # redis-py's stack: the longest idle first
        cutoff = time.monotonic() - self.idle_s
        stale = 0
        while stale < len(free) - self.keep and self._idle_since.get(free[stale], 0.0) < cutoff:
            stale += 1
        closing, free[:stale] = free[:stale], []  # out of the pool before any await
        for connection in closing:
            self._idle_since.pop(connection, None)
            with contextlib.suppress(RedisError, OSError):  # closing: a broken one is closed too
                await connection.disconnect()


async def release_idle(redis: Redis) -> None:
    """Close the pool's idle connections, a few times per idle period, until cancelled."""
    pool = redis.connection_pool
    if not isinstance(pool, IdlePool):
        return  # the embedded Redis holds no connections
    while True:
        await asyncio.sleep(pool.idle_s / 3)
        await pool.close_idle()


def connect(settings: Settings) -> Redis:
    """A Redis client: the configured server, a Redis Cluster, or an embedded in-process one."""
    if settings.redis_url and settings.redis_cluster:
        # Any node names the cluster; the client learns the rest, follows MOVED and ASK
        # (resharding), and after a connection error or a failover refreshes its map
        # and retries (redis-py's cluster retries, with the same backoff as RETRY).
        cluster = RedisCluster.from_url(
            settings.redis_url,
            decode_responses=True,
            retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), 6),
            max_connections=settings.redis_pool,
            socket_timeout=5,
            socket_connect_timeout=2,
            driver_info=DRIVER,
        )
        return cluster  # type: ignore[return-value]
    if settings.redis_url:
        # A blocking pool: a burst of requests past `redis_pool` connections
        # waits its turn instead of failing. It is large because a burst of
        # thousands of tabs opening their streams at once each holds one
        # for a moment. Timeouts, so a lost Redis gives a quick 503 rather
        # than a hung request.
        pool = IdlePool.from_url(
            settings.redis_url,
            idle_s=settings.redis_idle_s,
            keep=settings.redis_pool_min,
            max_connections=settings.redis_pool,
            timeout=5,
            decode_responses=True,
            retry=RETRY,
            health_check_interval=30,  # a connection unused this long is first checked with a PING
            socket_timeout=5,
            socket_connect_timeout=2,
            driver_info=DRIVER,
        )
        return Redis(connection_pool=pool)
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using an embedded in-process Redis. "
        "State lives in this one process; set REDIS_URL to share it between processes."
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)


async def prepare(redis: Redis) -> None:
    """A cluster client learns the cluster's slot map (and where each command's keys are) before use."""
    if isinstance(redis, RedisCluster):
        await redis.initialize()


class Store:
    """The Redis client, the key names, the scripts, and the moves made of them
    (settings themselves live on `game.services.Services`)."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.keys = Keys(settings.key_prefix)
        self.scripts = Scripts(redis, self.keys, settings)
        self.moves = Moves(redis, self.scripts, self._lobby_later)
        self._lobby_wake_s = settings.lobby_wake_ms / 1000
        self._lobby_catch_up: asyncio.TimerHandle | None = None
        self._publishing: set[asyncio.Task[Any]] = set()

    async def run(self, move: str, **args: Any) -> dict[str, Any]:
        """Make one move by name (game/moves.py); a refusal is a GameError."""
        result: dict[str, Any] = await getattr(self.moves, move)(**args)
        return result

    async def publish(self, channel: str, data: str) -> None:
        """Publish on a shard channel (its shard's node, on a cluster)."""
        await self.redis.spublish(channel, data)

    def _lobby_later(self) -> None:
        """The lobby was woken a moment ago (at most once a window, see lobby_changed in
        lobby.lua): wake it once more when the window ends, so it ends up showing this change too."""
        if self._lobby_catch_up is None:
            self._lobby_catch_up = asyncio.get_running_loop().call_later(self._lobby_wake_s, self._wake_lobby)

    def _wake_lobby(self) -> None:
        self._lobby_catch_up = None
        task = asyncio.ensure_future(self.publish(self.keys.lobby_channel(), "catch-up"))
        self._publishing.add(task)
        task.add_done_callback(self._published)
    def _published(self, task: asyncio.Task[Any]) -> None:
        self._publishing.discard(task)
        if not task.cancelled() and task.exception():
            log.warning("waking the lobby failed: %s", task.exception())

    def stop(self) -> None:
        """Drop what is scheduled (the process is stopping)."""
        if self._lobby_catch_up:
            self._lobby_catch_up.cancel()
        for task in self._publishing:
            task.cancel()
