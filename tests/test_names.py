"""Names that cannot be faked: what shows nothing is refused (game/names.py)."""

import unicodedata

import pytest

from game.names import clean_name

INVISIBLE = "Names cannot contain control or invisible characters."
BLANKS = {
    "Hangul fillers: letters that show nothing": ["\u3164", "\u115f", "\u1160", "\uffa0"],
    "symbols drawn blank": ["\u2800", "\U0001d159"],  # Braille pattern blank, musical null notehead
    # Unicode's Default_Ignorable_Code_Point (a grapheme joiner, a Khmer vowel, variation
    # selectors), with the zero-width, format and surrogate characters refused before it.
    "ignorable and format characters": [
        "\u034f", "\u17b4", "\ufe00", "\U000e0100", "\u180e", "\u200b", "\u2060", "\ud800",
    ],
}


@pytest.mark.parametrize("family", BLANKS)
def test_a_name_made_of_or_padded_with_what_shows_nothing_is_refused(family):
    for blank in BLANKS[family]:
        for raw in (blank, blank * 3, f"Ann{blank}", f"{blank}Ann", f"A{blank}nn"):
            assert clean_name(raw) == (None, INVISIBLE), ascii(raw)


def test_an_emojis_colour_selector_is_part_of_the_emoji_not_padding():
    assert clean_name("Ann \u2764\ufe0f") == ("Ann \u2764\ufe0f", "")  # ❤️ as phone keyboards type it
    assert clean_name("Ann\ufe0f") == (None, INVISIBLE)


def test_an_accent_or_other_mark_must_follow_a_letter():
    for raw in ("\u0301", "\u0301\u0301", "\u0301Ann", "Ann \u0301", "\u20dd", "\u093f", "\u0e31"):
        assert clean_name(raw) == (None, "An accent or other mark must follow a letter."), ascii(raw)
    for raw in ("Zo\u00eb", "Zoe\u0308", "नमस्ते", "ไทย", "1\ufe0f\u20e3"):  # 1️⃣: a mark on an emoji
        assert clean_name(raw) == (unicodedata.normalize("NFC", raw), ""), ascii(raw)
