"""The chapters as the game serves them, at /tutorial/<n>: the same files a
viewer copies, inside the course's frame, under the game's protections."""

from __future__ import annotations

import json
import re

import httpx
import pytest

import tutorial
from redis.asyncio import Redis

from tests.conftest import FAST_GAME, free_port
from tests.support import DATASTAR, KEYS, Player, sse_events, start_redis, start_server
from tests.tutorial.conftest import folder

CHAPTERS = range(1, 8)


def post_routes() -> list[str]:
    """Every POST route of every chapter, as mounted (the chapters' own URL maps)."""
    routes = []
    for chapter in tutorial.chapters():
        for rule in chapter.app.url_map.iter_rules():
            if "POST" in rule.methods:
                routes.append(f"/tutorial/{chapter.number}{rule.rule}")
    return routes


async def test_each_chapter_is_served_at_its_number_inside_the_course_frame(server, players):
    p = Player(server.url)
    players.append(p)
    for n in CHAPTERS:
        page = await p.open(f"/tutorial/{n}")
        nonce = re.search(r"'nonce-([\w-]+)'", page.headers["content-security-policy"]).group(1)  # type: ignore[union-attr]
        assert f'<html lang="en" data-nonce="{nonce}">' in page.text  # Datastar runs under the strict CSP
        assert f'<script type="module" src="/tutorial/{n}/datastar.js">' in page.text
        assert re.search(rf"<h1>{n}\. ", page.text) and 'id="wire-log"' in page.text and 'id="source-view"' in page.text
        assert ('id="prev"' in page.text) == (n > 1) and ('id="next"' in page.text) == (n < 7)
        js = await p.client.get(f"/tutorial/{n}/datastar.js")
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    async with httpx.AsyncClient(base_url=server.url) as client:
        start = await client.get("/tutorial")
        assert start.status_code == 302 and start.headers["location"].endswith("/tutorial/1")
        assert (await client.get("/tutorial/8")).status_code == 404
        assert (await client.get("/tutorial/05")).status_code == 404
        css = await client.get("/tutorial/pygments.css")
        assert css.headers["content-type"].startswith("text/css") and ".highlight" in css.text


async def test_a_mounted_chapter_is_its_folders_code_not_a_copy(server, players):
    p = Player(server.url)
    players.append(p)
    await p.open("/tutorial/1")
    [(_, fragment)] = sse_events((await p.client.get("/tutorial/1/hello", headers=DATASTAR)).text)
    template = (folder(1) / "templates" / "hello.html").read_text()
    assert fragment.split(" at <time>")[0] in template  # the chapter's own fragment file
    assert [c.folder for c in tutorial.chapters()] == [folder(n) for n in CHAPTERS]


@pytest.mark.parametrize("path", post_routes())
async def test_every_tutorial_post_must_come_from_the_page_and_this_site(server, players, path):
    p = Player(server.url)
    players.append(p)
    await p.open(path.rsplit("/", 1)[0])  # the chapter's page: a session
    # Refused before its body is read, a request's connection is not reused by Hypercorn: close it.
    once = {"Connection": "close"}
    bare = await p.client.post(path, json={}, headers=once)  # no Datastar-Request header
    assert bare.status_code == 400 and "Datastar-Request" in bare.text
    foreign = await p.post(path, {}, headers={**once, "Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403 and foreign.text == "Cross-site requests are refused."
    other_origin = await p.post(path, {}, headers={**once, "Origin": "https://evil.example"})
    assert other_origin.status_code == 403


@pytest.mark.parametrize("mounted", [True, False], ids=["mounted", "standalone"])
async def test_deeply_nested_json_is_a_clear_400_not_a_crash(mounted, server, chapter, players):
    deep = "[" * 5000 + "]" * 5000  # Python's JSON reader gives up long before this depth
    two, three = (Player(f"{server.url}/tutorial/{n}" if mounted else chapter(n).url) for n in (2, 3))
    players.extend((two, three))
    for p in (two, three):
        await p.open("")
    as_query = await two.client.get("/echo", params={"datastar": deep}, headers=DATASTAR)
    as_body = await three.client.post("/check", content=deep, headers={**DATASTAR, "Content-Type": "application/json"})
    # Mounted, the game's gate refuses it before the chapter reads it (game/web/gate.py).
    expected = "The JSON is nested too deeply (more than 32 levels)." if mounted else "The signals must be JSON."
    for answer in (as_query, as_body):
        assert (answer.status_code, answer.text) == (400, expected)


async def test_a_mounted_chapter_keeps_its_keys_under_the_games_prefix(server, players, redis):
    p = Player(server.url)
    players.append(p)
    await p.open("/tutorial/5")
    await p.start_stream("/tutorial/5/stream")
    await p.wait_for(lambda t: "In the room" in t)
    assert (await p.post("/tutorial/5/join", {"name": "Ann"})).status_code == 204
    await p.wait_for(lambda t: "You are Ann" in t)
    ours = [k for k in await redis.keys(KEYS.prefix + "tut:*")]
    assert sorted(ours) == sorted(KEYS.tutorial("5") + f"room:{name}" for name in ("names", "open"))
    for key in ours:
        assert 0 < await redis.ttl(key) <= 3600


async def test_mounted_chapters_ride_on_the_games_one_pubsub_connection(tmp_path, players):
    """Chapters 5 and 7 listen to Redis pub/sub; mounted, the game's relay carries their
    channels: still one subscriber connection per process, whatever tabs are open."""
    port = free_port()
    redis_proc = start_redis(port, tmp_path)  # its own: only this app's connections on it
    try:
        url = f"redis://127.0.0.1:{port}/0"
        with start_server({**FAST_GAME, "REDIS_URL": url}, free_port()) as app:
            ann, bob = Player(app.url), Player(app.url)
            players.extend((ann, bob))
            await ann.open("/tutorial/5")
            await ann.start_stream("/tutorial/5/stream")
            await bob.open("/tutorial/7")
            await bob.start_stream("/tutorial/7/moves")
            await ann.wait_for(lambda t: "Redis counts 1 subscriber connection on the room's channel" in t)
            await bob.wait_for(lambda t: "Redis counts 1 process listening for moves." in t)
            assert (await bob.post("/tutorial/7/move")).status_code == 204
            await bob.wait_for(lambda t: "Move 1:" in t)
            async with Redis.from_url(url, decode_responses=True) as redis:
                subscribers = [c for c in await redis.client_list() if int(c["sub"]) + int(c["psub"]) + int(c["ssub"]) > 0]
            assert len(subscribers) == 1
    finally:
        redis_proc.kill()
        redis_proc.wait(10)


@pytest.fixture(scope="module")
def strict_server(redis_url):
    """The game with small limits (the suite's own server lifts them)."""
    env = {**FAST_GAME, "REDIS_URL": redis_url, "IDENTITY_LIMIT": "3/60", "RATE_LIMIT": "3/60"}
    with start_server(env, free_port()) as srv:
        yield srv


async def test_tutorial_posts_and_new_visitors_are_limited_as_the_games_are(strict_server, redis, players):
    ann = Player(strict_server.url)
    players.append(ann)
    await ann.open("/tutorial/3")
    answers = [await ann.post("/tutorial/3/check", {"name": "Ann"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].text.startswith("Too many actions: slow down a little.") and answers[-1].headers["Retry-After"]
    assert (await ann.client.get("/")).status_code == 200  # the game knows her: the same identity
    pages = []
    for _ in range(3):  # new browsers, each minting an identity on a chapter's page
        stranger = Player(strict_server.url)
        players.append(stranger)
        pages.append(await stranger.client.get("/tutorial/1"))
    assert [page.status_code for page in pages] == [200, 200, 429]
    assert "Too many new players from your network" in pages[-1].text
    assert (await ann.client.get("/tutorial/2")).status_code == 200  # someone known is not new


async def test_a_chapter_refusal_is_a_plain_sentence_mounted_too(server, players):
    p = Player(server.url)
    players.append(p)
    await p.open("/tutorial/2")
    refused = await p.client.get("/tutorial/2/echo", params={"datastar": json.dumps({"who": 7})}, headers=DATASTAR)
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/plain")
    assert refused.text == "'who' must be text of at most 40 characters."
