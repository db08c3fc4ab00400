"""Anything at all thrown at every endpoint: never a 5xx, always a clear 4xx
(or a normal answer), and the game's invariants hold afterwards."""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import DATASTAR, KEYS, seated_room

PATHS = [
    "/name/check", "/name", "/queue/join", "/queue/leave", "/rooms", "/rooms/join",
    "/rooms/{code}/join", "/rooms/{code}/leave", "/rooms/{code}/kick", "/rooms/{code}/settings",
    "/rooms/{code}/start", "/rooms/{code}/buzz",
]
FIELDS = ["name", "code", "role", "public", "player", "rounds", "round_id", "ms", "early"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)
codes = st.one_of(st.just("REAL"), st.text(string.ascii_letters + string.digits + "-_.%", min_size=0, max_size=12))
headers = st.fixed_dictionaries({}, optional={
    "Datastar-Request": st.sampled_from(["true", "false", "", "TRUE"]),
    "Sec-Fetch-Site": st.sampled_from(["same-origin", "cross-site", "none", "same-site", "weird"]),
    "Origin": st.sampled_from(["http://evil.example", "null", ""]),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "multipart/form-data", "x/y"]),
})
requests = st.tuples(
    st.integers(0, 2), st.sampled_from(["POST", "POST", "POST", "GET"]), st.sampled_from(PATHS + ["/", "/r/{code}"]),
    codes, bodies, headers, st.text(max_size=20),
)


async def check_invariants(redis) -> None:
    seen: dict[str, str] = {}
    for key in await redis.keys(KEYS.pattern("room")):
        code = KEYS.parse("room", key)
        if code is None:
            continue  # another key of the room
        room = await redis.hgetall(key)
        players = await redis.zrange(KEYS.players(code), 0, -1)
        spectators = await redis.zrange(KEYS.spectators(code), 0, -1)
        assert len(players) <= int(room["max"]) <= 8
        for pid in players + spectators:
            assert pid not in seen, f"{pid} is in rooms {seen[pid]} and {code}"
            seen[pid] = code
            assert await redis.hget(KEYS.player(pid), "room") == code
        scores = await redis.hgetall(KEYS.scores(code))
        played = int(room.get("round", 0))
        assert all(0 <= int(points) <= 3 * played for points in scores.values())
    for pid in await redis.zrange(KEYS.queue(), 0, -1):
        assert pid not in seen, f"{pid} is queued and in room {seen.get(pid)}"


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
async def test_random_requests_never_break_the_game(table, redis, req):
    code, seated = table
    who, method, path, fake, body, extra, query = req
    url = path.format(code=code if fake == "REAL" else fake)
    client = seated[who].client
    if method == "GET":
        response = await client.get(url, params={"invite": query, "x": query})
    else:
        response = await client.post(url, content=body, headers={**DATASTAR, **extra})
    assert response.status_code < 500, (method, url, body[:60], extra, response.text)
    if response.status_code >= 400:
        assert response.text.strip() and response.headers["content-type"].startswith("text/plain")
    await check_invariants(redis)
