"""Who sees what in a room, from one snapshot and without a network."""

from game.screens import view_event
from game.views import RoomSnapshot, _room_view

SEATS = ["a" * 22, "b" * 22]
WATCHERS = ["c" * 22, "d" * 22]
BASE = "http://127.0.0.1:8000/"


def snapshot(phase: str = "lobby") -> RoomSnapshot:
    names = dict(zip(SEATS + WATCHERS, ["Ann", "Bob", "Cat", "Dan"]))
    return RoomSnapshot(
        room={"code": "ABCDE", "phase": phase, "host": SEATS[0], "max": "8", "public": "1", "rounds": "5"},
        seat_ids=SEATS, watcher_ids=WATCHERS, watcher_count=2, scores={}, presses={}, names=names,
        presence={pid: (None, 1) for pid in SEATS}, taken_ms=0,
    )


def test_spectators_share_one_event_without_the_hosts_controls():
    hostless = snapshot()
    del hostless.room["host"]
    for snap in (snapshot(), hostless):
        cat, dan = (view_event(_room_view(snap, pid, frozenset({pid})), BASE) for pid in WATCHERS)
        assert cat is dan  # rendered once for everyone watching
        assert "Join as a player" in cat and "Kick" not in cat and 'id="start"' not in cat
        assert 'class="you"' not in cat


def test_each_player_sees_themselves_and_only_the_host_can_kick():
    snap = snapshot()
    ann, bob = (view_event(_room_view(snap, pid, frozenset()), BASE) for pid in SEATS)
    assert 'class="you"' in ann and 'class="you"' in bob and ann != bob
    assert "Kick" in ann and 'id="start"' in ann
    assert "Kick" not in bob and 'id="start"' not in bob
