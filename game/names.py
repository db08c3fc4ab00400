"""What makes a player name acceptable: 1 to 20 visible characters."""

from __future__ import annotations

import unicodedata

MAX_NAME = 20
# Control, format (zero-width and bidi tricks), surrogate, private-use,
# unassigned, and line/paragraph separators are not visible characters.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_name(raw: object) -> tuple[str | None, str]:
    """(name, "") when acceptable, else (None, a message for the player)."""
    if not isinstance(raw, str):
        return None, "Type a name."
    name = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in _INVISIBLE for ch in name):
        return None, "Names cannot contain control or invisible characters."
    name = " ".join(name.split())  # one space between words
    if not name:
        return None, "Type a name."
    if len(name) > MAX_NAME:
        return None, f"At most {MAX_NAME} characters, please."
    return name, ""


def name_key(name: str) -> str:
    """Names are unique regardless of case."""
    return name.casefold()
