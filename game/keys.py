"""Every Redis key and pub/sub channel name, built in one place.

The same templates serve Python and the Lua scripts (see `lua_prelude`), so a
key is spelled exactly once and everything shares one prefix.
"""

from __future__ import annotations

# name -> template; "{}" is filled with a player id or a room code.
TEMPLATES: dict[str, str] = {
    "player": "player:{}",  # hash: name, room, role
    "names": "names",  # hash: lower-cased name -> player id
    "presence": "presence",  # zset: player id -> online-until (ms); CONNECTED while a stream is open
    "conns": "conns:{}",  # zset: stream id -> opened (ms), a player's open streams
    "procs": "procs",  # zset: process id -> lease-until (ms), the processes holding streams
    "proc_conns": "proc:{}:conns",  # set: "<player id> <stream id>" of each stream a process holds
    "rate": "rate:{}",  # counter: a player's commands in the current window
    "queue": "queue",  # zset: player id -> enqueue order
    "lobby_tick": "lobby:tick",  # flag: the lobby was woken for presence lately
    "queue_seq": "queue:seq",  # counter for queue order
    "public": "rooms:public",  # zset: room code -> created (ms)
    "room": "room:{}",  # hash: the room and its current round
    "seats": "room:{}:players",  # zset: player id -> join order
    "watchers": "room:{}:spectators",  # zset: player id -> join order
    "round": "room:{}:round",  # hash: presses and results of the current round
    "scores": "room:{}:scores",  # hash: player id -> match points
    "kicked": "room:{}:kicked",  # set: player ids kicked from this match
    "ch_lobby": "ch:lobby",
    "ch_room": "ch:room:{}",
    "ch_player": "ch:player:{}",
    "tutorial": "tut:{}",  # the tutorial's own demo keys and channels (game/tutorial/)
}

ROOM_KEYS = ("room", "seats", "watchers", "round", "scores", "kicked")


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _key(self, name: str, arg: str = "") -> str:
        return self.prefix + TEMPLATES[name].format(arg)

    def player(self, pid: str) -> str:
        return self._key("player", pid)

    def names(self) -> str:
        return self._key("names")

    def presence(self) -> str:
        return self._key("presence")

    def conns(self, pid: str) -> str:
        return self._key("conns", pid)

    def procs(self) -> str:
        return self._key("procs")

    def rate(self, pid: str) -> str:
        return self._key("rate", pid)

    def queue(self) -> str:
        return self._key("queue")

    def public(self) -> str:
        return self._key("public")

    def room(self, code: str) -> str:
        return self._key("room", code)

    def seats(self, code: str) -> str:
        return self._key("seats", code)

    def watchers(self, code: str) -> str:
        return self._key("watchers", code)

    def round(self, code: str) -> str:
        return self._key("round", code)

    def scores(self, code: str) -> str:
        return self._key("scores", code)

    def room_keys(self, code: str) -> list[str]:
        return [self._key(name, code) for name in ROOM_KEYS]

    def lobby_channel(self) -> str:
        return self._key("ch_lobby")

    def room_channel(self, code: str) -> str:
        return self._key("ch_room", code)

    def player_channel(self, pid: str) -> str:
        return self._key("ch_player", pid)

    def room_of_channel(self, channel: str) -> str | None:
        """The room code of a room channel (None for any other channel)."""
        head = self.room_channel("")
        return channel.removeprefix(head) if channel.startswith(head) else None

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
