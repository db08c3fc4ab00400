"""Who sees what in a room, from one snapshot and without a network."""

from game.config import load_settings
from game.snapshots import PlayerState, RoomSnapshot
from game.views import room_view
from game.web.screens import Sent, updates

PLAYERS = ["a" * 22, "b" * 22]
SPECTATORS = ["c" * 22, "d" * 22]
BASE = "http://127.0.0.1:8000/"
SETTINGS = load_settings(redis_url=None, secret_key="k")
OWN = PlayerState({"name": "Someone"}, queued=False)


def snapshot(phase: str = "lobby", host: str | None = PLAYERS[0]) -> RoomSnapshot:
    names = dict(zip(PLAYERS + SPECTATORS, ["Ann", "Bob", "Cat", "Dan"]))
    room = {"code": "ABCDE", "phase": phase, "max": "8", "public": "1", "rounds": "5"}
    return RoomSnapshot(
        room=room if host is None else {**room, "host": host}, players=PLAYERS,
        seats={pid: seat for seat, pid in enumerate(PLAYERS, start=1)}, spectators=SPECTATORS, spectator_count=2,
        scores={}, presses={}, stats={}, names=names, presence={pid: "online" for pid in PLAYERS},
        presence_changes_in_ms=None, taken_ms=0,
    )


def event(snap: RoomSnapshot, pid: str, settings=SETTINGS) -> str:
    [sent] = updates(room_view(snap, OWN, pid, settings, frozenset({pid})), BASE, Sent())
    return sent


def test_spectators_share_one_event_without_the_hosts_controls():
    for snap in (snapshot(), snapshot(host=None)):
        cat, dan = (event(snap, pid) for pid in SPECTATORS)
        assert cat is dan  # rendered once for everyone watching
        assert "Join as a player" in cat and "Kick" not in cat and 'id="start"' not in cat
        assert 'class="you"' not in cat


def test_each_player_sees_themselves_and_only_the_host_can_kick():
    snap = snapshot()
    ann, bob = (event(snap, pid) for pid in PLAYERS)
    assert 'class="you"' in ann and 'class="you"' in bob and ann != bob
    assert "Kick" in ann and 'id="start"' in ann
    assert "Kick" not in bob and 'id="start"' not in bob


def test_no_page_holds_a_player_id():
    snap = snapshot()
    for pid in PLAYERS + SPECTATORS:
        assert not any(other in event(snap, pid) for other in PLAYERS + SPECTATORS)


def test_an_unchanged_view_sends_nothing():
    sent = Sent()
    view = room_view(snapshot(), OWN, PLAYERS[0], SETTINGS, frozenset())
    assert len(updates(view, BASE, sent)) == 1
    assert updates(room_view(snapshot(), OWN, PLAYERS[0], SETTINGS, frozenset()), BASE, sent) == []


def test_the_rounds_and_players_offered_come_from_the_settings():
    few = load_settings(redis_url=None, secret_key="k", max_rounds=3, room_min_players=3)
    host_sees = event(snapshot(), PLAYERS[0], few)
    assert host_sees.count("<option") == 3
    assert "disabled" in host_sees.split('id="start"')[1].split(">")[0]  # two players, three needed
