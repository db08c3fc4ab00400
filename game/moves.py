"""Every change to the game, as steps that are each one script in one slot.

A race is decided by one script in one slot (game/keys.py): the last seat,
simultaneous buzzes, a double start and a timed transition in the room's; a
queue match in the lobby's. A move that spans a player and a room is a few
such steps, each safe to replay, with one rule for which side is the truth:

- **The room's seats are the truth** about who is in a room. A player's
  record points to their room (a hint for finding it), written right after
  the seat is taken, cleared right after the seat is given up, and repaired
  on read: a stream that finds its player not seated in the room pointed to
  shows the lobby and clears the pointer (game/reads.py).
- **Setting the pointer returns the previous one**, atomically, and the mover
  then leaves that room: of two joins at once, the one whose pointer lands
  last wins, and the other seat is given up.
- **What a room's move must tell the lobby** (its card in the public list,
  reaction times for the records, who left it, who was kicked) comes back
  from the room's script as effects, and is applied in the lobby's slot by
  `lobby_apply.lua`, which takes each part at most once in effect (cards carry
  a version; records only improve; pointers are cleared only if they still
  point to that room).
- **What a room needs of its members** (names, presence, best time) is
  copied into the room's slot (`members`) by the mover, so a room view is
  one round trip of one slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from game import rules
from game.scripts import GameError, Scripts

CODE_TRIES = 5  # a new room's code is drawn again on the rare collision
QUEUE_TRIES = 10  # quick-play rooms tried, or the queue read again, before the player just waits


class Moves:
    def __init__(self, redis: Redis, scripts: Scripts, lobby_later: Callable[[], None]) -> None:
        self.redis = redis
        self.scripts = scripts
        self.keys = scripts.keys
        self._lobby_later = lobby_later  # the lobby was woken lately: wake it once more after the window
        self._clock_offset: float | None = None  # Redis's clock less time.monotonic(), seconds

    # -- one step in one slot -------------------------------------------------

    async def _lobby(self, script: str, /, pids: tuple[str, ...] = (), procs: tuple[str, ...] = (),
                     day: int | None = None, **args: Any) -> dict[str, Any]:
        keys = self.scripts.lobby(pids, procs, day)
        result = await self.scripts.call(script, keys, day=day, **args)
        if result.get("lobby_later"):
            self._lobby_later()
        return result

    async def _room(self, script: str, code: str, /, **args: Any) -> dict[str, Any]:
        result = await self.scripts.call(script, self.scripts.room(code), code=code, **args)
        await self._tell_lobby(code, result)
        return result

    async def _tell_lobby(self, code: str, result: dict[str, Any]) -> None:
        """Carry a room script's effects to the lobby's slot."""
        records = result.get("records") or []
        left = result.get("left") or []
        kicked = result.get("kicked")
        if not (result.get("card") or records or left or kicked):
            return
        pids = {r["pid"] for r in records} | set(left) | ({kicked} if kicked else set())
        day = result.get("day") if records else None
        await self._lobby("lobby_apply", pids=tuple(sorted(pids)), day=day, code=code, card=result.get("card"),
                          records=records or None, left=left or None, kicked=kicked)

    async def clear_pointer(self, pid: str, code: str) -> None:
        """Clear a player's pointer to `code` if it still points there (a stale one, found by a read)."""
        await self._lobby("pointer", pids=(pid,), pid=pid, code=code, clear=True)

    async def _seated(self, pid: str, code: str, role: str) -> None:
        """A room seated the player: point their record to it, and leave the room it pointed to."""
        result = await self._lobby("pointer", pids=(pid,), pid=pid, code=code, role=role)
        if previous := result.get("previous"):
            await self._leave(pid, previous)

    async def _leave(self, pid: str, code: str) -> None:
        try:
            await self._room("room_leave", code, pid=pid)
        except GameError:
            pass  # not seated there (any more): nothing to give up

    async def _presence(self, pid: str, code: str, connected: bool) -> None:
        """Tell the player's room they came online or went offline (its copy of their presence)."""
        grace = None if connected else self.scripts.settings_value("reconnect_grace_ms")
        result = await self._room("room_presence", code, pid=pid, connected=connected or None, grace_ms=grace)
        if not result.get("seated"):
            await self.clear_pointer(pid, code)

    async def _ready(self, pid: str) -> dict[str, Any]:
        """The player may take a seat (named, present): what a room keeps of them, and their pointer."""
        return await self._lobby("player_ready", pids=(pid,), pid=pid)

    # -- presence (game/presence.py) ----------------------------------------------

    async def connect(self, pid: str, stream: str, proc: str, addr: str, lease_ms: int) -> dict[str, Any]:
        result = await self._lobby("connect", pids=(pid,), procs=(proc,), pid=pid, stream=stream, proc=proc,
                                   addr=addr, lease_ms=lease_ms)
        if code := result.get("room"):
            await self._presence(pid, code, connected=True)
        return result

    async def disconnect(self, pid: str, stream: str, proc: str) -> dict[str, Any]:
        result = await self._lobby("disconnect", pids=(pid,), procs=(proc,), pid=pid, stream=stream, proc=proc)
        if result.get("last") and (code := result.get("room")):
            await self._presence(pid, code, connected=False)
        return result

    async def lease(self, proc: str, lease_ms: int, rooms: list[str]) -> dict[str, Any]:
        """Renew this process's lease; close the streams of processes whose lease ran out; keep
        the rooms this process's streams show from expiring."""
        # Every other process is a candidate (their keys declared); the script, on Redis's clock,
        # closes the streams of those whose lease ran out.
        gone_procs = [p for p in await self.redis.zrange(self.keys.key("procs"), 0, -1) if p != proc]
        result = await self._lobby("lease", procs=(proc, *gone_procs), proc=proc, lease_ms=lease_ms,
                                   gone_procs=gone_procs or None)
        gone = list(result.get("gone") or ())
        result["gone"] = gone
        for pid in gone:
            if code := await self.redis.hget(self.keys.player(pid), "room"):
                await self._presence(pid, code, connected=False)
        await asyncio.gather(*(self._room("room_keep", code) for code in rooms))
        return result

    async def sweep(self, pid: str) -> dict[str, Any]:
        result = await self._lobby("sweep", pids=(pid,), pid=pid)
        if code := result.get("room"):
            swept = await self._room("room_sweep", code, pid=pid)
            if not swept.get("seated"):
                await self.clear_pointer(pid, code)
        return result

    # -- names ------------------------------------------------------------------------

    async def name_check(self, pid: str, keys: list[str]) -> dict[str, Any]:
        return await self._lobby("name_check", pid=pid, keys=keys)

    async def set_name(self, pid: str, name: str, keys: list[str], addr: str) -> dict[str, Any]:
        result = await self._lobby("set_name", pids=(pid,), pid=pid, name=name, keys=keys, addr=addr)
        if code := result.get("room"):
            renamed = await self._room("room_rename", code, pid=pid, name=name)
            if not renamed.get("seated"):
                await self.clear_pointer(pid, code)
        return result

    # -- the lobby --------------------------------------------------------------------

    async def queue_join(self, pid: str, addr: str, code: str | None = None) -> dict[str, Any]:
        """Quick play: into a quick-play room waiting for its match, else the queue; a match
        of the oldest waiting players gets a new room (`code`, or a fresh one)."""
        skip: list[str] = []
        again = False
        code = code or rules.new_code()  # a match's room, drawn before: matched players are marked with it
        for _ in range(QUEUE_TRIES):
            head = await self.redis.zrange(self.keys.key("queue"), 0, self._max_players() - 1)
            result = await self._lobby("queue_join", pids=tuple(dict.fromkeys([pid, *head])), pid=pid,
                                       code=code, skip=skip or None, again=again or None)
            again = True
            if join := result.get("join"):
                try:
                    return await self.room_join(pid, join, "player", addr)
                except GameError:
                    skip.append(join)  # full, started, or kicked from it: the next one
                    continue
            if match := result.get("match"):
                return await self._match(list(match), dict(result["members"]), code)
            if not result.get("retry"):
                return result
        return {"ok": True, "queued": True}  # the queue kept changing: queued; the next joiner matches

    async def _match(self, pids: list[str], members: dict[str, Any], code: str | None) -> dict[str, Any]:
        result = await self._new_room("room_match", code, pids=pids, members=members)
        await asyncio.gather(*(self._seated(p, result["room"], "player") for p in pids))
        return result

    async def _new_room(self, script: str, code: str | None, **args: Any) -> dict[str, Any]:
        """A new room under `code` (if given) or a fresh code; on the rare collision, another."""
        for attempt in range(CODE_TRIES):
            try:
                return await self._room(script, code if code and not attempt else rules.new_code(), **args)
            except GameError as err:
                if err.message != "code collision":
                    raise
        raise GameError(503, "Could not find a free room code; try again.")

    def _max_players(self) -> int:
        return int(self.scripts.settings_value("room_max_players"))

    async def queue_leave(self, pid: str) -> dict[str, Any]:
        return await self._lobby("queue_leave", pid=pid)

    # -- a room -------------------------------------------------------------------------

    async def room_create(self, pid: str, public: bool, code: str | None = None) -> dict[str, Any]:
        ready = await self._ready(pid)
        result = await self._new_room("room_create", code, pid=pid, member=ready["member"], public=public)
        await self._seated(pid, result["room"], "player")
        return result

    async def room_join(self, pid: str, code: str, role: str, addr: str) -> dict[str, Any]:
        ready = await self._ready(pid)
        member = {**ready["member"], "addr": addr}  # kicks by network compare the network joining now
        result = await self._room("room_join", code, pid=pid, member=member, role=role)
        await self._seated(pid, code, role)
        return result

    async def room_leave(self, pid: str, code: str) -> dict[str, Any]:
        return await self._room("room_leave", code, pid=pid)

    async def room_kick(self, pid: str, code: str, seat: int) -> dict[str, Any]:
        return await self._room("room_kick", code, pid=pid, seat=seat)

    async def room_settings(self, pid: str, code: str, rounds: int | None = None,
                            decoys: bool | None = None) -> dict[str, Any]:
        return await self._room("room_settings", code, pid=pid, rounds=rounds, decoys=decoys)

    async def match_start(self, pid: str, code: str, plan: dict[str, object]) -> dict[str, Any]:
        return await self._room("match_start", code, pid=pid, plan=plan)

    async def buzz(self, pid: str, code: str, round_id: str, ms: int, early: bool) -> dict[str, Any]:
        return await self._room("buzz", code, pid=pid, round_id=round_id, ms=ms, early=early)

    async def seen(self, pid: str, code: str, round_id: str) -> dict[str, Any]:
        return await self._room("seen", code, pid=pid, round_id=round_id)

    async def delivered(self, pids: list[str], code: str, round_id: str, phase: str) -> dict[str, Any]:
        return await self._room("delivered", code, pids=pids, round_id=round_id, phase=phase)

    async def advance(self, code: str, round_id: str, phase: str, plan: dict[str, object]) -> dict[str, Any]:
        return await self._room("advance", code, round_id=round_id, phase=phase, plan=plan)

    # -- reads ------------------------------------------------------------------------

    async def read_room(self, code: str, spectators_shown: int) -> dict[str, Any]:
        return await self.scripts.call("read_room", self.scripts.room(code), code=code,
                                       spectators_shown=spectators_shown)

    async def read_lobby(self, public_rooms_shown: int, invite: str) -> dict[str, Any]:
        return await self._lobby("read_lobby", day=await self._today(), public_rooms_shown=public_rooms_shown,
                                 invite=invite)

    async def _today(self) -> int:
        """Today (UTC, days since 1970) on Redis's clock, whose fastest the lobby shows: Redis's
        clock is read once, and followed with this process's monotonic clock."""
        if self._clock_offset is None:
            seconds, micros = await self.redis.time()
            self._clock_offset = int(seconds) + int(micros) / 1e6 - time.monotonic()
        return int(time.monotonic() + self._clock_offset) // 86_400

    async def limit(self, address: str, counters: list[tuple[str, int, int]]) -> dict[str, Any]:
        """Count one request against each (name, at most count, per window_ms) of its client address."""
        keys = {f"limit{i}": self.keys.limit(address, name) for i, (name, _, _) in enumerate(counters, 1)}
        return await self.scripts.call("limit", keys, limits=[[count, window] for _, count, window in counters])
