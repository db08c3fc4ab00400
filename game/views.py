"""Each player's view: a snapshot of Redis in, a typed view out.

Views are pure functions of what was read (`game/snapshots.py`) and of the
settings: no I/O, no clock (every time in a snapshot is Redis's, and a view
only says how long from the read until something is due). A view names the
screen that shows it (`templates/screens/`), the context that screen gets,
the channels that can change it, and what the stream must do besides sending
it (a timer to fire, when to look again, GO reaching a player).

A screen is made of parts, each with an element id. What is the same for many
viewers (the lobby's board, a room as everyone without a seat sees it) is a
shared part: built once per snapshot, and rendered once too
(`game/web/screens.py`); a player's own part is small and sent alone when only
it changed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from game.config import Settings
from game.snapshots import LobbySnapshot, PlayerState, RoomCard, RoomSnapshot
from game.rules import IN_MATCH
from game.timers import Deadline

DEADLINE_FIELD = {"ready": "go_at", "go": "ends_at", "results": "next_at"}  # the room field each phase ends at
BUZZER_PHASE = {"ready": "ready", "go": "go", "results": "done"}  # the room's phase as the buzzer shows it


# Views are built for every viewer on every change: plain slotted classes (a
# frozen dataclass's __init__ costs a call per field) that nothing mutates.


@dataclass(slots=True)
class Member:
    pid: str  # never shown: the page names a player by seat number
    name: str
    seat: int = 0
    you: bool = False
    host: bool = False
    presence: str = "online"  # online, reconnecting, gone
    score: int = 0
    result: str = ""  # this round: "213 ms", "false start", "no press", "pressed"
    rank: int | None = None
    points: int = 0


@dataclass(slots=True, eq=False)
class NameContext:
    """The first screen: pick a name."""


@dataclass(slots=True, eq=False)
class LobbyYouContext:
    """The lobby as only this player sees it."""

    name: str
    queued: bool
    invite: str | None  # the code of the room link this page was opened with
    invited: RoomCard | None  # that room, if it exists


@dataclass(slots=True, eq=False)
class LobbyBoardContext:
    """The lobby as every player in it sees it."""

    online: int
    queue_len: int
    rooms: list[RoomCard]


@dataclass(slots=True, eq=False)  # hashed by identity: a shared one is rendered once
class RoomContext:
    code: str
    public: bool
    phase: str
    in_match: bool
    round_no: int  # 1, 2, ... of `rounds`
    rounds: int
    round_id: str  # names the current round in a buzz ("" before the first)
    buzzer_phase: str
    players: list[Member]  # in join order
    board: list[tuple[int, Member]]  # (rank, member) by score, high to low
    winners: list[Member]  # of the round just decided
    spectators: list[Member]  # the first few
    spectator_count: int
    me: Member | None  # the viewer's own seat (None: watching)
    is_player: bool
    is_host: bool
    host_name: str
    max_players: int
    min_players: int  # to start a match
    max_rounds: int  # the most the host may set


Context = NameContext | LobbyYouContext | LobbyBoardContext | RoomContext


@dataclass(slots=True)
class Part:
    """A piece of a screen with an element id of its own: a stream sends it
    alone when only it changed. A shared part is the same for every viewer of
    one snapshot, so it is rendered once (game/web/screens.py)."""

    id: str  # the element's id
    template: str  # templates/screens/<template>.html
    context: Context
    shared: bool = False


@dataclass(slots=True)
class View:
    screen: str  # "name", "lobby" or "room": templates/screens/<screen>.html holds its parts
    parts: list[Part]
    channels: frozenset[str]
    deadline: Deadline | None = None  # a phase end to fire
    wake_in_ms: int | None = None  # look again then even without a message (presence changes)
    receipt: tuple[str, str, str] | None = None  # (code, round id, phase): a phase to note as delivered


def name_view(channels: frozenset[str]) -> View:
    return View("name", [Part("view", "name", NameContext())], channels)


def lobby_view(lobby: LobbySnapshot, own: PlayerState, invite: str | None, channels: frozenset[str]) -> View:
    you = LobbyYouContext(name=own.record["name"], queued=own.queued, invite=invite, invited=lobby.invited)
    board = Part("lobby-board", "lobby_board", lobby_board(lobby), shared=True)
    return View("lobby", [Part("lobby-you", "lobby_you", you), board], channels)


@functools.lru_cache(maxsize=16)
def lobby_board(lobby: LobbySnapshot) -> LobbyBoardContext:
    """What every lobby tab shows: built once per read of the lobby."""
    return LobbyBoardContext(online=lobby.online, queue_len=lobby.queue_len, rooms=lobby.rooms)


def room_view(snap: RoomSnapshot, pid: str, settings: Settings, channels: frozenset[str]) -> View:
    """The room as this player sees it; anyone without a seat gets the shared spectators' view."""
    seated = pid in snap.players or pid == snap.room.get("host")
    context = room_context(snap, pid, settings) if seated else spectators_context(snap, settings)
    phase, round_id = context.phase, context.round_id
    due_field = DEADLINE_FIELD.get(phase)
    deadline = None
    if due_field and snap.room.get(due_field):
        deadline = Deadline(context.code, round_id, phase, int(snap.room[due_field]) - snap.taken_ms)
    # "Get ready" and GO reaching a player bound their buzz (game/timers.py, Receipts).
    receipt = (context.code, round_id, phase) if phase in ("ready", "go") and context.is_player else None
    part = Part("view", "room", context, shared=not seated)
    return View("room", [part], channels, deadline, snap.presence_changes_in_ms, receipt)


@functools.lru_cache(maxsize=64)
def spectators_context(snap: RoomSnapshot, settings: Settings) -> RoomContext:
    """What everyone watching sees: built once per snapshot, however many watch."""
    return room_context(snap, None, settings)


def room_context(snap: RoomSnapshot, pid: str | None, settings: Settings) -> RoomContext:
    """The room as `pid` sees it (None: anyone without a seat)."""
    room, phase = snap.room, snap.room["phase"]
    host = room.get("host", "")
    showing_results = phase in ("results", "final")
    players = [_member(snap, member, pid, host, showing_results) for member in snap.players]
    by_score = sorted(players, key=lambda m: -m.score)
    me = next((m for m in players if m.you), None)
    return RoomContext(
        code=room["code"],
        public=room.get("public") == "1",
        phase=phase,
        in_match=phase in IN_MATCH,
        round_no=int(room.get("round", 0)),
        rounds=int(room.get("rounds", settings.default_rounds)),
        round_id=room.get("round_id", ""),
        buzzer_phase=BUZZER_PHASE.get(phase, "idle"),
        players=players,
        board=list(zip(_ranks([m.score for m in by_score]), by_score)),
        winners=[m for m in players if m.rank == 1],
        spectators=[Member(pid=s, name=snap.names.get(s) or "?") for s in snap.spectators],
        spectator_count=snap.spectator_count,
        me=me,
        is_player=me is not None,
        is_host=pid is not None and host == pid,
        host_name=snap.names.get(host) or "",
        max_players=int(room["max"]),
        min_players=settings.room_min_players,
        max_rounds=settings.max_rounds,
    )


def _member(snap: RoomSnapshot, pid: str, viewer: str | None, host: str, showing_results: bool) -> Member:
    presses, phase = snap.presses, snap.room["phase"]
    press = presses.get(f"p:{pid}")
    rank = presses.get(f"rank:{pid}")
    return Member(
        pid=pid,
        name=snap.names.get(pid) or "?",
        seat=snap.seats.get(pid, 0),
        you=pid == viewer,
        host=pid == host,
        presence=snap.presence.get(pid, "gone"),
        score=int(snap.scores.get(pid, 0)),
        # Before results, others only see *that* someone pressed, not the time.
        result=_result_text(press, phase) if showing_results or pid == viewer else ("pressed" if press else ""),
        rank=int(rank) if showing_results and rank is not None else None,
        points=int(presses.get(f"pts:{pid}", 0)),
    )


def _result_text(press: str | None, phase: str) -> str:
    if press is None:
        return "no press" if phase in ("results", "final") else ""
    if press == "early":
        return "false start"
    return f"{press} ms"


def _ranks(sorted_scores: list[int]) -> list[int]:
    """Competition ranking of scores sorted high to low: ties share the rank (1, 1, 3)."""
    ranks: list[int] = []
    for i, score in enumerate(sorted_scores):
        ranks.append(ranks[-1] if i and score == sorted_scores[i - 1] else i + 1)
    return ranks
