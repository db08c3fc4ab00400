"""Abuse is bounded: rate limits, tab caps, size caps, and a cookie that
stays secure."""

import httpx
import pytest

from app import create_app
from game.config import load_settings
from game.names import name_keys
from game.store import GameError, Store
from tests.conftest import FAST_GAME, free_port
from tests.support import KEYS, Player, new_players, start_server

ADDR = "a-network"  # the address tag a command would pass (game/web/limits.py)


@pytest.fixture(scope="module")
def strict_server(redis_url):
    env = {**FAST_GAME, "REDIS_URL": redis_url, "RATE_LIMIT": "5/30"}
    with start_server(env, free_port()) as srv:
        yield srv


async def test_commands_are_rate_limited_per_player_across_processes(strict_server, server, redis, players):
    # The same player through two processes shares one budget (kept in Redis).
    first = Player(strict_server.url)
    players.append(first)
    await first.open()
    second = Player(strict_server.url, httpx.AsyncClient(base_url=strict_server.url, cookies=first.client.cookies))
    players.append(second)
    answers = [await p.post("/name/check", {"name": "Ann"}) for p in (first, second, first, second, first)]
    assert all(a.status_code == 200 for a in answers)
    refused = await second.post("/name/check", {"name": "Ann"})
    assert refused.status_code == 429 and "slow down" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    other = Player(strict_server.url)  # somebody else is not affected
    players.append(other)
    await other.open()
    assert (await other.post("/name/check", {"name": "Bob"})).status_code == 200


async def test_opening_too_many_tabs_closes_the_oldest(server, players, redis):
    (ann,) = await new_players(server, players, "Ann")
    tabs = [Player(server.url, ann.client) for _ in range(6)]  # with her first tab: 7 > 6
    for tab in tabs:
        await tab.start_stream()
        await tab.wait_for(lambda t: "Hi, Ann" in t)
    await ann.wait_for(lambda t: "Open in another tab" in t)
    assert all("Hi, Ann" in t.text for t in tabs)
    pid = await redis.hget(KEYS.key("names"), name_keys("Ann")[0])
    assert len((await redis.hget(KEYS.key("streams"), pid)).split()) == 2 * 6  # "<stream id> <opened ms>" each
    # Datastar's retry of the closed tab carries the event id: told to stop, with 204.
    retry = await ann.client.get("/stream", headers={"Last-Event-ID": "evicted"})
    assert retry.status_code == 204
    for tab in tabs:
        await tab.stop_stream()


async def test_a_room_caps_its_spectators_and_the_queue_its_length(redis_url, redis):
    settings = load_settings(redis_url=redis_url, secret_key="k", max_spectators=1, max_queue=1)
    store = Store(redis, settings)
    for pid in ("a" * 22, "b" * 22, "c" * 22):
        await store.run("set_name", pid=pid, name=pid[0], keys=[pid[0]], addr=ADDR)
        await store.run("connect", pid=pid, stream="x", proc="p", addr=ADDR, lease_ms=45_000)
    await store.run("room_create", pid="a" * 22, code="ROOMS", public=True)
    await store.run("room_join", pid="b" * 22, code="ROOMS", role="spectator", addr=ADDR)
    with pytest.raises(GameError) as full:
        await store.run("room_join", pid="c" * 22, code="ROOMS", role="spectator", addr=ADDR)
    assert full.value.status == 409 and "spectators" in full.value.message
    await store.run("queue_join", pid="c" * 22, code="QQQQQ", addr=ADDR)
    await store.run("room_leave", pid="b" * 22, code="ROOMS")
    with pytest.raises(GameError) as long_queue:
        await store.run("queue_join", pid="b" * 22, code="QQQQQ", addr=ADDR)
    assert long_queue.value.status == 503


async def test_the_cookie_is_secure_when_served_over_https(redis_url):
    # A key long enough for any address: Quart's test client names no server,
    # and a short key is served on loopback only (tests/test_app.py).
    app = create_app(load_settings(redis_url=redis_url, secret_key="k" * 32))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        plain = await client.get("/", scheme="http")
        secure = await client.get("/", scheme="https")
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Secure" in secure.headers["Set-Cookie"] and "HttpOnly" in secure.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in secure.headers
