"""Several processes share one game through Redis; the embedded default runs alone."""

import asyncio
import os
import signal

import httpx
import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from tests.conftest import BOTH_BACKENDS, FAST_GAME, free_port
from tests.support import new_players, room_code_of, start_server



@pytest.fixture(scope="module")
def other_server(redis_url, backend_env):
    with start_server({**FAST_GAME, **backend_env, "REDIS_URL": redis_url}, free_port()) as srv:
        yield srv


@BOTH_BACKENDS

async def test_players_on_different_processes_see_each_others_moves(server, other_server, players, redis):
    (ann,) = await new_players(server, players, "Ann")
    (bob,) = await new_players(other_server, players, "Bob")
    await ann.post("/rooms", {"public": True})
    await ann.wait_for(lambda t: "Room" in t)
    code = room_code_of(ann)
    await bob.wait_for(lambda t: code in t)  # the lobby on process 2 lists it
    await bob.post(f"/rooms/{code}/join", {"role": "player"})
    await ann.wait_for(lambda t: "Bob" in t)
    await ann.post(f"/rooms/{code}/settings", {"rounds": 1})
    await ann.post(f"/rooms/{code}/start")
    await bob.wait_for(lambda t: bob.attr("buzzer", "phase") == "go")
    round_id = bob.attr("buzzer", "round-id")
    await bob.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 190, "early": False})
    await ann.wait_for(lambda t: "Bob wins" in t)


@BOTH_BACKENDS
async def test_one_pubsub_connection_per_process_however_many_streams(server, other_server, players, redis):
    await new_players(server, players, *[f"A{i}" for i in range(5)])
    await new_players(other_server, players, *[f"B{i}" for i in range(5)])
    # On a cluster: one per process on each shard it listens to (its own channel on every shard).
    nodes = redis.get_primaries() if isinstance(redis, RedisCluster) else [None]
    for node in nodes:
        clients = await (redis.client_list(target_nodes=node) if node else redis.client_list())
        subscribers = [c for c in clients if sum(int(c.get(kind, 0)) for kind in ("sub", "psub", "ssub")) > 0]
        assert len(subscribers) == 2  # one per app process, not one per stream


@BOTH_BACKENDS
async def test_a_crashed_process_does_not_stall_a_room(server, redis_url, backend_env, players, redis):
    with start_server({**FAST_GAME, **backend_env, "REDIS_URL": redis_url}, free_port()) as doomed:
        (ann,) = await new_players(server, players, "Ann")
        (bob,) = await new_players(doomed, players, "Bob")
        await bob.post("/rooms", {"public": True})
        await bob.wait_for(lambda t: "Room" in t)
        code = room_code_of(bob)
        await ann.post(f"/rooms/{code}/join", {"role": "player"})
        await bob.wait_for(lambda t: "Ann" in t)
        await bob.post(f"/rooms/{code}/settings", {"rounds": 1})
        # Bob's process starts the match, so it holds the timer for GO ... and dies.
        assert (await bob.post(f"/rooms/{code}/start")).status_code == 204
        for pid in [int(p) for p in os.popen(f"pgrep -P {doomed.proc.pid}").read().split()] + [doomed.proc.pid]:
            os.kill(pid, signal.SIGKILL)
        # Ann's process, which only serves her stream, moves the room on.
        await ann.wait_for(lambda t: ann.attr("buzzer", "phase") == "go")
        await ann.wait_for(lambda t: "Round 1 of 1:" in t)
        await ann.wait_for(lambda t: "Final scores" in t and "False starts 1." in t)


async def redis_calls(redis) -> int:
    stats = await redis.info("commandstats")
    return sum(stat["calls"] for name, stat in stats.items() if name != "cmdstat_info")


async def test_idle_streams_get_heartbeats_and_cost_redis_nothing(own_redis_url, players):
    redis = Redis.from_url(own_redis_url, decode_responses=True)
    with start_server({**FAST_GAME, "REDIS_URL": own_redis_url, "HEARTBEAT_S": "0.3"}, free_port()) as srv:
        idle = await new_players(srv, players, *[f"Idle{i}" for i in range(20)])
        await idle[-1].wait_for(lambda t: "20 online" in t)
        # A second tab of one of them (no change to anyone's view), read raw for its heartbeats.
        async with httpx.AsyncClient(base_url=srv.url, cookies=idle[0].client.cookies) as client:
            async with client.stream("GET", "/stream") as response:
                lines = response.aiter_lines()
                async def heartbeats(n: int) -> None:
                    async for line in lines:
                        n -= line == ": heartbeat"
                        if not n:
                            return
                # Past the lobby's presence window (1 s), so its catch-up is done too.
                await asyncio.wait_for(heartbeats(5), 5)
                before = await redis_calls(redis)
                await asyncio.wait_for(heartbeats(4), 5)
                calls = await redis_calls(redis) - before
        # 21 open streams, 4 heartbeats: a refresh per stream would be 84 scripts
        # of several commands each. The process's lease renewal is all there is.
        assert calls < 40, calls
    await redis.aclose()


async def test_the_embedded_redis_runs_the_game_without_any_service(players):
    env = {k: v for k, v in FAST_GAME.items()}
    saved = os.environ.pop("REDIS_URL", None)
    try:
        with start_server(env, free_port()) as srv:
            assert any("embedded in-process Redis" in line for line in srv.log)
            ann, bob = await new_players(srv, players, "Ann", "Bob")
            await ann.post("/queue/join")
            await bob.post("/queue/join")
            await ann.wait_for(lambda t: "Room" in t and "Bob" in t)
    finally:
        if saved is not None:
            os.environ["REDIS_URL"] = saved


async def test_streams_are_gzipped_with_a_window_across_events(server, players):
    code_owner, other = await new_players(server, players, "Ann", "Bob")
    await code_owner.post("/rooms", {"public": True})
    await code_owner.wait_for(lambda t: "Room" in t)
    code = room_code_of(code_owner)
    async with httpx.AsyncClient(base_url=server.url, cookies=other.client.cookies) as client:
        async with client.stream("GET", "/stream", headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            decoded = 0
            changes = iter(range(2, 12))
            await other.post(f"/rooms/{code}/join", {"role": "player"})
            async for chunk in response.aiter_text():
                decoded += len(chunk.encode())
                if "Kick" in chunk or "rounds" in chunk:
                    rounds = next(changes, None)
                    if rounds is None:
                        break
                    await code_owner.post(f"/rooms/{code}/settings", {"rounds": rounds})
            # Each view is mostly the one before: far fewer bytes go over the wire.
            assert response.num_bytes_downloaded * 5 < decoded
