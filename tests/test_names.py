"""Names that cannot be faked: what shows nothing is refused, and names that are
one name in another case, or that look alike, are the same name (game/names.py)."""

import unicodedata

import pytest

from game.names import clean_name, name_keys

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


def same_name(one: str, other: str) -> bool:
    """What Redis decides: two names are one when they share a key."""
    return bool(set(name_keys(one)) & set(name_keys(other)))


def assert_one_name(*pairs: tuple[str, str]) -> None:
    for one, other in pairs:
        assert clean_name(other) == (other, "")  # accepted, and shown as typed
        assert same_name(one, other), (one, other)


@pytest.mark.parametrize("family", BLANKS)
def test_a_name_made_of_or_padded_with_what_shows_nothing_is_refused(family):
    for blank in BLANKS[family]:
        for raw in (blank, blank * 3, f"Ann{blank}", f"{blank}Ann", f"A{blank}nn"):
            assert clean_name(raw) == (None, INVISIBLE), ascii(raw)


def test_an_emojis_colour_selector_is_part_of_the_emoji_not_padding():
    assert clean_name("Ann \u2764\ufe0f") == ("Ann \u2764\ufe0f", "")  # ❤️ as phone keyboards type it
    assert clean_name("Ann\ufe0f") == (None, INVISIBLE)
    assert same_name("Ann \u2764\ufe0f", "Ann \u2764")


def test_an_accent_or_other_mark_must_follow_a_letter():
    for raw in ("\u0301", "\u0301\u0301", "\u0301Ann", "Ann \u0301", "\u20dd", "\u093f", "\u0e31"):
        assert clean_name(raw) == (None, "An accent or other mark must follow a letter."), ascii(raw)
    for raw in ("Zo\u00eb", "Zoe\u0308", "नमस्ते", "ไทย", "1\ufe0f\u20e3"):  # 1️⃣: a mark on an emoji
        assert clean_name(raw) == (unicodedata.normalize("NFC", raw), ""), ascii(raw)


def test_a_name_in_another_case_or_width_is_one_name():
    assert_one_name(
        ("Ann", "ANN"), ("Ann", "Ａｎｎ"), ("Ann", "ＡＮＮ"),
        ("Ian", "IAN"),  # a capital I looks like l, yet IAN is Ian in capitals
        ("\u03bd\u03b9\u03ba\u03bf\u03c2", "\u039d\u0399\u039a\u039f\u03a3"),  # νικος, ΝΙΚΟΣ
        ("Stra\u00dfe", "STRASSE"),
    )


def test_look_alike_letters_of_other_scripts_are_one_name():
    assert_one_name(
        ("Ann", "\u0410nn"), ("Ann", "\u0430nn"),  # a Cyrillic А, а
        ("ANN", "\u0391\u039d\u039d"), ("Ann", "\u0391\u039d\u039d"),  # ΑΝΝ in Greek, in any case
        ("paypal", "\u0440\u0430\u0443\u0440\u0430l"),  # раураl: Cyrillic р, а, у
        ("KATE", "\u041a\u0410\u0422\u0415"), ("BOB", "\u0412\u041e\u0412"),  # Cyrillic capitals
        ("Ann", "\U0001d400\U0001d427\U0001d427"),  # mathematical bold 𝐀𝐧𝐧
    )


def test_look_alike_ascii_is_one_name_and_different_letters_are_not():
    assert_one_name(("Bill", "BiIl"), ("BOB", "B0B"), ("Emma", "Ernrna"))
    for one, other in (("Ann", "Anna"), ("Zo\u00eb", "Zoe"), ("Bob", "Rob"), ("Ann", "Avv"), ("Ann", "A nn")):
        assert not same_name(one, other), (one, other)
