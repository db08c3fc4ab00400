"""The lobby: names, quick play, creating and joining rooms."""

import asyncio

from tests.support import KEYS, Player, new_players, room_code_of, seated_room
from tests.conftest import BOTH_BACKENDS

pytestmark = BOTH_BACKENDS  # a single Redis and a Redis Cluster (tests/conftest.py)


async def test_names_are_checked_as_you_type_and_on_submit(server, players):
    p = Player(server.url)
    players.append(p)
    await p.open()
    for raw, problem in [("", "Type a name"), ("x" * 21, "At most 20"), ("a\x07b", "control"),
                         ("\u200bzero", "invisible"), ("   ", "Type a name")]:
        check = await p.post("/name/check", {"name": raw})
        assert check.status_code == 200 and problem in check.text
        submit = await p.post("/name", {"name": raw})
        assert submit.status_code == 200 and "nameError" in submit.text
    assert "nameError" in (await p.post("/name/check", {"name": "  Zoë  "})).text
    assert '"nameError":""' in (await p.post("/name/check", {"name": "  Zoë  "})).text
    assert (await p.post("/name", {"name": "  Zoë   K  "})).status_code == 204
    await p.start_stream()
    await p.wait_for(lambda t: "Hi, Zoë K" in t)


async def test_a_name_is_unique_among_online_players_whatever_the_case(server, players):
    ann, watcher = await new_players(server, players, "Ann", "Watcher")
    await watcher.wait_for(lambda t: "2 online" in t)  # both joined at once: the count may lag Ann's arrival
    other = Player(server.url)
    players.append(other)
    await other.open()
    response = await other.post("/name", {"name": "ANN"})
    assert "taken" in response.text
    # Once Ann's tab is gone for longer than the grace period, the name is free.
    await ann.close()
    await watcher.wait_for(lambda t: "1 online" in t)
    assert (await other.post("/name", {"name": "ann"})).status_code == 204


async def test_a_look_alike_of_an_online_players_name_is_taken_and_a_blank_name_is_refused(server, players):
    ann, watcher = await new_players(server, players, "Ann", "Watcher")
    await watcher.wait_for(lambda t: "2 online" in t)
    other = Player(server.url)
    players.append(other)
    await other.open()
    for fake in ("\u0410nn", "Ａｎｎ", "\u0391NN"):  # a Cyrillic А; fullwidth letters; a Greek Α
        for path in ("/name/check", "/name"):
            response = await other.post(path, {"name": fake})
            assert response.status_code == 200 and "taken by someone online" in response.text, (fake, path)
    for blank in ("\u3164", "Ann\u3164", "\u2800"):  # a Hangul filler, alone and as padding; a Braille blank
        response = await other.post("/name", {"name": blank})
        assert response.status_code == 200 and "invisible characters" in response.text, blank
    await other.start_stream()
    await other.wait_for(lambda t: "Pick a name" in t)  # refused, the newcomer still has no name
    # Ann may take her own look-alike, shown as she typed it: ΑΝΝ in Greek capitals,
    # which is also the name ανν in small letters.
    assert (await ann.post("/name", {"name": "\u0391\u039d\u039d"})).status_code == 204
    await ann.wait_for(lambda t: "Hi, \u0391\u039d\u039d" in t)
    assert "taken" in (await other.post("/name", {"name": "\u03b1\u03bd\u03bd"})).text
    # Renamed, she frees every key of the old name at once.
    assert (await ann.post("/name", {"name": "Zed"})).status_code == 204
    assert (await other.post("/name", {"name": "\u03b1\u03bd\u03bd"})).status_code == 204
    await other.wait_for(lambda t: "Hi, \u03b1\u03bd\u03bd" in t)


async def test_quick_play_matches_waiting_players_into_one_room(server, players):
    ann, bob = await new_players(server, players, "Ann", "Bob")
    assert (await ann.post("/queue/join")).status_code == 204
    await bob.wait_for(lambda t: "1 in the queue" in t)
    await ann.wait_for(lambda t: "Looking for players" in t)
    assert (await bob.post("/queue/join")).status_code == 204
    await ann.wait_for(lambda t: "Room" in t and "Bob" in t)
    await bob.wait_for(lambda t: "Room" in t and "Ann" in t)
    assert room_code_of(ann) == room_code_of(bob)
    assert "host" in ann.text.split("Bob")[0]  # the oldest in the queue hosts


async def test_leaving_the_queue(server, players, redis):
    (ann,) = await new_players(server, players, "Ann")
    await ann.post("/queue/join")
    await ann.wait_for(lambda t: "Looking for players" in t)
    assert (await ann.post("/queue/leave")).status_code == 204
    await ann.wait_for(lambda t: "Quick play" in t and "0 in the queue" in t)
    assert await redis.zcard(KEYS.key("queue")) == 0


async def test_a_crowd_pressing_quick_play_at_once_lands_each_player_in_exactly_one_room(server, players, redis):
    crowd = await new_players(server, players, *[f"P{i}" for i in range(11)])
    responses = await asyncio.gather(*(p.post("/queue/join") for p in crowd))
    assert all(r.status_code == 204 for r in responses), [(r.status_code, r.text) for r in responses]
    rooms: dict[str, int] = {}
    seated = 0
    for key in await redis.keys(KEYS.pattern("players")):
        members = await redis.zrange(key, 0, -1)
        rooms[key] = len(members)
        seated += len(members)
    queued = await redis.zrange(KEYS.key("queue"), 0, -1)
    assert seated + len(queued) == 11
    assert not set(queued) & {m for key in rooms for m in await redis.zrange(key, 0, -1)}
    assert all(2 <= n <= 8 for n in rooms.values())
    assert len(queued) <= 1  # as soon as two wait, they are matched


async def test_create_public_and_private_rooms_and_join_by_code_or_list(server, players):
    ann, bob, cat = await new_players(server, players, "Ann", "Bob", "Cat")
    await ann.post("/rooms", {"public": True})
    await ann.wait_for(lambda t: "Room" in t and "public" in t)
    public = room_code_of(ann)
    await bob.post("/rooms", {"public": False})
    await bob.wait_for(lambda t: "Room" in t and "private" in t)
    private = room_code_of(bob)
    await cat.wait_for(lambda t: public in t)
    assert private not in cat.text  # private rooms are not listed
    response = await cat.post("/rooms/join", {"code": private.lower()})
    assert response.status_code == 200 and '"codeError":""' in response.text
    await cat.wait_for(lambda t: private in t and "Bob" in t)
    await bob.wait_for(lambda t: "Cat" in t)


async def test_join_by_code_explains_what_went_wrong(server, players):
    (ann,) = await new_players(server, players, "Ann")
    assert "5 letters" in (await ann.post("/rooms/join", {"code": "AB"})).text
    assert "no room" in (await ann.post("/rooms/join", {"code": "ZZZZZ"})).text


async def test_a_private_full_room_can_be_watched_by_code(server, players):
    code, _ = await seated_room(server, players, *[f"S{i}" for i in range(8)], public=False)
    (late,) = await new_players(server, players, "Late")
    assert "full" in (await late.post("/rooms/join", {"code": code, "role": "player"})).text
    response = await late.post("/rooms/join", {"code": code, "role": "spectator"})
    assert '"codeError":""' in response.text
    await late.wait_for(lambda t: "Watching (1)" in t and code in t)


async def test_a_full_room_leaves_the_list_and_can_still_be_watched(server, players):
    code, seated = await seated_room(server, players, *[f"S{i}" for i in range(7)])
    (late,) = await new_players(server, players, "Late")
    await late.wait_for(lambda t: code in t and "7/8 players" in t)
    (eighth,) = await new_players(server, players, "S7")
    assert (await eighth.post(f"/rooms/{code}/join", {"role": "player"})).status_code == 204
    await late.wait_for(lambda t: code not in t)  # the list shows rooms with a seat to take
    response = await late.post(f"/rooms/{code}/join", {"role": "player"})
    assert response.status_code == 409 and "full" in response.text
    assert (await late.post(f"/rooms/{code}/join", {"role": "spectator"})).status_code == 204
    await late.wait_for(lambda t: "Watching (1)" in t)


async def test_the_last_seat_goes_to_exactly_one_of_two_racing_players(server, players, redis):
    code, _ = await seated_room(server, players, *[f"S{i}" for i in range(7)])
    a, b = await new_players(server, players, "RaceA", "RaceB")
    results = await asyncio.gather(
        a.post(f"/rooms/{code}/join", {"role": "player"}), b.post(f"/rooms/{code}/join", {"role": "player"})
    )
    assert sorted(r.status_code for r in results) == [204, 409]
    assert await redis.zcard(KEYS.key("players", code)) == 8


async def test_an_invite_link_shows_the_room(server, players):
    code, _ = await seated_room(server, players, "Ann", "Bob")
    guest = Player(server.url)
    players.append(guest)
    await guest.open(f"/r/{code}")
    await guest.post("/name", {"name": "Guest"})
    await guest.start_stream(f"/stream?invite={code}")
    await guest.wait_for(lambda t: f"invited to room {code}" in t)
    await guest.post(f"/rooms/{code}/join", {"role": "player"})
    await guest.wait_for(lambda t: "Room" in t and "Guest" in t and "Ann" in t)
