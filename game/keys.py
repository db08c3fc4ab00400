"""Every Redis key and pub/sub channel name, built in one place.

The same templates serve Python and the Lua scripts (see `lua_prelude`), so a
key is spelled exactly once and everything shares one prefix.
"""

from __future__ import annotations

# name -> template; "{}" is filled with a player id, a room code or a name key.
# Every key has a bound on its life, given beside it (PLAYER_TTL_S is
# Settings.player_ttl_s, renewed whenever the player opens a stream; ROOM_TTL_S
# is Settings.room_ttl_s, renewed by every change and while a stream shows the room).
TEMPLATES: dict[str, str] = {
    "player": "player:{}",  # hash: name, name_keys, created, room, role, addr, best; PLAYER_TTL_S
    # string: the player id holding this name key (game.names.name_keys: case and look-alikes folded); PLAYER_TTL_S
    "name": "name:{}",
    # zset: player id -> online-until (ms), CONNECTED while a stream is open; entries trimmed after an hour
    "presence": "presence",
    "streams": "streams:{}",  # zset: stream id -> opened (ms), a player's open streams; PLAYER_TTL_S
    # zset: process id -> lease-until (ms); a process whose lease ran out is removed by the next renewal
    "procs": "procs",
    "proc_streams": "proc:{}:streams",  # set: "<player id> <stream id>" a process holds; two leases
    "limit": "limit:{}",  # counter: requests in a window, "<what>:<player id or address tag>"; the window
    "queue": "queue",  # zset: player id -> enqueue order; at most Settings.max_queue, swept when players leave
    "lobby_tick": "lobby:tick",  # flag: the lobby was woken lately; Settings.lobby_wake_ms
    "queue_seq": "queue:seq",  # counter for queue order; one key
    "public": "rooms:public",  # zset: room code -> list order, the open public rooms; entries leave with their room
    "room": "room:{}",  # hash: the room and its current round; ROOM_TTL_S
    "players": "room:{}:players",  # zset: player id -> seat number (join order); ROOM_TTL_S
    "spectators": "room:{}:spectators",  # zset: player id -> seat number; ROOM_TTL_S
    "presses": "room:{}:presses",  # hash: presses and results of the current round; ROOM_TTL_S
    "scores": "room:{}:scores",  # hash: player id -> match points; ROOM_TTL_S
    "kicked": "room:{}:kicked",  # hash: player id, or "addr:<tag>" -> when kicked (ms); ROOM_TTL_S
    "stats": "room:{}:stats",  # hash: "<n|sum|best|early|name>:<player id>" for this match; ROOM_TTL_S
    "quick": "rooms:quick",  # zset: code -> created (ms), the open quick-play rooms; entries leave with their room
    "fastest": "fastest:{}",  # zset: player id -> best ms on that UTC day (days since 1970); two days
    "fastest_names": "fastest:{}:names",  # hash: player id -> name, beside it; two days
    "ch_lobby": "ch:lobby",
    "ch_room": "ch:room:{}",
    "ch_player": "ch:player:{}",
    "ch_relay": "ch:relay",  # every relay subscribes to it (nothing is published there): see game/relay.py
    "tutorial": "tut:{}",  # the tutorial's own demo keys and channels (tutorial/); an hour
}

ROOM_KEYS = ("room", "players", "spectators", "presses", "scores", "kicked", "stats")


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _key(self, name: str, arg: str = "") -> str:
        return self.prefix + TEMPLATES[name].format(arg)

    def player(self, pid: str) -> str:
        return self._key("player", pid)

    def name(self, key: str) -> str:
        return self._key("name", key)

    def presence(self) -> str:
        return self._key("presence")

    def streams(self, pid: str) -> str:
        return self._key("streams", pid)

    def proc_streams(self, proc: str) -> str:
        return self._key("proc_streams", proc)

    def procs(self) -> str:
        return self._key("procs")

    def limit(self, name: str) -> str:
        return self._key("limit", name)

    def queue(self) -> str:
        return self._key("queue")

    def public(self) -> str:
        return self._key("public")

    def room(self, code: str) -> str:
        return self._key("room", code)

    def players(self, code: str) -> str:
        return self._key("players", code)

    def spectators(self, code: str) -> str:
        return self._key("spectators", code)

    def presses(self, code: str) -> str:
        return self._key("presses", code)

    def kicked(self, code: str) -> str:
        return self._key("kicked", code)

    def scores(self, code: str) -> str:
        return self._key("scores", code)

    def stats(self, code: str) -> str:
        return self._key("stats", code)

    def quick(self) -> str:
        return self._key("quick")

    def fastest(self, day: int) -> str:
        return self._key("fastest", str(day))

    def room_keys(self, code: str) -> list[str]:
        return [self._key(name, code) for name in ROOM_KEYS]

    def lobby_channel(self) -> str:
        return self._key("ch_lobby")

    def room_channel(self, code: str) -> str:
        return self._key("ch_room", code)

    def player_channel(self, pid: str) -> str:
        return self._key("ch_player", pid)

    def relay_channel(self) -> str:
        return self._key("ch_relay")

    def room_of_channel(self, channel: str) -> str | None:
        """The room code of a room channel (None for any other channel)."""
        return self.parse("ch_room", channel)

    def pattern(self, name: str) -> str:
        """A glob matching every key of one template, e.g. `pattern("players")`."""
        return self._key(name, "*")

    def parse(self, name: str, key: str) -> str | None:
        """The player id or room code in `key`, if it is a key of that template."""
        head, _, tail = (self.prefix + TEMPLATES[name]).partition("{}")
        if not (key.startswith(head) and key.endswith(tail)) or len(key) < len(head) + len(tail):
            return None
        arg = key[len(head) : len(key) - len(tail)]
        return arg if arg and ":" not in arg else None

    def tutorial(self, name: str) -> str:
        return self._key("tutorial", name)

    def lua_prelude(self) -> str:
        """Lua functions K.<name>(arg) mirroring the templates above."""
        lines = ["local K = {}"]
        for name, template in TEMPLATES.items():
            head, _, tail = (self.prefix + template).partition("{}")
            if "{}" in template:
                lines.append(f"K.{name} = function(a) return {head!r} .. a .. {tail!r} end")
            else:
                lines.append(f"K.{name} = function() return {head!r} end")
        lines.append("K.room_keys = {" + ", ".join(f"K.{n}" for n in ROOM_KEYS) + "}")
        return "\n".join(lines) + "\n"
