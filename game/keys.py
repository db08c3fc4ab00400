"""Every Redis key and pub/sub channel name, built in one place.

Keys come in two families, each in one hash slot of a Redis Cluster (the
part between braces is the hash tag: keys with the same tag share a slot):

- a room's keys and channel, tagged with its code (`room:{ABCDE}`): every
  race of a match (the last seat, simultaneous buzzes, a double start, a
  timed transition) is decided by one script in that one slot, and rooms
  spread over the cluster's primaries;
- the lobby's keys, tagged `{lobby}`: who is online, players' records and
  names, the quick-play queue, the list of public rooms. One slot, the one
  hot spot shared by every room; no script of a match touches it.

A script receives every key it touches in KEYS, built here (game/scripts.py
declares them); `$` in a template is a player id, a room code, a name key
or a day. Every key has a bound on its life, given beside it (PLAYER_TTL_S is
Settings.player_ttl_s, renewed whenever the player opens a stream; ROOM_TTL_S
is Settings.room_ttl_s, renewed by every change and while a stream shows the room).
"""

from __future__ import annotations

TEMPLATES: dict[str, str] = {
    # --- the lobby's slot ---
    "player": "{lobby}:player:$",  # hash: name, name_keys, created, room, role, addr, best, kicked_from, matched; PLAYER_TTL_S
    # hash: name key (game.names.name_keys: case and look-alikes folded) -> player id, and
    # "pid:<player id>" -> that player's keys (JSON); a player's entries leave when their presence does
    "names": "{lobby}:names",
    # zset: player id -> online-until (ms), CONNECTED while a stream is open; entries trimmed after an hour
    "presence": "{lobby}:presence",
    "streams": "{lobby}:streams",  # hash: player id -> their open streams, "<stream id> <opened ms> ..."
    # zset: process id -> lease-until (ms); a process whose lease ran out is removed by the next renewal
    "procs": "{lobby}:procs",
    "proc_streams": "{lobby}:proc:$",  # set: "<player id> <stream id>" a process holds; two leases
    "queue": "{lobby}:queue",  # zset: player id -> enqueue order; at most Settings.max_queue
    "queue_seq": "{lobby}:queue:seq",  # counter for queue order; one key
    "lobby_tick": "{lobby}:tick",  # flag: the lobby was woken lately; Settings.lobby_wake_ms
    # hash: room code -> the room's card (JSON: what the lobby shows of it, its version, when it
    # lapses); written by the room's own moves, dropped when the room goes or its card lapses
    "cards": "{lobby}:rooms:cards",
    "public": "{lobby}:rooms:public",  # zset: room code -> list order, the open public rooms (from cards)
    "quick": "{lobby}:rooms:quick",  # zset: code -> created (ms), the open quick-play rooms (from cards)
    "fastest": "{lobby}:fastest:$",  # zset: player id -> best ms on that UTC day (days since 1970); two days
    "fastest_names": "{lobby}:fastest:$:names",  # hash: player id -> name, beside it; two days
    "ch_lobby": "{lobby}:ch",
    "ch_player": "{lobby}:ch:player:$",
    # --- a room's slot ---
    "room": "room:{$}",  # hash: the room and its current round; ROOM_TTL_S
    "players": "room:{$}:players",  # zset: player id -> seat number (join order); ROOM_TTL_S
    "spectators": "room:{$}:spectators",  # zset: player id -> seat number; ROOM_TTL_S
    "presses": "room:{$}:presses",  # hash: presses and results of the current round; ROOM_TTL_S
    "scores": "room:{$}:scores",  # hash: player id -> match points; ROOM_TTL_S
    "kicked": "room:{$}:kicked",  # hash: player id, or "addr:<tag>" -> when kicked (ms); ROOM_TTL_S
    "stats": "room:{$}:stats",  # hash: "<n|sum|best|early>:<player id>" for this match; ROOM_TTL_S
    # hash: player id -> what the room knows of a member (JSON: name, created, addr, best, online
    # until), copied in when they take a seat and kept current by their moves; ROOM_TTL_S
    "members": "room:{$}:members",
    "ch_room": "room:{$}:ch",
    # --- a client address's: its rate-limit counters, one slot per address (its tag) ---
    # "limit:{<tag>}:<what>:<player id or tag>": requests in a window; the window
    "limit": "limit:{$}:",
    # --- one key each, in any slot ---
    # a relay's home channel, with a hash tag on the shard it watches appended (nothing is published
    # there): game/relay.py
    "relay": "relay:",
    "tutorial": "tut:{$}:",  # a mounted tutorial chapter's key prefix: its keys share one slot; an hour
}

# The families, as the scripts declare them (game/scripts.py): a room script gets all of its
# room's keys; a lobby script the lobby's fixed keys, plus the per-player keys it names.
ROOM_KEYS = ("room", "players", "spectators", "presses", "scores", "kicked", "stats", "members", "ch_room")
LOBBY_KEYS = ("names", "presence", "streams", "procs", "queue", "queue_seq", "lobby_tick", "cards", "public",
              "quick", "ch_lobby")


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, name: str, arg: str = "") -> str:
        """The key (or channel) of template `name` for `arg`."""
        return self.prefix + TEMPLATES[name].replace("$", arg)

    def room_keys(self, code: str) -> dict[str, str]:
        return {name: self.key(name, code) for name in ROOM_KEYS}

    def lobby_keys(self) -> dict[str, str]:
        return {name: self.key(name) for name in LOBBY_KEYS}

    # The names Python reads or watches directly.
    def player(self, pid: str) -> str:
        return self.key("player", pid)

    def room(self, code: str) -> str:
        return self.key("room", code)

    def limit(self, address: str, name: str = "") -> str:
        """A counter of the client address tagged `address` (all of one request's in one slot)."""
        return self.key("limit", address) + name

    def tutorial(self, name: str) -> str:
        return self.key("tutorial", name)

    def lobby_channel(self) -> str:
        return self.key("ch_lobby")

    def room_channel(self, code: str) -> str:
        return self.key("ch_room", code)

    def player_channel(self, pid: str) -> str:
        return self.key("ch_player", pid)

    def relay_channel(self) -> str:
        return self.key("relay")

    def room_of_channel(self, channel: str) -> str | None:
        """The room code of a room channel (None for any other channel)."""
        return self.parse("ch_room", channel)

    def pattern(self, name: str) -> str:
        """A glob matching every key of one template, e.g. `pattern("players")` (braces escaped)."""
        return self.key(name, "*").replace("{", "\\{").replace("}", "\\}")

    def parse(self, name: str, key: str) -> str | None:
        """The player id or room code in `key`, if it is a key of that template."""
        head, _, tail = (self.prefix + TEMPLATES[name]).partition("$")
        if not (key.startswith(head) and key.endswith(tail)) or len(key) < len(head) + len(tail):
            return None
        arg = key[len(head) : len(key) - len(tail)]
        return arg if arg and not any(c in arg for c in ":{}") else None
