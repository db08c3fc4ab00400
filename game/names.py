"""What makes a player name acceptable: 1 to 20 characters a person can see.

Unicode's own properties say which characters show nothing (ICU knows them:
Python's unicodedata lacks Default_Ignorable_Code_Point), a short list adds the
symbols drawn blank, and a combining mark must follow a letter.
"""

from __future__ import annotations

import unicodedata

from icu import Char, UProperty

MAX_NAME = 20

# What a person cannot see, whatever Unicode calls it:
# - the general categories control, format (zero-width and bidi tricks),
#   surrogate, private-use, unassigned, and line/paragraph separators;
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# - Default_Ignorable_Code_Point, asked of ICU (Python's unicodedata lacks it):
#   what fonts draw as nothing, letters and marks among them (the Hangul fillers,
#   variation selectors, the combining grapheme joiner...);
# - symbols whose glyph is blank by design: BRAILLE PATTERN BLANK (a cell with
#   no dots), MUSICAL SYMBOL NULL NOTEHEAD.
_BLANK_SYMBOLS = {"\u2800", "\U0001d159"}
# Emoji keyboards type some emoji with a variation selector (U+FE0F: draw it in
# colour). Right after an emoji it is part of that emoji, not padding.
_EMOJI_STYLE = {"\ufe0e", "\ufe0f"}


def clean_name(raw: object) -> tuple[str | None, str]:
    """(name, "") when acceptable, else (None, a message for the player)."""
    if not isinstance(raw, str):
        return None, "Type a name."
    name = unicodedata.normalize("NFC", raw).strip()
    if any(_invisible_at(name, i) for i in range(len(name))):
        return None, "Names cannot contain control or invisible characters."
    name = " ".join(name.split())  # one space between words
    if not name:
        return None, "Type a name."
    if any(_is_mark(ch) and (i == 0 or name[i - 1] == " ") for i, ch in enumerate(name)):
        return None, "An accent or other mark must follow a letter."
    if len(name) > MAX_NAME:
        return None, f"At most {MAX_NAME} characters, please."
    return name, ""


def _invisible_at(name: str, i: int) -> bool:
    """Whether the character at i shows nothing (an emoji's variation selector shows the emoji).

    ICU is asked by code point: to its strings a lone surrogate is no character.
    """
    ch = name[i]
    if ch in _EMOJI_STYLE and i > 0 and Char.hasBinaryProperty(ord(name[i - 1]), UProperty.EMOJI):
        return False
    return (unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _BLANK_SYMBOLS
            or Char.hasBinaryProperty(ord(ch), UProperty.DEFAULT_IGNORABLE_CODE_POINT))


def _is_mark(ch: str) -> bool:
    """A combining mark (an accent, a vowel sign): drawn on the character before it."""
    return unicodedata.category(ch).startswith("M")


def name_key(name: str) -> str:
    """Names are unique regardless of case."""
    return name.casefold()
