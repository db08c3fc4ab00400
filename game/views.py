"""Each player's own view, read from Redis and rendered whole.

A stream calls `load_view` whenever it is woken, renders the result, and lets
Datastar's morph keep what did not change ("fat morph"). The view also says
which channels can change it and which timers it depends on.

Reads are shared: the streams of one process that wake for the same change of
a room (or of the lobby) share one read of it through `Snapshots`, and
spectators share one view and one rendered event per read. A stream reads the
player's own record only when something was published on the player's channel
(or it cannot tell).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from game.store import Store

IN_MATCH = ("ready", "go", "results")
PUBLIC_ROOMS_SHOWN = 30
SPECTATORS_SHOWN = 40
T = TypeVar("T")


@dataclass
class View:
    screen: str  # "name", "lobby" or "room": the template under templates/screens/
    context: dict[str, Any]
    channels: frozenset[str]
    deadline: tuple[str, str, str, int] | None = None  # (code, rid, phase, at_ms) to fire
    wake_at_ms: int | None = None  # re-render then even without a message (presence)
    go_round: tuple[str, str] | None = None  # (code, rid): GO is shown to this player
    shared_events: dict[str, str] | None = None  # where viewers of identical views share the SSE event


@dataclass
class Member:
    pid: str
    name: str
    you: bool
    host: bool = False
    presence: str = "online"  # online, reconnecting, gone
    score: int = 0
    result: str = ""  # this round: "213 ms", "false start", "no press", "pressed"
    rank: int | None = None
    points: int = 0


@dataclass
class RoomSnapshot:
    """Everything about a room that is the same for every viewer."""

    room: dict[str, str]
    seat_ids: list[str]
    watcher_ids: list[str]
    watcher_count: int
    scores: dict[str, str]
    presses: dict[str, str]
    names: dict[str, str | None]
    presence: dict[str, tuple[float | None, int]]  # seat -> (online-until, open streams)
    taken_ms: int
    spectator_view: View | None = None  # built for the first spectator, shared with the rest


@dataclass
class LobbySnapshot:
    online: int
    queue_len: int
    rooms: list[dict[str, Any]]


def now_ms() -> int:
    return int(time.time() * 1000)


class Snapshots:
    """Single-flight reads shared by this process's streams.

    A read may serve a stream only if it started after the message that woke
    that stream, so sharing never shows anyone an older state.
    """

    def __init__(self) -> None:
        self._reads: dict[str, tuple[float, asyncio.Future[Any]]] = {}

    async def get(self, key: str, fresh_after: float, read: Callable[[], Awaitable[T]]) -> T:
        entry = self._reads.get(key)
        if entry is None or entry[0] < fresh_after:
            entry = (time.monotonic(), asyncio.ensure_future(read()))
            self._reads[key] = entry
            entry[1].add_done_callback(lambda _: self._forget(key, entry))
        result: T = await asyncio.shield(entry[1])
        return result

    def _forget(self, key: str, entry: tuple[float, asyncio.Future[Any]]) -> None:
        if self._reads.get(key) is entry:
            del self._reads[key]


@dataclass
class PlayerState:
    """What is the player's own: their record and whether they are queued."""

    record: dict[str, str]
    queued: bool


async def read_player(store: Store, pid: str) -> PlayerState:
    k = store.keys
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(k.player(pid))
        pipe.zscore(k.queue(), pid)
        record, queued = await pipe.execute()
    return PlayerState(record, queued is not None)


async def load_view(
    store: Store,
    pid: str,
    invite: str | None = None,
    snapshots: Snapshots | None = None,
    fresh_after: float = 0.0,
    own: PlayerState | None = None,
) -> View:
    """This player's view; with `snapshots`, shared reads no older than `fresh_after` (monotonic).

    `own` is the player's state if the caller knows it is current (every
    change to it is published on the player's channel); otherwise it is read.
    """
    snapshots = snapshots or Snapshots()
    k = store.keys
    own = own or await read_player(store, pid)
    player = own.record
    mine = frozenset({k.player_channel(pid)})
    if not player.get("name"):
        return View("name", {}, mine)
    if code := player.get("room"):
        room = await snapshots.get(f"room:{code}", fresh_after, lambda: _read_room(store, code))
        if room:
            return _room_view(room, pid, mine | {k.room_channel(code)})
    lobby = await snapshots.get("lobby", fresh_after, lambda: _read_lobby(store))
    context = {
        "name": player["name"],
        "online": lobby.online,
        "queue_len": lobby.queue_len,
        "queued": own.queued,
        "rooms": lobby.rooms,
        "invite": invite,
        "invited": (await _read_rooms(store, [invite]) or [None])[0] if invite else None,
    }
    return View("lobby", context, mine | {k.lobby_channel()})


async def _read_lobby(store: Store) -> LobbySnapshot:
    k, r = store.keys, store.redis
    async with r.pipeline(transaction=False) as pipe:
        pipe.zcount(k.presence(), now_ms(), "+inf")
        pipe.zcard(k.queue())
        pipe.zrevrange(k.public(), 0, PUBLIC_ROOMS_SHOWN - 1)
        online, queue_len, codes = await pipe.execute()
    rooms = [info for info in await _read_rooms(store, codes) if info["public"]]
    return LobbySnapshot(online, queue_len, rooms)


async def _read_rooms(store: Store, codes: list[str]) -> list[dict[str, Any]]:
    """What the lobby shows of each room (rooms that no longer exist are left out)."""
    k = store.keys
    async with store.redis.pipeline(transaction=False) as pipe:
        for code in codes:
            pipe.hmget(k.room(code), "phase", "max", "public")
            pipe.zcard(k.seats(code))
            pipe.zcard(k.watchers(code))
        found = await pipe.execute()
    rooms = []
    for i, code in enumerate(codes):
        (phase, size, public), players, watchers = found[3 * i : 3 * i + 3]
        if phase is not None:
            rooms.append({
                "code": code,
                "players": players,
                "max": int(size),
                "spectators": watchers,
                "public": public == "1",
                "in_match": phase in IN_MATCH,
                "open": phase not in IN_MATCH and players < int(size),
            })
    return rooms


async def _read_room(store: Store, code: str) -> RoomSnapshot | None:
    found = await store.run("read_room", code=code, spectators_shown=SPECTATORS_SHOWN)
    if not found:
        return None
    # An empty Lua table may come back as {} or [] (Redis and the embedded one differ).
    seats, watchers = list(found["seats"]), list(found["watchers"])
    presence = {pid: (float(until) if until else None, live) for pid, (until, live) in dict(found["presence"]).items()}
    return RoomSnapshot(
        dict(found["room"]), seats, watchers, found["watcher_count"], dict(found["scores"]), dict(found["presses"]),
        dict(found["names"]), presence, found["now"],
    )


def _presence(until: float | None, live_conns: int, now: int) -> str:
    if live_conns:
        return "online"
    if until is not None and until > now:
        return "reconnecting"
    return "gone"


def _result_text(press: str | None, phase: str) -> str:
    if press is None:
        return "no press" if phase in ("results", "final") else ""
    if press == "early":
        return "false start"
    return f"{press} ms"


def _room_view(snap: RoomSnapshot, pid: str, channels: frozenset[str]) -> View:
    if pid in snap.seat_ids or pid == snap.room.get("host"):
        return _room_view_for(snap, pid, channels)
    # Everyone without a seat (spectators) sees exactly the same page: one view
    # (and one rendered event) per snapshot, however many watch.
    if snap.spectator_view is None:
        snap.spectator_view = replace(_room_view_for(snap, None, frozenset()), shared_events={})
    return replace(snap.spectator_view, channels=channels)


def _room_view_for(snap: RoomSnapshot, pid: str | None, channels: frozenset[str]) -> View:
    """The room as `pid` sees it (None: anyone without a seat)."""
    room, presses, now = snap.room, snap.presses, snap.taken_ms
    code, phase, host = room["code"], room["phase"], room.get("host", "")
    showing_results = phase in ("results", "final")
    players: list[Member] = []
    wake_at: int | None = None
    for member in snap.seat_ids:
        until, live = snap.presence[member]
        press = presses.get(f"p:{member}")
        m = Member(
            pid=member,
            name=snap.names[member] or "?",
            you=member == pid,
            host=member == host,
            presence=_presence(until, live, now),
            score=int(snap.scores.get(member, 0)),
            # Before results, others only see *that* someone pressed, not the time.
            result=_result_text(press, phase) if showing_results or member == pid else
            ("pressed" if press else ""),
            rank=int(presses[f"rank:{member}"]) if showing_results and f"rank:{member}" in presses else None,
            points=int(presses.get(f"pts:{member}", 0)),
        )
        if m.presence == "reconnecting" and until is not None:
            wake_at = min(wake_at or int(until), int(until))
        players.append(m)
    me = next((m for m in players if m.you), None)
    board = sorted(players, key=lambda m: -m.score)
    standings = _ranks([m.score for m in board])
    context = {
        "room": room,
        "code": code,
        "phase": phase,
        "in_match": phase in IN_MATCH,
        "round": int(room.get("round", 0)),
        "rounds": int(room.get("rounds", 5)),
        "rid": room.get("rid", ""),
        "players": players,
        "spectators": [Member(pid=w, name=snap.names[w] or "?", you=False) for w in snap.watcher_ids],
        "spectator_count": snap.watcher_count,
        "me": me,
        "is_player": me is not None,
        "is_host": host == pid,
        "host_name": snap.names.get(host) or "",
        "board": list(zip(standings, board)),
        "winners": [m for m in players if m.rank == 1],
        "max": int(room["max"]),
        "public": room.get("public") == "1",
        "buzzer_phase": {"ready": "ready", "go": "go", "results": "done"}.get(phase, "idle"),
    }
    deadline_field = {"ready": "go_at", "go": "ends_at", "results": "next_at"}.get(phase)
    deadline = None
    if deadline_field and room.get(deadline_field):
        deadline = (code, room["rid"], phase, int(room[deadline_field]))
    go_round = (code, room["rid"]) if phase == "go" and me is not None else None
    return View("room", context, channels, deadline, wake_at, go_round)


def _ranks(sorted_scores: list[int]) -> list[int]:
    """Competition ranking of scores sorted high to low: ties share the rank (1, 1, 3)."""
    ranks: list[int] = []
    for i, score in enumerate(sorted_scores):
        ranks.append(ranks[-1] if i and score == sorted_scores[i - 1] else i + 1)
    return ranks
