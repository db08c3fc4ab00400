"""Each player's view: a snapshot of Redis in, a typed view out.

Views are pure functions of what was read (`game/snapshots.py`) and of the
settings: no I/O, no clock (every time in a snapshot is Redis's, and a view
only says how long from the read until something is due). A view names the
screen that shows it (`templates/screens/`), the context that screen gets,
the channels that can change it, and what the stream must do besides sending
it (a timer to fire, when to look again, GO reaching a player).

Everyone without a seat in a room sees the same page: that view is built once
per snapshot and marked `shared`, so it is rendered once too (`game/web/screens.py`).
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
    pid: str
    name: str
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
class LobbyContext:
    name: str
    online: int
    queue_len: int
    queued: bool
    rooms: list[RoomCard]
    invite: str | None  # the code of the room link this page was opened with
    invited: RoomCard | None  # that room, if it exists


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


Context = NameContext | LobbyContext | RoomContext


@dataclass(slots=True)
class View:
    screen: str  # "name", "lobby" or "room": the template under templates/screens/
    context: Context
    channels: frozenset[str]
    deadline: Deadline | None = None  # a phase end to fire
    wake_in_ms: int | None = None  # look again then even without a message (presence changes)
    go_round: tuple[str, str] | None = None  # (code, round id): GO is shown to this player
    shared: bool = False  # the same for many viewers: render it once


def name_view(channels: frozenset[str]) -> View:
    return View("name", NameContext(), channels)


def lobby_view(lobby: LobbySnapshot, own: PlayerState, invite: str | None, channels: frozenset[str]) -> View:
    context = LobbyContext(
        name=own.record["name"], online=lobby.online, queue_len=lobby.queue_len, queued=own.queued,
        rooms=lobby.rooms, invite=invite, invited=lobby.invited,
    )
    return View("lobby", context, channels)


def room_view(snap: RoomSnapshot, pid: str, settings: Settings, channels: frozenset[str]) -> View:
    """The room as this player sees it; anyone without a seat gets the shared spectators' view."""
    seated = pid in snap.players or pid == snap.room.get("host")
    context = room_context(snap, pid, settings) if seated else spectators_context(snap, settings)
    phase, round_id = context.phase, context.round_id
    due_field = DEADLINE_FIELD.get(phase)
    deadline = None
    if due_field and snap.room.get(due_field):
        deadline = Deadline(context.code, round_id, phase, int(snap.room[due_field]) - snap.taken_ms)
    go_round = (context.code, round_id) if phase == "go" and context.is_player else None
    return View("room", context, channels, deadline, snap.presence_changes_in_ms, go_round, shared=not seated)


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
