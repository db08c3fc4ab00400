"""Faults survived: Redis restarting mid-round, a process dying, a reader
that stalls, a storm of reconnects, a graceful shutdown."""

import asyncio
import signal
import time

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import FAST_GAME, free_port
from tests.support import Player, room_code_of, start_redis, start_server


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server with append-only persistence that a test may kill and restart."""
    port = free_port()
    args = ("--appendonly", "yes", "--appendfsync", "always")
    procs = [start_redis(port, tmp_path, *args)]

    def restart() -> None:
        procs.append(start_redis(port, tmp_path, *args))

    yield f"redis://127.0.0.1:{port}/0", procs, restart
    for proc in procs:
        proc.kill()
        proc.wait(10)


async def retrying_players(url: str, registry: list[Player], *names: str) -> list[Player]:
    made = [Player(url) for _ in names]
    registry.extend(made)
    for p, name in zip(made, names):
        await p.open()
        assert (await p.post("/name", {"name": name})).status_code == 204
        await p.start_stream(retry=True)
    return made


async def test_a_redis_restart_mid_round_loses_no_seat_or_score(own_redis, players):
    url, procs, restart = own_redis
    with start_server({**FAST_GAME, "REDIS_URL": url, "RESULTS_PAUSE_MS": "1500"}, free_port()) as srv:
        ann, bob = await retrying_players(srv.url, players, "Ann", "Bob")
        await ann.post("/rooms", {"public": True})
        await ann.wait_for(lambda t: "Room" in t)
        code = room_code_of(ann)
        await bob.post(f"/rooms/{code}/join", {"role": "player"})
        await ann.post(f"/rooms/{code}/settings", {"rounds": 3})
        await ann.post(f"/rooms/{code}/start")
        await ann.wait_for(lambda t: ann.attr("buzzer", "phase") == "go")
        await ann.post(f"/rooms/{code}/buzz", {"round": ann.attr("buzzer", "round"), "ms": 150, "early": True})
        await ann.wait_for(lambda t: "Round 2 of 3 · get ready" in t)

        procs[-1].kill()  # hard, in the middle of round 2
        procs[-1].wait(10)
        began = time.monotonic()
        refused = await ann.post(f"/rooms/{code}/settings", {"rounds": 4})
        assert refused.status_code == 503 and "try again" in refused.text
        assert time.monotonic() - began < 8  # a clear answer, not a hang

        restart()
        restarted = time.monotonic()
        for p in (ann, bob):
            # The stream is back and shows the room as Redis has it.
            await p.wait_for(lambda t: code in t and "Ann" in t and "Bob" in t and "Round" in t, timeout=5)
        assert time.monotonic() - restarted < 5
        text = await bob.wait_for(lambda t: "Final scores 1." in t, timeout=20)
        assert "Ann" in text and "Bob" in text
        client = Redis.from_url(url, decode_responses=True)
        assert await client.zcard(f"rb:room:{code}:players") == 2
        await client.aclose()


async def test_the_relay_resubscribes_and_streams_catch_up_after_losing_pubsub(server, players, redis):
    ann, bob = await retrying_players(server.url, players, "Ann", "Bob")
    await ann.post("/rooms", {"public": True})
    await ann.wait_for(lambda t: "Room" in t)
    code = room_code_of(ann)
    await bob.post(f"/rooms/{code}/join", {"role": "player"})
    await ann.wait_for(lambda t: "Bob" in t)
    # Cut the app's pub/sub connection: messages published meanwhile are lost.
    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await redis.hset(f"rb:room:{code}", "rounds", 7)  # a change nobody announces
    await ann.wait_for(lambda t: "7 rounds" in t or 'value="7" selected' in ann.html, timeout=5)
    await bob.wait_for(lambda t: "7 rounds." in t, timeout=5)
