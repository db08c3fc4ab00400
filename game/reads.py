"""What a page or a stream reads from Redis to build a player's view.

A room and the lobby are each read by one read-only script, on Redis's clock,
in one round trip (`read_room.lua`, `read_lobby.lua`). Reads are shared: the
streams of one process that wake for the same change share one read of it
(`Snapshots`, single-flight). A stream re-reads the player's own record only
when something was published on the player's channel (or it cannot tell).
`load_view` is the whole path: read, then build the view (`game/views.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from game import views
from game.config import Settings
from game.rules import IN_MATCH
from game.snapshots import LobbySnapshot, PlayerState, RoomCard, RoomSnapshot
from game.store import Store
from game.views import View

PUBLIC_ROOMS_SHOWN = 30
SPECTATORS_SHOWN = 40
T = TypeVar("T")


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


async def read_player(store: Store, pid: str) -> PlayerState:
    k = store.keys
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(k.player(pid))
        pipe.zscore(k.key("queue"), pid)
        record, queued = await pipe.execute()
    return PlayerState(record, queued is not None)


async def read_room(store: Store, code: str) -> RoomSnapshot | None:
    found = await store.run("read_room", code=code, spectators_shown=SPECTATORS_SHOWN)
    if not found.get("room"):
        return None
    # An empty Lua table may come back as {} or [] (Redis and the embedded one differ).
    return RoomSnapshot(
        room=dict(found["room"]), players=list(found["players"]), seats=dict(found["seats"]),
        spectators=list(found["spectators"]),
        spectator_count=found["spectator_count"], scores=dict(found["scores"]), presses=dict(found["presses"]),
        stats=dict(found["stats"]), names=dict(found["names"]), presence=dict(found["presence"]),
        presence_changes_in_ms=found["presence_changes_in_ms"] or None, taken_ms=found["now"],
    )


async def read_lobby(store: Store, invite: str | None) -> LobbySnapshot:
    found = await store.run("read_lobby", public_rooms_shown=PUBLIC_ROOMS_SHOWN, invite=invite or "")
    return LobbySnapshot(
        online=found["online"], queue_len=found["queue_len"],
        rooms=[_card(room) for room in found["rooms"] or ()],
        invited=_card(found["invited"]) if found["invited"] else None,
        fastest=[(name, int(ms)) for name, ms in found["fastest"] or ()],
    )


def _card(room: dict[str, Any]) -> RoomCard:
    in_match = room["phase"] in IN_MATCH
    return RoomCard(
        code=room["code"], players=room["players"], max_players=room["max"], spectators=room["spectators"],
        public=room["public"], in_match=in_match, open=not in_match and room["players"] < room["max"],
    )


async def load_view(
    store: Store,
    settings: Settings,
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
    mine = frozenset({k.player_channel(pid)})
    if not own.record.get("name"):
        return views.name_view(mine)
    if code := own.record.get("room"):
        room = await snapshots.get(f"room:{code}", fresh_after, lambda: read_room(store, code))
        if room and room.holds(pid):
            return views.room_view(room, own, pid, settings, mine | {k.room_channel(code)})
        # The pointer is stale (game/moves.py: the room's seats are the truth): the player is in
        # no room; their record stops saying so, and they see the lobby.
        await store.moves.clear_pointer(pid, code)
    lobby = await snapshots.get(f"lobby:{invite or ''}", fresh_after, lambda: read_lobby(store, invite))
    return views.lobby_view(lobby, own, invite, mine | {k.lobby_channel()})
