"""Each player's view: a snapshot of Redis in, a typed view out.

Views are pure functions of what was read (`game/snapshots.py`) and of the
settings: no I/O, no clock (every time in a snapshot is Redis's, and a view
only says how long from the read until something is due). A view names the
screen that shows it (`templates/screens/`), the context that screen gets,
the channels that can change it, and what the stream must do besides sending
it (a timer to fire, when to look again, GO reaching a player).

A screen is made of parts, each with an element id. What is the same for many
viewers is a shared part: built once per snapshot, and rendered once too
(`game/web/screens.py`). The lobby's board is one; a room has one per role
(host, player, watching), and each seated player's own part is small: their
seat, as the signal that marks "you" in the shared part, and in a match
their controller. A stream sends a part alone when only it changed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from game.config import Settings
from game.snapshots import LobbySnapshot, PlayerState, RoomCard, RoomSnapshot
from game.rules import IN_MATCH
from game.timers import Deadline

BUZZER_PHASE = {"ready": "ready", "decoy": "decoy", "go": "go", "results": "done"}  # as the buzzer shows it


# Views are built for every viewer on every change: plain slotted classes (a
# frozen dataclass's __init__ costs a call per field) that nothing mutates.


@dataclass(slots=True)
class Member:
    pid: str  # never shown: the page names a player by seat number
    name: str
    seat: int = 0
    host: bool = False
    presence: str = "online"  # online, reconnecting, gone
    score: int = 0
    result: str = ""  # this round: "213 ms", "false start", "no press", "pressed"
    rank: int | None = None
    points: int = 0
    pressed: bool = False  # this round, whatever the result


@dataclass(slots=True)
class RoundResult:
    """One bar of a round's results: every time on one scale, the fastest first."""

    member: Member
    text: str  # "213 ms", "false start", "no press"
    bar: int  # the bar's length, percent of the scale (0 for no valid time)
    personal_best: bool


@dataclass(slots=True)
class FinalRow:
    """A line of a match's record: everyone who played it, those who left too."""

    rank: int
    name: str
    score: int
    best: int | None  # ms
    average: int | None
    false_starts: int
    left: bool
    seat: int  # 0: left the room


@dataclass(slots=True, eq=False)
class NameContext:
    """The first screen: pick a name."""


@dataclass(slots=True, eq=False)
class GoneContext:
    """A room a big screen was showing is not there any more."""

    code: str


@dataclass(slots=True, eq=False)
class LobbyYouContext:
    """The lobby as only this player sees it."""

    name: str
    queued: bool
    invite: str | None  # the code of the room link this page was opened with
    invited: RoomCard | None  # that room, if it exists
    best: int | None  # the player's personal best, ms
    kicked_from: str | None  # the room the host removed this player from (they cannot rejoin it)


@dataclass(slots=True, eq=False)
class LobbyBoardContext:
    """The lobby as every player in it sees it."""

    online: int
    queue_len: int
    rooms: list[RoomCard]
    fastest: list[tuple[str, int]]  # today's fastest: (name, ms), best first
    blocked: str | None  # a room this viewer cannot join (kicked from it): its entry says so


@dataclass(slots=True, eq=False)
class RoomYouContext:
    """A room as only this seated player sees it: which seat is theirs (the
    shared part marks it "you") and, in a match, their controller."""

    code: str
    seat: int  # 0: no seat (watching, or a host who does not play)
    controller: bool  # in a match, as a player: the buzzer comes first
    round_no: int
    rounds: int
    buzzer_phase: str
    round_id: str
    score: int
    result: str  # this round, their own: "213 ms", "false start", ...
    best: int | None  # their personal best, ms


NOBODY = RoomYouContext(code="", seat=0, controller=False, round_no=0, rounds=0, buzzer_phase="idle",
                        round_id="", score=0, result="", best=None)


@dataclass(slots=True, eq=False)  # hashed by identity: a shared one is rendered once
class RoomContext:
    """A room as everyone in one role sees it: host, player, or watching."""

    code: str
    public: bool
    phase: str  # lobby, ready, decoy, go, results, final
    in_match: bool
    round_no: int  # 1, 2, ... of `rounds`
    rounds: int
    decoys: bool  # some rounds show a decoy ("NO!") before GO, or instead of it
    round_id: str  # names the current round in a buzz ("" before the first)
    buzzer_phase: str
    players: list[Member]  # by score, high to low (ties in join order)
    results: list[RoundResult]  # the round just decided, fastest first (results and final)
    winners: list[Member]  # of the round just decided
    final: list[FinalRow]  # the match's record, by rank (final)
    spectators: list[Member]  # the first few
    spectator_count: int
    is_player: bool
    is_host: bool
    seated: bool  # a host or a player: their own seat is marked "you" (by the signal _seat)
    host_name: str
    max_players: int
    min_players: int  # to start a match
    max_rounds: int  # the most the host may set


Context = NameContext | GoneContext | LobbyYouContext | LobbyBoardContext | RoomYouContext | RoomContext


@dataclass(slots=True)
class Part:
    """A piece of a screen with an element id of its own: a stream sends it
    alone when only it changed. A shared part is the same for every viewer of
    one snapshot, so it is rendered once (game/web/screens.py)."""

    id: str  # the element's id
    template: str  # templates/screens/<template>.html
    context: Context
    shared: bool = False
    # Sent again with every change of its view, changed or not: a part that
    # changes often is then always in the text the next event's compression
    # refers back to (game/web/compression.py), so a change costs a few bytes.
    resent: bool = False


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
    record = own.record
    kicked_from = record.get("kicked_from") or None
    you = LobbyYouContext(
        name=record["name"], queued=own.queued, invite=invite, invited=lobby.invited,
        best=int(record["best"]) if record.get("best") else None, kicked_from=kicked_from,
    )
    board = Part("lobby-board", "lobby_board", lobby_board(lobby, kicked_from), shared=True)
    return View("lobby", [Part("lobby-you", "lobby_you", you), board], channels)


@functools.lru_cache(maxsize=16)
def lobby_board(lobby: LobbySnapshot, blocked: str | None) -> LobbyBoardContext:
    """What every lobby tab shows: built once per read of the lobby (and, for the
    few players a host removed, once more with that room marked)."""
    return LobbyBoardContext(online=lobby.online, queue_len=lobby.queue_len, rooms=lobby.rooms,
                             fastest=lobby.fastest, blocked=blocked)


def room_view(snap: RoomSnapshot, own: PlayerState, pid: str, settings: Settings,
              channels: frozenset[str]) -> View:
    """The room as this player's role sees it (shared), and what is theirs alone."""
    is_player = pid in snap.players
    context = room_context(snap, settings, is_player, pid == snap.room.get("host"))
    # "Get ready" and GO reaching a player bound their buzz (game/timers.py, Receipts).
    receipt = (context.code, context.round_id, context.phase) if context.phase in ("ready", "go") and is_player else None
    you = Part("room-you", "room_you", _room_you(snap, own, pid, context), resent=True) if is_player else Part(
        "room-you", "room_you", NOBODY, shared=True)
    parts = [you, Part("room-shared", "room_shared", context, shared=True)]
    return View("room", parts, channels, _deadline(snap), snap.presence_changes_in_ms, receipt)


def screen_view(snap: RoomSnapshot, settings: Settings, channels: frozenset[str]) -> View:
    """The room on a big screen: what spectators see, laid out for a TV, shared by every screen."""
    part = Part("view", "screen", room_context(snap, settings, False, False), shared=True)
    return View("screen", [part], channels, _deadline(snap), snap.presence_changes_in_ms)


def gone_view(code: str, channels: frozenset[str]) -> View:
    return View("gone", [Part("view", "gone", GoneContext(code))], channels)


def _deadline(snap: RoomSnapshot) -> Deadline | None:
    """The end of the room's current phase, if it has one, to fire (game/timers.py)."""
    room = snap.room
    if room["phase"] not in IN_MATCH or not room.get("due_at"):
        return None
    return Deadline(room["code"], room.get("round_id", ""), room["phase"], int(room["due_at"]) - snap.taken_ms)


@functools.lru_cache(maxsize=128)
def room_context(snap: RoomSnapshot, settings: Settings, is_player: bool, is_host: bool) -> RoomContext:
    """The room as one role sees it: built once per snapshot and role, however
    many share it (call it with positional arguments: they are its cache key)."""
    room, phase = snap.room, snap.room["phase"]
    host = room.get("host", "")
    showing_results = phase in ("results", "final")
    seated = [_member(snap, member, None, host, showing_results) for member in snap.players]
    players = sorted(seated, key=lambda m: -m.score)  # stable: ties stay in join order
    results = _results(snap, seated) if showing_results and room.get("round_id") else []
    return RoomContext(
        code=room["code"],
        public=room.get("public") == "1",
        phase=phase,
        in_match=phase in IN_MATCH,
        round_no=int(room.get("round", 0)),
        rounds=int(room.get("rounds", settings.default_rounds)),
        decoys=room.get("decoys") == "1",
        round_id=room.get("round_id", ""),
        buzzer_phase=BUZZER_PHASE.get(phase, "idle"),
        players=players,
        results=results,
        winners=[r.member for r in results if r.member.rank == 1],
        final=_final(snap) if phase == "final" else [],
        spectators=[Member(pid=s, name=snap.names.get(s) or "?") for s in snap.spectators],
        spectator_count=snap.spectator_count,
        is_player=is_player,
        is_host=is_host,
        seated=is_player or is_host,
        host_name=snap.names.get(host) or "",
        max_players=int(room["max"]),
        min_players=settings.room_min_players,
        max_rounds=settings.max_rounds,
    )


def _room_you(snap: RoomSnapshot, own: PlayerState, pid: str, room: RoomContext) -> RoomYouContext:
    """A player's own part: their seat, and what their controller shows."""
    me = _member(snap, pid, pid, snap.room.get("host", ""), room.phase in ("results", "final"))
    best = own.record.get("best")
    return RoomYouContext(
        code=room.code, seat=me.seat, controller=room.in_match, round_no=room.round_no, rounds=room.rounds,
        buzzer_phase=room.buzzer_phase, round_id=room.round_id, score=me.score, result=me.result,
        best=int(best) if best else None,
    )


def _results(snap: RoomSnapshot, seated: list[Member]) -> list[RoundResult]:
    """Every player's time on one scale (the slowest valid time is the full bar),
    fastest first; false starts, then those who did not press, below."""
    times = {m.pid: int(p) for m in seated if (p := snap.presses.get(f"p:{m.pid}")) not in (None, "early")}
    scale = max(times.values(), default=1)
    order = sorted(seated, key=lambda m: (m.pid not in times, times.get(m.pid, 0),
                                          snap.presses.get(f"p:{m.pid}") is None))
    return [
        RoundResult(member=m, text=m.result, bar=round(100 * times[m.pid] / scale) if m.pid in times else 0,
                    personal_best=f"pb:{m.pid}" in snap.presses)
        for m in order
    ]


def _final(snap: RoomSnapshot) -> list[FinalRow]:
    """The match's record: everyone named when it started (stats), by score."""
    stats = snap.stats
    played = [key[5:] for key in stats if key.startswith("name:")]
    rows = []
    for pid in played:
        n = int(stats.get(f"n:{pid}", 0))
        rows.append(FinalRow(
            rank=0, name=stats[f"name:{pid}"], score=int(snap.scores.get(pid, 0)),
            best=int(stats[f"best:{pid}"]) if f"best:{pid}" in stats else None,
            average=round(int(stats.get(f"sum:{pid}", 0)) / n) if n else None,
            false_starts=int(stats.get(f"early:{pid}", 0)), left=pid not in snap.seats, seat=snap.seats.get(pid, 0),
        ))
    rows.sort(key=lambda r: (-r.score, r.best is None, r.best or 0))
    for row, rank in zip(rows, _ranks([r.score for r in rows])):
        row.rank = rank
    return rows


def _member(snap: RoomSnapshot, pid: str, viewer: str | None, host: str, showing_results: bool) -> Member:
    presses, phase = snap.presses, snap.room["phase"]
    press = presses.get(f"p:{pid}")
    rank = presses.get(f"rank:{pid}")
    return Member(
        pid=pid,
        name=snap.names.get(pid) or "?",
        seat=snap.seats.get(pid, 0),
        host=pid == host,
        presence=snap.presence.get(pid, "gone"),
        score=int(snap.scores.get(pid, 0)),
        # Before results, others only see *that* someone pressed, not the time.
        result=_result_text(press, phase) if showing_results or pid == viewer else ("pressed" if press else ""),
        rank=int(rank) if showing_results and rank is not None else None,
        points=int(presses.get(f"pts:{pid}", 0)),
        pressed=press is not None,
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
