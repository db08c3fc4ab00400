"""Each player's own view, read from Redis and rendered whole.

A stream calls `load_view` whenever it is woken, renders the result, and lets
Datastar's morph keep what did not change ("fat morph"). The view also says
which channels can change it and which timers it depends on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from game.store import Store

IN_MATCH = ("ready", "go", "results")
PUBLIC_ROOMS_SHOWN = 30
SPECTATORS_SHOWN = 40


@dataclass
class View:
    screen: str  # "name", "lobby" or "room": the template under templates/screens/
    context: dict[str, Any]
    channels: frozenset[str]
    deadline: tuple[str, str, str, int] | None = None  # (code, rid, phase, at_ms) to fire
    wake_at_ms: int | None = None  # re-render then even without a message (presence)
    go_round: tuple[str, str] | None = None  # (code, rid): GO is shown to this player


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
    extra: dict[str, Any] = field(default_factory=dict)


def now_ms() -> int:
    return int(time.time() * 1000)


async def load_view(store: Store, pid: str, invite: str | None = None) -> View:
    k = store.keys
    player = await store.redis.hgetall(k.player(pid))
    mine = frozenset({k.player_channel(pid)})
    if not player.get("name"):
        return View("name", {}, mine)
    code = player.get("room") or ""
    if code:
        room = await store.redis.hgetall(k.room(code))
        if room:
            return await _room_view(store, pid, player, room, mine | {k.room_channel(code)})
    return await _lobby_view(store, pid, player, invite, mine | {k.lobby_channel()})


async def _lobby_view(
    store: Store, pid: str, player: dict[str, str], invite: str | None, channels: frozenset[str]
) -> View:
    k, r = store.keys, store.redis
    async with r.pipeline(transaction=False) as pipe:
        pipe.zcount(k.presence(), now_ms(), "+inf")
        pipe.zcard(k.queue())
        pipe.zscore(k.queue(), pid)
        pipe.zrevrange(k.public(), 0, PUBLIC_ROOMS_SHOWN - 1)
        online, queue_len, queued, codes = await pipe.execute()
    if invite and invite not in codes:
        codes = [invite, *codes]
    async with r.pipeline(transaction=False) as pipe:
        for code in codes:
            pipe.hmget(k.room(code), "phase", "max", "public")
            pipe.zcard(k.seats(code))
            pipe.zcard(k.watchers(code))
        found = await pipe.execute()
    rooms, invited = [], None
    for i, code in enumerate(codes):
        (phase, size, public), players, watchers = found[3 * i : 3 * i + 3]
        if phase is None:
            continue
        info = {
            "code": code,
            "players": players,
            "max": int(size),
            "spectators": watchers,
            "in_match": phase in IN_MATCH,
            "open": phase not in IN_MATCH and players < int(size),
        }
        if code == invite:
            invited = info
        if public == "1":
            rooms.append(info)
    context = {
        "name": player["name"],
        "online": online,
        "queue_len": queue_len,
        "queued": queued is not None,
        "rooms": rooms,
        "invite": invite,
        "invited": invited,
    }
    return View("lobby", context, channels)


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


async def _room_view(
    store: Store, pid: str, player: dict[str, str], room: dict[str, str], channels: frozenset[str]
) -> View:
    k, r, code, now = store.keys, store.redis, room["code"], now_ms()
    async with r.pipeline(transaction=False) as pipe:
        pipe.zrange(k.seats(code), 0, -1)
        pipe.zrange(k.watchers(code), 0, SPECTATORS_SHOWN - 1)
        pipe.zcard(k.watchers(code))
        pipe.hgetall(k.scores(code))
        pipe.hgetall(k.round(code))
        seat_ids, watcher_ids, watcher_count, scores, presses = await pipe.execute()
    async with r.pipeline(transaction=False) as pipe:
        for member in (*seat_ids, *watcher_ids):
            pipe.hget(k.player(member), "name")
        for member in seat_ids:
            pipe.zscore(k.presence(), member)
            pipe.zcount(k.conns(member), now, "+inf")
        found = await pipe.execute()
    names = dict(zip((*seat_ids, *watcher_ids), found))
    phase, host = room["phase"], room.get("host", "")
    showing_results = phase in ("results", "final")
    players: list[Member] = []
    wake_at: int | None = None
    for i, member in enumerate(seat_ids):
        until, live = found[len(names) + 2 * i : len(names) + 2 * i + 2]
        press = presses.get(f"p:{member}")
        m = Member(
            pid=member,
            name=names[member] or "?",
            you=member == pid,
            host=member == host,
            presence=_presence(until, live, now),
            score=int(scores.get(member, 0)),
            # Before results, others only see *that* someone pressed, not the time.
            result=_result_text(press, phase) if showing_results or member == pid else
            ("pressed" if press else ""),
            rank=int(presses[f"rank:{member}"]) if showing_results and f"rank:{member}" in presses else None,
            points=int(presses.get(f"pts:{member}", 0)),
        )
        if m.presence == "reconnecting" and until is not None:
            wake_at = min(wake_at or int(until), int(until))
        players.append(m)
    spectators = [Member(pid=w, name=names[w] or "?", you=w == pid) for w in watcher_ids]
    me = next((m for m in players if m.you), None)
    board = sorted(players, key=lambda m: -m.score)
    standings = _ranks([m.score for m in board])
    winners = [m for m in players if m.rank == 1]
    context = {
        "room": room,
        "code": code,
        "phase": phase,
        "in_match": phase in IN_MATCH,
        "round": int(room.get("round", 0)),
        "rounds": int(room.get("rounds", 5)),
        "rid": room.get("rid", ""),
        "players": players,
        "spectators": spectators,
        "spectator_count": watcher_count,
        "me": me,
        "is_player": me is not None,
        "is_host": host == pid,
        "host_name": names.get(host) or "",
        "board": list(zip(standings, board)),
        "winners": winners,
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
