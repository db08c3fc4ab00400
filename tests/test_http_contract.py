"""The HTTP contract: who may send what, and bad input changes nothing.

Every command refuses a request it cannot trust with a clear 4xx message and
leaves the game exactly as it was.
"""

import fnmatch
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import FAST_GAME, free_port
from tests.support import DATASTAR, KEYS, Player, seated_room, start_server

JSON = {"Content-Type": "application/json"}

COMMANDS = [
    "/name/check", "/name", "/queue/join", "/queue/leave", "/rooms", "/rooms/join",
    "/rooms/{code}/join", "/rooms/{code}/leave", "/rooms/{code}/kick", "/rooms/{code}/settings",
    "/rooms/{code}/start", "/rooms/{code}/buzz",
]
BAD_BODIES = [
    (b"not json", 400),
    (b"[1, 2]", 400),
    (b'"text"', 400),
    (b"{" + b'"x": "' + b"y" * 3000 + b'"}', 413),
]
TUTORIAL_POSTS = [
    "/tutorial/3/check", "/tutorial/3/submit", "/tutorial/4/ring", "/tutorial/5/join", "/tutorial/5/tap",
    "/tutorial/5/leave", "/tutorial/6/start", "/tutorial/6/buzz",
]
# Under 2 KB, 990 levels: Python's JSON parser recurses once per level, past its limit.
TOO_DEEP = [b"[" * 990, b"[" * 990 + b"]" * 990, ("[" * 990).encode("utf-16"), b'{"a":' * 300 + b"[" * 690]
WRONG_TYPES = {
    "/rooms": {"public": "yes"},
    "/rooms/join": {"code": 12345},
    "/rooms/{code}/join": {"role": "host"},
    "/rooms/{code}/kick": {"seat": "2"},
    "/rooms/{code}/settings": {"rounds": "3"},
    "/rooms/{code}/buzz": {"round_id": "1", "ms": "fast", "early": False},
}


async def snapshot(redis) -> dict:
    """Every game key and value, leaving out presence (streams and process
    leases move it, and the lobby's presence flag expires within a second) and
    the rate-limit counters (every request counts, refused or not)."""
    state = {}
    for key in sorted(await redis.keys("*")):
        if key in (KEYS.key("presence"), KEYS.key("procs"), KEYS.key("lobby_tick"), KEYS.key("streams")) or (
                KEYS.parse("proc_streams", key) or fnmatch.fnmatchcase(key, KEYS.limit("*", "*"))):
            continue
        kind = await redis.type(key)
        state[key] = {
            "hash": redis.hgetall, "zset": lambda k: redis.zrange(k, 0, -1, withscores=True),
            "set": redis.smembers, "string": redis.get,
        }[kind](key)
        state[key] = await state[key]
    return state


@pytest.fixture
async def room(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    return code, ann, bob


async def test_commands_refuse_requests_not_sent_by_the_page(server, room, redis):
    code, ann, _ = room
    before = await snapshot(redis)
    for path in COMMANDS:
        url = path.format(code=code)
        no_header = await ann.client.post(url, json={})
        assert no_header.status_code == 400 and "Datastar-Request" in no_header.text
        cross_site = await ann.post(url, {}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403 and "Cross-site" in cross_site.text
        other_origin = await ann.post(url, {}, headers={"Origin": "https://evil.example"})
        assert other_origin.status_code == 403
        assert (await ann.client.get(url)).status_code == 405  # state never changes on GET
    assert await snapshot(redis) == before


async def test_an_origin_must_match_in_scheme_host_and_port(server, room, redis):
    code, ann, _ = room
    port = urlsplit(server.url).port
    before = await snapshot(redis)
    for origin in (f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}", f"http://localhost:{port}",
                   "http://127.0.0.1", "null", "http://[", f"http://127.0.0.1:{port}x"):
        refused = await ann.post(f"/rooms/{code}/settings", {"rounds": 9}, headers={"Origin": origin})
        assert refused.status_code == 403 and "Cross-origin" in refused.text, (origin, refused.text)
    assert await snapshot(redis) == before
    assert (await ann.post("/name/check", {"name": "Zed"}, headers={"Origin": server.url})).status_code == 200
    # A default port is the same port, written or not.
    for origin, status in [("http://game.example", 200), ("http://game.example:80", 200),
                           ("https://game.example", 403), ("https://game.example:80", 403)]:
        answer = await ann.post("/name/check", {"name": "Zed"},
                                headers={"Host": "game.example", "Origin": origin})
        assert answer.status_code == status, (origin, answer.text)


@pytest.fixture(scope="module")
def proxied_server(redis_url):
    """The app as compose runs it, believing the proxy's X-Forwarded-* headers."""
    with start_server({**FAST_GAME, "REDIS_URL": redis_url, "TRUST_PROXY": "1"}, free_port()) as srv:
        yield srv


async def test_behind_the_proxy_the_origin_must_match_the_forwarded_scheme_and_host(proxied_server, room):
    _, ann, _ = room  # the same secret: her cookie is good on this process too
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "game.example"}
    async with httpx.AsyncClient(base_url=proxied_server.url, cookies=ann.client.cookies) as client:
        for origin, status in [("https://game.example", 200), ("https://game.example:443", 200),
                               ("http://game.example", 403), ("https://evil.example", 403)]:
            answer = await client.post("/name/check", json={"name": "Zed"},
                                       headers={**DATASTAR, **forwarded, "Origin": origin})
            assert answer.status_code == status, (origin, answer.text)


async def test_commands_need_a_session(server, room, redis):
    code, *_ = room
    before = await snapshot(redis)
    async with httpx.AsyncClient(base_url=server.url) as stranger:
        for path in COMMANDS:
            response = await stranger.post(path.format(code=code), json={}, headers=DATASTAR)
            assert response.status_code == 401 and "reload the page" in response.text
        assert (await stranger.get("/stream")).status_code == 401
    assert await snapshot(redis) == before


async def test_malformed_bodies_get_a_clear_4xx_and_change_nothing(server, room, redis):
    code, ann, _ = room
    before = await snapshot(redis)
    for path in COMMANDS:
        url = path.format(code=code)
        for body, status in BAD_BODIES:
            response = await ann.client.post(url, content=body, headers=DATASTAR)
            assert response.status_code == status, (url, body[:20], response.text)
            assert response.text and response.headers["content-type"].startswith("text/plain")
    for path, body in WRONG_TYPES.items():
        response = await ann.post(path.format(code=code), body)
        assert response.status_code == 400 and "must be" in response.text, (path, response.text)
    assert await snapshot(redis) == before


async def test_json_nested_too_deep_is_refused_before_any_handler(server, room, redis):
    code, ann, _ = room
    before = await snapshot(redis)
    for path in COMMANDS + TUTORIAL_POSTS:
        for body in TOO_DEEP:
            response = await ann.post(path.format(code=code), content=body, headers=JSON)
            assert response.status_code == 400 and "nested too deeply" in response.text, (path, response.text)
    # A GET's signals travel in the `datastar` query parameter.
    echo = await ann.client.get("/tutorial/2/echo", params={"datastar": "[" * 990}, headers=DATASTAR)
    assert echo.status_code == 400 and "nested too deeply" in echo.text, echo.text
    assert await snapshot(redis) == before


async def test_unknown_rooms_and_made_up_ids_are_refused(server, room, redis):
    code, ann, bob = room
    before = await snapshot(redis)
    for path, body in [
        ("/rooms/NOPE1/join", {"role": "player"}), ("/rooms/ab/join", {"role": "player"}),
        ("/rooms/NOPE1/leave", None), ("/rooms/NOPE1/start", None),
        ("/rooms/NOPE1/buzz", {"round_id": "1", "ms": 200, "early": False}),
    ]:
        response = await ann.post(path, body)
        assert response.status_code in (403, 404, 409), (path, response.status_code)
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": 99})).status_code == 404
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": 10**30})).status_code == 404
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": "x" * 22})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": "1", "ms": 200, "early": False})).status_code == 409
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": "1", "ms": -5, "early": False})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": "1", "ms": True, "early": False})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": "1" * 50, "ms": 200, "early": False})).status_code == 409
    assert await snapshot(redis) == before


async def test_the_session_cookie_is_signed_httponly_and_lax(server, players):
    p = Player(server.url)
    players.append(p)
    response = await p.open()
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    await p.post("/name", {"name": "Real"})
    value = p.client.cookies["reflex_session"]
    tampered = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    forged = Player(server.url, httpx.AsyncClient(base_url=server.url, cookies={"reflex_session": tampered}))
    players.append(forged)
    assert (await forged.post("/queue/join")).status_code == 401  # no seat, no identity
    page = await forged.open()
    assert "Pick a name" in page.text  # a fresh, anonymous player
    assert "reflex_session=" in page.headers["set-cookie"] and value not in page.headers["set-cookie"]


async def test_pages_refresh_the_session_cookie_and_commands_leave_it_alone(server, players):
    p = Player(server.url)
    players.append(p)
    await p.open()
    accepted = await p.post("/name", {"name": "Kept"})
    assert accepted.status_code == 204 and "set-cookie" not in accepted.headers
    assert accepted.headers["server-timing"].startswith('accepted;desc="')  # when the server accepted it
    again = await p.open()
    assert "Kept" in again.text and "Expires=" in again.headers["set-cookie"]  # 30 more days from this visit
