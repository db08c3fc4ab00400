"""A match over the wire: commands are POSTs, every change arrives on each
player's own stream, and each player sees their own view."""

import asyncio
import re

from tests.support import KEYS, Player, marked_you, new_players, seated_room
from tests.conftest import BOTH_BACKENDS

pytestmark = BOTH_BACKENDS  # a single Redis and a Redis Cluster (tests/conftest.py)


async def buzzer(p: Player, phase: str) -> str:
    """Wait until this player's buzzer shows `phase`; returns the round id."""
    await p.wait_for(lambda t: p.attr("buzzer", "phase") == phase)
    return p.attr("buzzer", "round-id") or ""


async def start(host: Player, code: str, rounds: int) -> None:
    assert (await host.post(f"/rooms/{code}/settings", {"rounds": rounds})).status_code == 204
    assert (await host.post(f"/rooms/{code}/start")).status_code == 204


async def test_two_players_play_a_match_to_the_final_scoreboard(server, players, redis):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await start(ann, code, 2)
    for round_no in (1, 2):
        for p in (ann, bob):
            await p.wait_for(lambda t: f"Round {round_no} of 2 · get ready" in t)
        # The secret delay never reaches the browser before GO.
        due_at = await redis.hget(KEYS.room(code), "due_at")
        assert all(due_at not in payload for _, payload in ann.events + bob.events)
        round_id = await buzzer(ann, "go")
        await buzzer(bob, "go")
        assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 180, "early": False})).status_code == 204
        assert (await bob.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 240, "early": False})).status_code == 204
        for p in (ann, bob):
            await p.wait_for(lambda t: f"Round {round_no} of 2: Ann wins" in t)
        assert "180 ms · #1 (+3)" in bob.text and "240 ms · #2 (+2)" in bob.text
    for p in (ann, bob):
        text = await p.wait_for(lambda t: "Final scores" in t and "False starts 1." in t)
        assert re.search(r"1\. Ann 6 pts 2\. Bob 4 pts", text)
    assert "Play again" in ann.text and "Play again" not in bob.text
    assert "Back to lobby" in bob.text
    assert (await bob.post(f"/rooms/{code}/leave")).status_code == 204
    await bob.wait_for(lambda t: "Hi, Bob" in t)
    # The final scores are the match's record: Bob stays on it, marked, and leaves the table.
    text = await ann.wait_for(lambda t: "2. Bob left 4 pts" in t)
    assert "Players Player Score Last round Ann you host" in text


async def test_each_player_sees_their_own_view(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    (cat,) = await new_players(server, players, "Cat")
    await cat.post(f"/rooms/{code}/join", {"role": "spectator"})
    await cat.wait_for(lambda t: "Watching (1)" in t)
    assert marked_you(ann.html) == ["Ann"] and marked_you(bob.html) == ["Bob"]
    assert "Start match" in ann.text and "Start match" not in bob.text
    assert "Kick" in ann.text and "Kick" not in bob.text
    await start(ann, code, 1)
    await buzzer(ann, "ready")
    await buzzer(bob, "ready")
    await cat.wait_for(lambda t: "get ready" in t)
    assert 'id="buzzer"' not in cat.html and "You are watching" in cat.text


async def test_a_press_before_go_is_a_false_start(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await start(ann, code, 1)
    round_id = await buzzer(ann, "ready")
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": None, "early": True})).status_code == 204
    await ann.wait_for(lambda t: "false start" in t)
    await bob.wait_for(lambda t: "pressed" in t)  # others see that Ann pressed, not the result
    await bob.wait_for(lambda t: "Bob wins" in t or "nobody wins" in t, timeout=10)
    await ann.wait_for(lambda t: "Final scores" in t and "False starts 1." in t)


async def test_a_round_ends_three_seconds_after_go_without_everyone(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await start(ann, code, 1)
    round_id = await buzzer(ann, "go")
    await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 150, "early": False})
    text = await bob.wait_for(lambda t: "Round 1 of 1:" in t)
    assert "no press" in text


async def test_presses_that_change_nothing(server, players, redis):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    (cat,) = await new_players(server, players, "Cat")
    await cat.post(f"/rooms/{code}/join", {"role": "spectator"})
    await start(ann, code, 2)
    round_id = await buzzer(ann, "go")
    assert (await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 200, "early": False})).status_code == 204
    async def presses() -> dict[str, str]:
        # Without the streams' delivery receipts ("sent:"), which may land at any moment.
        found = await redis.hgetall(KEYS.key("presses", code))
        return {k: v for k, v in found.items() if not k.startswith("sent:")}

    before = await presses()
    second = await ann.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 150, "early": False})
    stale = await bob.post(f"/rooms/{code}/buzz", {"round_id": "1", "ms": 150, "early": False})
    spectator = await cat.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": 150, "early": False})
    assert (second.status_code, stale.status_code, spectator.status_code) == (409, 409, 403)
    assert "already pressed" in second.text and "round is over" in stale.text
    assert await presses() == before


async def test_host_controls_are_checked_on_the_server(server, players, redis):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    assert (await bob.post(f"/rooms/{code}/start")).status_code == 403
    assert (await bob.post(f"/rooms/{code}/settings", {"rounds": 3})).status_code == 403
    assert (await ann.post(f"/rooms/{code}/settings", {"rounds": 0})).status_code == 400
    assert (await ann.post(f"/rooms/{code}/settings", {"rounds": 21})).status_code == 400
    assert await redis.hget(KEYS.room(code), "rounds") == "5"  # the default
    outcomes = await asyncio.gather(*(ann.post(f"/rooms/{code}/start") for _ in range(4)))
    assert sorted(o.status_code for o in outcomes) == [204, 409, 409, 409]
    assert (await ann.post(f"/rooms/{code}/settings", {"rounds": 3})).status_code == 409


def kick_seats(html: str) -> list[int]:
    """The seat numbers the host's kick buttons name, in table order."""
    return [int(n) for n in re.findall(r"kick', \{payload: \{seat: (\d+)\}\}", html)]


async def test_a_kicked_player_cannot_come_back(server, players):
    code, (ann, bob, cat) = await seated_room(server, players, "Ann", "Bob", "Cat")
    bob_seat, cat_seat = kick_seats(ann.html)
    assert (await bob.post(f"/rooms/{code}/kick", {"seat": cat_seat})).status_code == 403  # not the host
    assert (await ann.post(f"/rooms/{code}/kick", {"seat": bob_seat})).status_code == 204
    await bob.wait_for(lambda t: "Hi, Bob" in t)
    await cat.wait_for(lambda t: "Bob" not in t)
    rejoin = await bob.post(f"/rooms/{code}/join", {"role": "player"})
    assert rejoin.status_code == 403 and "removed you" in rejoin.text
    assert (await bob.post(f"/rooms/{code}/join", {"role": "spectator"})).status_code == 403


async def test_the_host_role_passes_to_the_longest_present_player(server, players):
    code, (ann, bob, cat) = await seated_room(server, players, "Ann", "Bob", "Cat")
    assert (await ann.post(f"/rooms/{code}/leave")).status_code == 204
    await bob.wait_for(lambda t: "Start match" in t)
    assert "Start match" not in cat.text
    await cat.wait_for(lambda t: "Ann" not in t)


async def test_a_reloaded_page_keeps_the_seat(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await start(ann, code, 3)
    await buzzer(bob, "ready")
    await bob.stop_stream()
    page = await bob.open("/")  # a reload: the same cookie, the same player
    assert code in page.text and 'id="buzzer"' in page.text
    second_tab = Player(server.url, client=bob.client)
    await second_tab.start_stream()
    await second_tab.wait_for(lambda t: code in t and "Bob you" in t)
    assert "reconnecting" not in (await ann.wait_for(lambda t: "Bob" in t))


async def test_a_player_who_leaves_shows_as_reconnecting_then_gone(server, players):
    code, (ann, bob) = await seated_room(server, players, "Ann", "Bob")
    await start(ann, code, 5)
    await bob.close()
    await ann.wait_for(lambda t: "Bob reconnecting" in t)
    await ann.wait_for(lambda t: "Bob gone" in t, timeout=5)
