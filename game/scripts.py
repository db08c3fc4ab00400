"""The game's Lua scripts: assembled, loaded, and called with their keys declared.

Each script lives in one slot (game/keys.py): a room script in its room's
slot, a lobby script in the lobby's, the limit script in its counter's. A
call passes every key the script touches in KEYS (its family's keys, plus
the per-player or per-process keys the caller names) and only data in ARGV:
ARGV[1] is the JSON of the call's arguments and of the settings that script
reads (found in its text as `A.<setting>`), ARGV[2] names each key (`room`,
`player:<id>`, ...) so the script reads `K.room` or `K.player(pid)`.

A script asking for a key it was not given fails loudly: `K.player(pid)` of an
undeclared player raises, and with Settings.check_script_keys every
`call(...)` checks its key is declared (the suite runs so). Errors name the
Lua file and line they come from, not a line of the assembled text.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from game import rules
from game.config import Settings
from game.keys import TEMPLATES, Keys

LUA_DIR = Path(__file__).parent / "lua"
FAMILIES = ("room", "lobby", "limit")  # folders under game/lua; room.lua and lobby.lua are their libraries

# The key check: commands whose every argument is a key, and commands that take none.
ALL_KEYS = {"DEL", "EXISTS", "UNLINK"}
NO_KEYS = {"TIME", "SPUBLISH"}
CHECKED_CALL = """
local DECLARED = {}
for _, key in ipairs(KEYS) do DECLARED[key] = true end
local ALL_KEYS = {%s}
local NO_KEYS = {%s}
local function call(command, ...)
  local args = {...}
  local name = string.upper(command)
  if not NO_KEYS[name] then
    local last = ALL_KEYS[name] and #args or 1
    for i = 1, last do
      if not DECLARED[args[i]] then error('undeclared key ' .. tostring(args[i]) .. ' in ' .. name) end
    end
  end
  return redis.call(command, ...)
end
""" % (", ".join(f"{c} = true" for c in sorted(ALL_KEYS)), ", ".join(f"{c} = true" for c in sorted(NO_KEYS)))
PLAIN_CALL = "local call = redis.call\n"


class GameError(Exception):
    """A refused command: an HTTP status and a message for the player."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ScriptError(Exception):
    """A script failed inside Redis: the message names the Lua file and line."""


@dataclass(frozen=True)
class Part:
    name: str  # file, relative to game/lua, or "(prelude)"
    first: int  # its first line in the assembled script (1-based)
    lines: int


@dataclass(frozen=True)
class Loaded:
    name: str
    family: str
    text: str
    parts: tuple[Part, ...]
    settings: tuple[str, ...]  # the settings this script reads (A.<name>)

    def where(self, line: int) -> str:
        for part in self.parts:
            if part.first <= line < part.first + part.lines:
                return f"{part.name}:{line - part.first + 1}"
        return f"line {line}"


def prelude(keys: Keys, family: str, check: bool) -> str:
    """The keys a script reads as K.<name> (given in KEYS, named by ARGV[2]), the key check,
    the arguments A, and the fixed rules R."""
    lines = [
        "local K = {}",
        "for i, label in ipairs(cjson.decode(ARGV[2])) do K[label] = KEYS[i] end",
        "local function declared(label)",
        "  local key = K[label]",
        "  if not key then error('undeclared key ' .. label) end",
        "  return key",
        "end",
    ]
    if family == "lobby":  # per-player, per-process and per-day keys, declared by the caller
        for name in ("player", "proc_streams", "fastest", "fastest_names"):
            lines.append(f"K.{name} = function(a) return declared('{name}:' .. a) end")
    head, _, tail = (keys.prefix + TEMPLATES["ch_player"]).partition("$")
    lines.append(f"K.ch_player = function(pid) return {head!r} .. pid .. {tail!r} end")
    lines.append("local A = cjson.decode(ARGV[1])")
    return "\n".join(lines) + "\n" + (CHECKED_CALL if check else PLAIN_CALL) + rules.lua_prelude()


def assemble(name: str, family: str, keys: Keys, check: bool) -> Loaded:
    sources = [("(prelude)", prelude(keys, family, check)), ("common.lua", (LUA_DIR / "common.lua").read_text())]
    library = LUA_DIR / f"{family}.lua"
    if library.exists():
        sources.append((library.name, library.read_text()))
    sources.append((f"{family}/{name}.lua", (LUA_DIR / family / f"{name}.lua").read_text()))
    parts, text, line = [], "", 1
    for part_name, source in sources:
        source = source if source.endswith("\n") else source + "\n"
        count = source.count("\n")
        parts.append(Part(part_name, line, count))
        text += source
        line += count
    fields = {f for f in Settings.__dataclass_fields__ if f not in ("redis_url", "secret_key")}
    used = tuple(sorted(set(re.findall(r"\bA\.(\w+)", text)) & fields))
    return Loaded(name, family, text, tuple(parts), used)


class Scripts:
    """Every script, loaded into Redis, called as `scripts.call(name, keys, **args)`
    through the typed functions of game/moves.py."""

    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        self.redis = redis
        self.keys = keys
        values = asdict(settings)
        self._values = values
        self._loaded: dict[str, Loaded] = {}
        self._scripts: dict[str, Any] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        for family in FAMILIES:
            for path in sorted((LUA_DIR / family).glob("*.lua")):
                loaded = assemble(path.stem, family, keys, settings.check_script_keys)
                self._loaded[path.stem] = loaded
                self._scripts[path.stem] = redis.register_script(loaded.text)
                self._settings[path.stem] = {name: values[name] for name in loaded.settings}

    def settings_value(self, name: str) -> Any:
        return self._values[name]

    def room(self, code: str) -> dict[str, str]:
        """A room script's keys: its room's whole family (its channel too: one slot)."""
        return self.keys.room_keys(code)

    def lobby(self, pids: tuple[str, ...] = (), procs: tuple[str, ...] = (), day: int | None = None) -> dict[str, str]:
        """A lobby script's keys: the lobby's, plus the players', processes' and day's it names."""
        k = self.keys
        found = k.lobby_keys()
        for pid in pids:
            found[f"player:{pid}"] = k.player(pid)
        for proc in procs:
            found[f"proc_streams:{proc}"] = k.key("proc_streams", proc)
        if day is not None:
            found[f"fastest:{day}"] = k.key("fastest", str(day))
            found[f"fastest_names:{day}"] = k.key("fastest_names", str(day))
        return found

    async def call(self, name: str, keys: dict[str, str], /, **args: Any) -> dict[str, Any]:
        """Run one script; a refusal becomes a GameError, a failure a ScriptError naming its file:line."""
        loaded = self._loaded[name]
        args = {k: v for k, v in args.items() if v is not None}
        payload = json.dumps({**self._settings[name], **args})
        labels, names = list(keys.values()), list(keys.keys())
        try:
            raw = await self._scripts[name](keys=labels, args=[payload, json.dumps(names)])
        except ResponseError as exc:
            raise ScriptError(self._explain(loaded, str(exc))) from exc
        result: dict[str, Any] = json.loads(raw)
        if "error" in result:
            raise GameError(int(result["status"]), result["error"])
        return result

    @staticmethod
    def _explain(loaded: Loaded, message: str) -> str:
        found = re.search(r"user_script:(\d+):", message)
        where = loaded.where(int(found.group(1))) if found else "?"
        return f"{loaded.family}/{loaded.name}: {where}: {message}"


