"""What makes a player name acceptable, and when two names are the same name.

A name is 1 to 20 characters a person can see. Unicode's own properties say
which characters show nothing (ICU knows them: Python's unicodedata lacks
Default_Ignorable_Code_Point), a short list adds the symbols drawn blank, and a
combining mark must follow a letter. Two names are the same name when they are
one name in another case or width ("Ann", "ANN", "Ａｎｎ") or when a person could
take one for the other ("Аnn" with a Cyrillic А, "ΑΝΝ" in Greek, "BiIl" with a
capital i for "Bill"). Unicode's confusable skeleton (UTS #39, as ICU computes
it) decides the look. Only uniqueness uses the keys; a name is shown as typed.
"""

from __future__ import annotations

import unicodedata

from icu import Char, Normalizer2, SpoofChecker, UProperty

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
_SPOOF = SpoofChecker()
# Case and width folded, ignorables dropped: UAX #31's NFKC_Casefold.
_FOLD = Normalizer2.getNFKCCasefoldInstance()


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


def name_keys(name: str) -> list[str]:
    """The keys a name holds in Redis: two names that share one are the same name.

    One key cannot do both: a skeleton keeps case ("I" looks like "l", "i" does
    not), and folding case first loses the look ("ΑΝΝ" folds to "ανν", which
    looks like "avv", not "ann"). So a name holds the skeleton of its folded
    form (the same name in another case or width) and the folded skeleton of
    the name as written (a look-alike, in any case); most names hold one key.
    """
    folded = _skeleton(_FOLD.normalize(name))
    looks = _skeleton(_FOLD.normalize(_skeleton(name)))
    return sorted({folded, looks})


def _skeleton(text: str) -> str:
    """UTS #39's skeleton: the same string for strings that look alike."""
    return _SPOOF.getSkeleton(0, text)  # the type argument is ignored since ICU 58
