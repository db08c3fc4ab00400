"""Who sees what in a room, from one snapshot and without a network."""

from game.config import load_settings
from game.snapshots import PlayerState, RoomSnapshot
from game.views import room_view
from game.web.screens import Sent, updates
from tests.support import marked_you, sse_events, view_text

PLAYERS = ["a" * 22, "b" * 22, "e" * 22]
SPECTATORS = ["c" * 22, "d" * 22]
BASE = "http://127.0.0.1:8000/"
SETTINGS = load_settings(redis_url=None, secret_key="k")
OWN = PlayerState({"name": "Someone"}, queued=False)


def snapshot(phase: str = "lobby", host: str | None = PLAYERS[0], spectator_count: int = 2) -> RoomSnapshot:
    names = dict(zip(PLAYERS + SPECTATORS, ["Ann", "Bob", "Eve", "Cat", "Dan"]))
    room = {"code": "ABCDE", "phase": phase, "max": "8", "public": "1", "rounds": "5"}
    return RoomSnapshot(
        room=room if host is None else {**room, "host": host}, players=PLAYERS,
        seats={pid: seat for seat, pid in enumerate(PLAYERS, start=1)}, spectators=SPECTATORS,
        spectator_count=spectator_count,
        scores={}, presses={}, stats={}, names=names, presence={pid: "online" for pid in PLAYERS},
        presence_changes_in_ms=None, taken_ms=0,
    )


def event(snap: RoomSnapshot, pid: str, settings=SETTINGS) -> str:
    [sent] = updates(room_view(snap, OWN, pid, settings, frozenset({pid})), BASE, Sent())
    return sent


def test_spectators_share_one_event_without_the_hosts_controls():
    for snap in (snapshot(), snapshot(host=None)):
        cat, dan = (event(snap, pid) for pid in SPECTATORS)
        assert cat == dan
        assert "Join as a player" in cat and "Kick" not in cat and 'id="start"' not in cat
        assert marked_you(cat) == [] and " you " not in view_text(cat)


def test_each_player_sees_themselves_and_only_the_host_can_kick():
    snap = snapshot()
    ann, bob, eve = (sse_events(event(snap, pid))[0][1] for pid in PLAYERS)
    assert (marked_you(ann), marked_you(bob), marked_you(eve)) == (["Ann"], ["Bob"], ["Eve"])
    assert "Ann you host" in view_text(ann) and "Bob you" in view_text(bob) and "Bob you" not in view_text(ann)
    assert "Kick" in ann and 'id="start"' in ann
    assert "Kick" not in bob and 'id="start"' not in bob


def test_players_share_one_render_of_the_room_and_each_has_their_own_controller():
    """A change to the room is one render for all players, and one event
    object for everyone watching. Each player's event carries their own part
    too, changed or not: the next change to it is then compressed against it
    (game/web/compression.py). A round's start brings each their buzzer."""
    sent = {pid: Sent() for pid in PLAYERS + SPECTATORS}

    def events(snap: RoomSnapshot) -> list[str]:
        return [e for pid in PLAYERS + SPECTATORS
                for e in updates(room_view(snap, OWN, pid, SETTINGS, frozenset()), BASE, sent[pid])]

    def room(event: str) -> str:
        return event.split('id="room-shared"')[1]

    events(snapshot())
    for round_starts in (False, True):
        snap = snapshot("ready" if round_starts else "lobby", spectator_count=3)  # someone else came to watch
        ann, bob, eve, cat, dan = events(snap)
        assert "Watching (3)" in view_text(sse_events(cat)[0][1])
        assert cat is dan and 'id="room-you"' not in cat and "<reflex-buzzer" not in cat
        for own in (ann, bob, eve):  # their own part and the room, in one event
            assert own.count('id="room-you"') == 1 and own.count('id="room-shared"') == 1
            assert own.count("<reflex-buzzer") == round_starts
        assert room(bob) == room(eve) and bob != eve and room(ann) != room(bob)  # the host's role has its own


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
    few = load_settings(redis_url=None, secret_key="k", max_rounds=3, room_min_players=4)
    host_sees = event(snapshot(), PLAYERS[0], few)
    assert host_sees.count("<option") == 3
    assert "disabled" in host_sees.split('id="start"')[1].split(">")[0]  # three players, four needed


def test_before_the_results_only_a_players_own_row_shows_their_time():
    snap = snapshot("go")
    snap.presses[f"p:{PLAYERS[1]}"] = "213"
    bob, eve, cat = (view_text(sse_events(event(snap, pid))[0][1]) for pid in (PLAYERS[1], PLAYERS[2], SPECTATORS[0]))
    assert "Bob you 0 213 ms" in bob
    assert "Bob 0 pressed" in eve and "213" not in eve
    assert "Bob 0 pressed" in cat and "213" not in cat
