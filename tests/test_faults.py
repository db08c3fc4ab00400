"""Faults survived: Redis restarting mid-round (and the connections that died
with it), a process dying, a reader that stalls, a storm of reconnects, the
Redis connections a crowd left behind, a graceful shutdown."""

import asyncio
import signal
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import FAST_GAME, free_port
from tests.support import KEYS, Player, marked_you, new_players, room_code_of, start_redis, start_server

T = TypeVar("T")


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


async def settles(look: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float) -> T:
    """Look again until what `look` finds is `done`, for states that nothing
    announces (the kernel's sockets, Redis's clients); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not done(found := await look()):
        assert time.monotonic() < deadline, f"not settled after {timeout}s: {found!r}"
        await asyncio.sleep(0.05)
    return found


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
        await ann.post(f"/rooms/{code}/buzz", {"round_id": ann.attr("buzzer", "round-id"), "ms": 150, "early": True})
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
        text = await bob.wait_for(lambda t: "Final scores" in t and "False starts 1." in t, timeout=20)
        assert "Ann" in text and "Bob" in text
        client = Redis.from_url(url, decode_responses=True)
        assert await client.zcard(KEYS.key("players", code)) == 2
        await client.aclose()


async def send_commands(host: Player, crowd: list[Player], code: str, count: int, batch: int) -> list[int]:
    """`count` commands as players send them, `batch` at a time: the host changing
    the room's rounds, players checking names as they type; their statuses."""

    async def one(i: int) -> int:
        if i % 3 == 0:
            response = await host.post(f"/rooms/{code}/settings", {"rounds": i % 20 + 1})
        else:
            response = await crowd[i % len(crowd)].post("/name/check", {"name": f"Typed{i}"})
        return response.status_code

    statuses: list[int] = []
    for start in range(0, count, batch):
        statuses += await asyncio.gather(*(one(i) for i in range(start, min(start + batch, count))))
    return statuses


async def test_once_a_restarted_redis_answers_every_command_succeeds(own_redis, players):
    url, procs, restart = own_redis
    with start_server({**FAST_GAME, "REDIS_URL": url}, free_port()) as srv:
        crowd = await retrying_players(srv.url, players, *[f"P{i}" for i in range(8)])
        host = crowd[0]
        await host.post("/rooms", {"public": True})
        await host.wait_for(lambda t: "Room" in t)
        code = room_code_of(host)
        for p in crowd[1:]:
            assert (await p.post(f"/rooms/{code}/join", {"role": "player"})).status_code == 204
        # A busy moment: the pool holds many connections, and each dies with Redis.
        assert set(await send_commands(host, crowd, code, 300, 60)) <= {200, 204}

        procs[-1].kill()  # hard
        procs[-1].wait(10)
        restart()
        async with httpx.AsyncClient(base_url=srv.url) as probe:
            await settles(lambda: probe.get("/readyz"), lambda r: r.status_code == 200, 20)

        statuses = await send_commands(host, crowd, code, 300, 30)
        assert set(statuses) <= {200, 204}, Counter(statuses)  # not one 503 (nor any other refusal)


async def test_the_relay_resubscribes_and_streams_catch_up_after_losing_pubsub(server, players, redis):
    ann, bob = await retrying_players(server.url, players, "Ann", "Bob")
    await ann.post("/rooms", {"public": True})
    await ann.wait_for(lambda t: "Room" in t)
    code = room_code_of(ann)
    await bob.post(f"/rooms/{code}/join", {"role": "player"})
    await ann.wait_for(lambda t: "Bob" in t)
    # Cut the app's pub/sub connection: messages published meanwhile are lost.
    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await redis.hset(KEYS.room(code), "rounds", 7)  # a change nobody announces
    await ann.wait_for(lambda t: "7 rounds" in t or 'value="7" selected' in ann.html, timeout=5)
    await bob.wait_for(lambda t: "7 rounds." in t, timeout=5)


def server_sockets_to(server_port: int, client_port: int) -> list[str]:
    """The server's TCP sockets to one client port, as the kernel's tables list
    them: "state tx_queue:rx_queue" (state in hex: 01 established, 04 FIN-WAIT-1)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)  # the header
            for line in lines:
                _, local, remote, state, queues, *_ = line.split()
                ports = int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)
                if ports == (server_port, client_port):
                    found.append(f"{state} {queues}")
    return found


async def test_a_stalled_reader_is_dropped_and_nobody_else_waits(redis_url, redis, players):
    env = {**FAST_GAME, "REDIS_URL": redis_url, "SEND_TIMEOUT_S": "1"}
    with start_server(env, free_port()) as srv:
        ann, stalled = await new_players(srv, players, "Ann", "Stalled")
        await ann.post("/rooms", {"public": True})
        await ann.wait_for(lambda t: "Room" in t)
        code = room_code_of(ann)
        await stalled.post(f"/rooms/{code}/join", {"role": "player"})
        await ann.wait_for(lambda t: "Stalled" in t and "reconnecting" not in t)
        # A second tab that reads its stream's first event and then never a byte more.
        host, port = srv.url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        client_port = sock.getsockname()[1]
        assert server_sockets_to(int(port), client_port)  # the kernel's table shows the server's end
        cookie = "; ".join(f"{k}={v}" for k, v in stalled.client.cookies.items())
        sock.sendall(f"GET /stream HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode())
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        async def first_event() -> None:
            received = b""
            while b"live" not in received:  # the connection signal: this stream is registered
                received += await loop.sock_recv(sock, 1024)
        await asyncio.wait_for(first_event(), 5)
        # The first tab closes: the stalled one keeps the player online.
        await stalled.stop_stream()

        dropped = asyncio.create_task(ann.wait_for(lambda t: "Stalled reconnecting" in t, timeout=60))
        rounds = 1
        for _ in range(5000):  # each change renders a view for the stalled stream too
            if dropped.done():
                break
            rounds = rounds % 20 + 1
            assert (await ann.post(f"/rooms/{code}/settings", {"rounds": rounds})).status_code == 204
        await dropped
        # Reset, not closed: the kernel keeps no socket of the server's to that
        # client, where a plain close would sit in FIN-WAIT-1 with the unsent views.
        async def server_end() -> list[str]:
            return server_sockets_to(int(port), client_port)
        await settles(server_end, lambda found: not found, 5)
        # The server reset the connection: reading finds the end of it.
        async def until_closed() -> None:
            try:
                while await loop.sock_recv(sock, 65536):
                    pass
            except ConnectionResetError:
                pass
        await asyncio.wait_for(until_closed(), 10)
        # Ann's own stream kept up all along: it shows her very last change.
        await ann.wait_for(lambda t: f'value="{rounds}" selected' in ann.html, timeout=2)
        assert any("stream abandoned" in line for line in srv.log)
        sock.close()


async def test_a_reconnect_storm_brings_every_view_back(server, players, redis):
    crowd = await new_players(server, players, *[f"S{i:03d}" for i in range(160)])
    hosts, guests = crowd[::8], [p for i, p in enumerate(crowd) if i % 8]
    await asyncio.gather(*(h.post("/rooms", {"public": False}) for h in hosts))
    await asyncio.gather(*(h.wait_for(lambda t: "Room" in t) for h in hosts))
    codes = [room_code_of(h) for h in hosts]
    joins = await asyncio.gather(*(g.post(f"/rooms/{codes[i // 7]}/join", {"role": "player"}) for i, g in enumerate(guests)))
    assert all(j.status_code == 204 for j in joins)
    expected = {id(p): codes[i // 8] for i, p in enumerate(crowd)}

    await asyncio.gather(*(p.stop_stream() for p in crowd))  # every stream drops at once
    for p in crowd:
        p.html = ""
    await asyncio.gather(*(p.start_stream() for p in crowd))  # ... and comes back at once
    await asyncio.gather(*(
        p.wait_for(lambda t, p=p: expected[id(p)] in t and "you" in t, timeout=30) for p in crowd
    ))
    for i, p in enumerate(crowd):
        assert marked_you(p.html) == [f"S{i:03d}"]
    errors = [line for line in server.log if "Traceback" in line or " ERROR " in line]
    assert not errors, "".join(server.log[-60:])  # the whole traceback, to see what failed


async def test_the_redis_pool_shrinks_back_once_a_crowd_has_left(own_redis, players):
    url, _, _ = own_redis  # a redis-server of its own: every client but ours is the app's
    keep = 4
    env = {**FAST_GAME, "REDIS_URL": url, "REDIS_IDLE_S": "1", "REDIS_POOL_MIN": str(keep)}
    async with Redis.from_url(url, decode_responses=True, single_connection_client=True) as redis:
        ours = str(await redis.client_id())

        async def app_connections() -> int:
            return sum(client["id"] != ours for client in await redis.client_list())

        with start_server(env, free_port()) as srv:
            before = (await redis.info("stats"))["total_connections_received"]
            crowd = await new_players(srv, players, *[f"C{i:03d}" for i in range(200)])  # at once
            opened = (await redis.info("stats"))["total_connections_received"] - before
            assert opened > 4 * keep  # the crowd made the pool grow
            await asyncio.gather(*(p.stop_stream() for p in crowd))  # ... and leaves at once
            # Idle connections are closed down to the floor; the relay's pub/sub one stays.
            await settles(app_connections, lambda n: n <= keep + 1, 20)


async def test_sigterm_ends_the_process_within_the_graceful_timeout(redis_url, players, redis):
    env = {**FAST_GAME, "REDIS_URL": redis_url}
    with start_server(env, free_port()) as survivor, start_server(env, free_port()) as doomed:
        (ann,) = await new_players(doomed, players, "Ann")
        await ann.post("/rooms", {"public": True})
        await ann.wait_for(lambda t: "Room" in t)
        code = room_code_of(ann)
        began = time.monotonic()
        doomed.proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(doomed.proc.wait, 10)
        assert time.monotonic() - began < 2 + 3  # --graceful-timeout 2, and a little slack
        assert ann.stream_ended  # her stream was ended, not left hanging
        # She reconnects elsewhere and finds her seat.
        elsewhere = Player(survivor.url, httpx.AsyncClient(base_url=survivor.url, cookies=ann.client.cookies))
        players.append(elsewhere)
        await elsewhere.start_stream()
        await elsewhere.wait_for(lambda t: code in t and "Ann you host" in t)
