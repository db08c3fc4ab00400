"""Anything at all thrown at every endpoint: never a 5xx, always a clear 4xx
(or a normal answer), no traceback in the server's log, and the game's
invariants hold afterwards."""

import asyncio
import base64
import json
import os
import string
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support import DATASTAR, KEYS, seated_room

JSON = {"Content-Type": "application/json"}  # what Datastar's @post sends, unless the fuzz says otherwise

PATHS = [
    "/name/check", "/name", "/queue/join", "/queue/leave", "/rooms", "/rooms/join",
    "/rooms/{code}/join", "/rooms/{code}/leave", "/rooms/{code}/kick", "/rooms/{code}/settings",
    "/rooms/{code}/start", "/rooms/{code}/buzz",
    "/tutorial/3/check", "/tutorial/3/submit", "/tutorial/4/ring", "/tutorial/5/join", "/tutorial/5/tap",
    "/tutorial/5/leave", "/tutorial/6/start", "/tutorial/6/buzz",
]
# GETs that answer and end (the streams stay open), some reading the `datastar` parameter.
PAGES = ["/", "/r/{code}", "/tutorial/1/hello", "/tutorial/2/echo", "/tutorial/4/once"]
ROUTES = {"POST": PATHS + ["/"], "GET": PAGES + ["/rooms"]}  # one wrong method each way
FIELDS = ["name", "code", "role", "public", "player", "rounds", "round_id", "ms", "early", "who"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def nested(depth: int, opener: str, closed: bool) -> str:
    """`depth` arrays or objects inside each other, closed or left open (the parser recurses either way)."""
    closer = "]" if opener == "[" else "}"
    inner = "1" if opener != "[" else ""
    return opener * depth + (inner + closer * depth if closed else "")


def deep(*openers: str) -> st.SearchStrategy[str]:
    depths = st.integers(1, 64) | st.integers(1000, 1200)  # a little, or past Python's recursion limit
    return st.builds(nested, depths, st.sampled_from(openers), st.booleans())


bodies = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    deep("[", '{"a":').map(str.encode),
)
signals = st.one_of(  # the `datastar` query parameter of a GET
    st.none(), st.text(max_size=30), deep("["),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3).map(json.dumps),
)
codes = st.one_of(st.just("REAL"), st.text(string.ascii_letters + string.digits + "-_.%", min_size=0, max_size=12))
headers = st.fixed_dictionaries({}, optional={
    "Datastar-Request": st.sampled_from(["true", "false", "", "TRUE"]),
    "Sec-Fetch-Site": st.sampled_from(["same-origin", "cross-site", "none", "same-site", "weird"]),
    "Origin": st.sampled_from(
        ["http://evil.example", "null", "", "http://[", "https://127.0.0.1", "http://127.0.0.1:x"]),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "multipart/form-data", "x/y"]),
})
routes = st.sampled_from(["POST", "POST", "GET"]).flatmap(
    lambda method: st.tuples(st.just(method), st.sampled_from(ROUTES[method])))
requests = st.tuples(st.integers(0, 2), routes, codes, bodies, headers, st.text(max_size=20), signals)
# A WebSocket upgrade to any path, from one of the players or from nobody.
upgrades = st.tuples(st.none() | st.integers(0, 2), st.sampled_from(PATHS + PAGES + ["/stream"]), codes)


async def check_invariants(redis) -> None:
    seen: dict[str, str] = {}
    for key in await redis.keys(KEYS.pattern("room")):
        code = KEYS.parse("room", key)
        if code is None:
            continue  # another key of the room
        room = await redis.hgetall(key)
        players = await redis.zrange(KEYS.key("players", code), 0, -1)
        spectators = await redis.zrange(KEYS.key("spectators", code), 0, -1)
        assert len(players) <= int(room["max"]) <= 8
        for pid in players + spectators:
            assert pid not in seen, f"{pid} is in rooms {seen[pid]} and {code}"
            seen[pid] = code
            assert await redis.hget(KEYS.player(pid), "room") == code
        scores = await redis.hgetall(KEYS.key("scores", code))
        played = int(room.get("round", 0))
        assert all(0 <= int(points) <= 3 * played for points in scores.values())
    for pid in await redis.zrange(KEYS.key("queue"), 0, -1):
        assert pid not in seen, f"{pid} is queued and in room {seen.get(pid)}"


async def upgrade(base_url: str, path: str, cookie: str | None) -> int:
    """The status a raw WebSocket upgrade request gets (httpx speaks no WebSocket)."""
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    lines = [
        f"GET {path} HTTP/1.1", f"Host: {url.netloc}", "Upgrade: websocket", "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}", "Sec-WebSocket-Version: 13",
    ] + ([f"Cookie: reflex_session={cookie}"] if cookie else [])
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


def tracebacks(log: list[str]) -> str:
    """The log, if it shows a traceback (so that a failure prints it), else nothing."""
    return "".join(log) if any("Traceback" in line for line in log) else ""


@pytest.fixture
async def table(server, players, redis):
    """Ann hosts Bob in a room that Cat watches: the fuzzing acts as all three."""
    code, seated = await seated_room(server, players, "Ann", "Bob", "Cat")
    await seated[2].post(f"/rooms/{code}/join", {"role": "spectator"})
    return code, seated


# Fixtures are made once for all examples: the game state carries over from
# one random request to the next, as it would in a real attack.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=requests)
# Past Python's recursion limit, always tried: a command, a tutorial POST, a GET's signals.
@example(req=(0, ("POST", "/rooms/{code}/buzz"), "REAL", b"[" * 990, {}, "", None))
@example(req=(1, ("POST", "/tutorial/3/check"), "REAL", b'{"a":' * 990, {}, "", None))
@example(req=(2, ("GET", "/tutorial/2/echo"), "REAL", b"", {}, "", "[" * 990))
async def test_random_requests_never_break_the_game(server, table, redis, req):
    code, seated = table
    log_from = len(server.log)
    who, (method, path), fake, body, extra, query, datastar = req
    url = path.format(code=code if fake == "REAL" else fake)
    client = seated[who].client
    if method == "GET":
        params = {"invite": query, "x": query} | ({} if datastar is None else {"datastar": datastar})
        response = await client.get(url, params=params, headers={**DATASTAR, **extra})
    else:
        response = await client.post(url, content=body, headers={**DATASTAR, **JSON, **extra})
    assert response.status_code < 500, (method, url, body[:60], extra, response.text)
    if response.status_code >= 400:
        assert response.text.strip() and response.headers["content-type"].startswith("text/plain")
    await check_invariants(redis)
    # The server logs an error before it answers: by now, any is in the log.
    assert not tracebacks(server.log[log_from:])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=upgrades)
async def test_websocket_upgrades_are_refused_cleanly_anywhere(server, table, redis, req):
    code, seated = table
    log_from = len(server.log)
    who, path, fake = req
    cookie = None if who is None else seated[who].client.cookies["reflex_session"]
    status = await upgrade(server.url, path.format(code=code if fake == "REAL" else fake), cookie)
    assert 400 <= status < 500, (path, who, status)  # refused: the app serves no WebSocket
    await check_invariants(redis)
    assert not tracebacks(server.log[log_from:])
