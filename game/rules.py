"""The game's fixed rules, each written once: room codes, phases, what a buzz
may claim, and the message that closes a stream.

Python reads them from here and the Lua scripts from `lua_prelude` (a table
`R` put before every script), so a rule never has two spellings. The rules an
operator may tune (seats, rounds, timings, the human floor) are settings, in
`game/config.py`.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 5
ROOM_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    """A fresh room code (a collision with a live room is refused by the room's script)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))

IN_MATCH = ("ready", "decoy", "go", "results")  # the phases of a match under way (then "final", or back to "lobby")
ROLES = ("player", "spectator")

MAX_CLAIM_MS = 60_000  # the longest reaction a buzz may claim
MAX_ROUND_ID = 20  # characters: a round id is a counter, so anything longer is not a round

EVICT = "close:"  # a message "close:<stream id>" on a player channel closes that stream


def room_code(text: str) -> str | None:
    """The room code in what a person typed or a URL held, or None."""
    code = text.strip().upper()
    return code if ROOM_CODE.match(code) else None


@dataclass(frozen=True)
class Buzz:
    """A press as the buzzer reports it: in which round, how fast, or too early."""

    round_id: str
    ms: int | None
    early: bool


def parse_buzz(body: dict[str, object]) -> Buzz:
    """A buzz from a request body; ValueError with a sentence for the player if malformed."""
    round_id, ms, early = body.get("round_id"), body.get("ms"), body.get("early")
    if not isinstance(round_id, str):
        raise ValueError("'round_id' must be a string.")
    if not isinstance(early, bool):
        raise ValueError("'early' must be true or false.")
    if not early and (type(ms) is not int or not 0 <= ms <= MAX_CLAIM_MS):
        raise ValueError(f"'ms' must be a whole number of milliseconds from 0 to {MAX_CLAIM_MS}.")
    return Buzz(round_id, None if early else ms, early)  # type: ignore[arg-type]


def lua_prelude() -> str:
    """The rules above as a Lua table `R`, for every script."""
    in_match = ", ".join(f"[{json.dumps(phase)}] = true" for phase in IN_MATCH)
    return f"local R = {{EVICT = {json.dumps(EVICT)}, IN_MATCH = {{{in_match}}}}}\n"
