"""Real parts for every test: a redis-server and Hypercorn serving the app.

The suite starts its own redis-server on a free port (never the machine's
shared one) and the app under Hypercorn as a separate process, exactly as it
runs in production. Game timings are shortened through the environment so a
match takes seconds; the rules themselves are the same.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bench.redis_cluster import LocalCluster, redis_cluster as start_redis_cluster
from tests.support import KEYS, Player, Server, start_redis, start_server

ROOT = Path(__file__).resolve().parent.parent

FAST_GAME = {
    "READY_MIN_MS": "400",
    "READY_MAX_MS": "700",
    "ROUND_TIMEOUT_MS": "3000",  # room for a browser test's steps between GO and a press under load
    "RESULTS_PAUSE_MS": "600",
    "RECONNECT_GRACE_MS": "1500",
    "HEARTBEAT_S": "15",
    "SECRET_KEY": "test-secret-key",
    "KEY_PREFIX": KEYS.prefix,
    # Tests fire commands fast and mint players from one address; tests/test_abuse.py checks the limits.
    "RATE_LIMIT": "1000/1",
    "ADDRESS_RATE_LIMIT": "100000/1",
    "IDENTITY_LIMIT": "100000/1",
    "ROOM_LIMIT": "100000/1",
    "ROOM_ADDRESS_LIMIT": "100000/1",
    "PROBE_LIMIT": "100000/1",
    # Tests press the moment GO arrives and claim a human time: the server's
    # cap on a claim (what it saw elapse) is lifted; tests/test_scripts.py checks it.
    "REACTION_TOLERANCE_MS": "60000",
    # Every script's call checks its key was declared (game/scripts.py): an undeclared one fails a test.
    "CHECK_SCRIPT_KEYS": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The game's rule, race, match, lobby and multi-process tests run against a single Redis and a
# three-primary Redis Cluster (`pytestmark = BOTH_BACKENDS` in their module); the rest against a
# single Redis. The embedded default is tested by tests/test_app.py.
BOTH_BACKENDS = pytest.mark.backends("redis", "cluster")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backends")
    if marker and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", marker.args, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """Which Redis the game runs on: "redis" (one server) or "cluster"."""
    return str(getattr(request, "param", "redis"))


@pytest.fixture(scope="session")
def single_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_redis(port, tmp_path_factory.mktemp("redis"), "--appendonly", "no")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def own_redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of one test's own, where only what the test starts runs (the suite's app
    servers use the shared one): for counting commands or connections."""
    port = free_port()
    proc = start_redis(port, tmp_path)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def redis_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The game's REDIS_URL: the single server, or a node of the cluster."""
    if backend == "cluster":
        return str(request.getfixturevalue("redis_cluster").urls[0])
    return str(request.getfixturevalue("single_redis_url"))


@pytest.fixture(scope="session")
def backend_env(backend: str) -> dict[str, str]:
    """What the game's environment says besides REDIS_URL."""
    return {"REDIS_CLUSTER": "1"} if backend == "cluster" else {}


@pytest.fixture(scope="session")
def server(redis_url: str, backend_env: dict[str, str]) -> Iterator[Server]:
    with start_server({**FAST_GAME, **backend_env, "REDIS_URL": redis_url}, free_port()) as srv:
        yield srv


@pytest.fixture
async def redis(backend: str, redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Redis]:
    """A client of the game's Redis, emptied: every test starts from an empty game."""
    if backend == "cluster":
        cluster = await emptied(request.getfixturevalue("redis_cluster"))
        yield cluster  # type: ignore[misc]
        await cluster.aclose()
        return
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[LocalCluster]:
    """A real Redis Cluster (three primaries, one replica each), started the
    first time a test asks for it and shared by the rest of the session."""
    with start_redis_cluster() as cluster:
        yield cluster


class WholeCluster(RedisCluster):
    """A cluster client whose KEYS asks every primary, as a single Redis would answer it
    (redis-py's asks one node)."""

    async def keys(self, pattern: str = "*", **kwargs):  # type: ignore[no-untyped-def, override]
        kwargs.setdefault("target_nodes", RedisCluster.PRIMARIES)
        return await super().keys(pattern, **kwargs)


async def emptied(cluster: LocalCluster) -> RedisCluster:
    """A cluster client on an emptied cluster: every primary flushed (replicas follow)."""
    for url in cluster.primaries():
        primary = Redis.from_url(url)
        await primary.flushall()
        await primary.aclose()
    return await WholeCluster.from_url(cluster.urls[0], decode_responses=True).initialize()


@pytest.fixture
async def cluster_redis(redis_cluster: LocalCluster) -> AsyncIterator[RedisCluster]:
    client = await emptied(redis_cluster)
    yield client
    await client.aclose()


@pytest.fixture
async def players(server: Server, redis: Redis) -> AsyncIterator[list[Player]]:
    """Players made during a test; their streams are closed at its end."""
    made: list[Player] = []
    yield made
    for p in made:
        await p.close()
