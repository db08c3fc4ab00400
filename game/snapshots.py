"""What a read of Redis gives: the player's own state, a room, the lobby.

Plain data, read at one instant (`game/reads.py`) and turned into views
(`game/views.py`). Every time in them is on Redis's clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerState:
    """What is the player's own: their record and whether they are queued."""

    record: dict[str, str]
    queued: bool


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so views built from it can be cached
class RoomSnapshot:
    """Everything about a room that is the same for every viewer, read at one instant."""

    room: dict[str, str]
    players: list[str]  # player ids, in join order
    seats: dict[str, int]  # player id -> seat number: what the page names a player by, never the id
    spectators: list[str]  # the first SPECTATORS_SHOWN of them
    spectator_count: int
    scores: dict[str, str]
    presses: dict[str, str]
    stats: dict[str, str]  # this match's record: "<n|sum|best|early|name>:<player id>"
    names: dict[str, str | None]
    presence: dict[str, str]  # player id -> online, reconnecting, gone
    presence_changes_in_ms: int | None  # when a reconnecting player counts as gone
    taken_ms: int  # Redis's clock at the read

    def holds(self, pid: str) -> bool:
        """Whether `pid` is in this room, as far as the read shows (the seats are the truth: a
        player's pointer to a room that does not hold them is stale). A spectator past the
        first SPECTATORS_SHOWN cannot be told apart: they count as held."""
        return pid in self.seats or pid in self.spectators or self.spectator_count > len(self.spectators)


@dataclass(frozen=True)
class RoomCard:
    """A room as the lobby lists it."""

    code: str
    players: int
    max_players: int
    spectators: int
    public: bool
    in_match: bool
    open: bool  # a seat to take now


@dataclass(frozen=True, eq=False)  # hashed by identity, like RoomSnapshot
class LobbySnapshot:
    online: int
    queue_len: int
    rooms: list[RoomCard]
    invited: RoomCard | None
    fastest: list[tuple[str, int]]  # today's fastest: (name, ms), best first
