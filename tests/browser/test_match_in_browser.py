"""The game as people play it: real Chromium tabs against the real server.

Each person is a browser context of their own; they type, click and press keys
like a player would, and every check waits for what the page shows. Timings
are the suite's fast ones (GO after 400-700 ms, rounds end 1500 ms after GO,
results stay 600 ms), so short-lived states are read from the record each page
keeps of what it showed (window.__seen, see conftest.RECORDER).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]

# A person needs time to see GO: a press under 100 ms after it is a false start
# by the rules, so a player here presses once this long has passed since GO.
REACTION_MS = 200
LONG = 15_000
STATUS = "h2#status"  # the page's status line (the buzzer's shadow root has an #status of its own)  # a whole match at the fast test timings fits well inside this


# -- what a player does ---------------------------------------------------


async def pick_name(page: Page, name: str) -> None:
    """Type a name on the first screen and submit it; the lobby greets you."""
    field = page.locator("#name")
    await field.fill(name)
    await expect(page.locator("#name-error")).to_be_hidden()
    await page.get_by_role("button", name="Let's play").click()
    await expect(page.locator("#view h1")).to_have_text(f"Hi, {name}")


async def create_room(page: Page, public: bool = True) -> str:
    """Create a room from the lobby; returns its code as the page shows it."""
    await page.get_by_role("button", name="Public room" if public else "Private room").click()
    code = page.locator("#room-code")
    await expect(code).to_have_text(re.compile(r"^[A-Z0-9]{5}$"))
    return await code.inner_text()


async def join_from_open_rooms(page: Page, code: str) -> None:
    """Find the room in the lobby's "Open rooms" list and join it."""
    listed = page.locator("#public-rooms").locator(f"#room-{code}")
    await expect(listed).to_contain_text(code)
    await listed.get_by_role("button", name="Join", exact=True).click()
    await expect(page.locator("#room-code")).to_have_text(code)


async def start_match(host: Page, rounds: int, *others: Page) -> None:
    """The host picks the number of rounds and starts; everyone sees the setting first."""
    await host.locator("#rounds").select_option(str(rounds))
    for page in others:
        await expect(page.locator("#host-controls")).to_contain_text(f"{rounds} round{'' if rounds == 1 else 's'}.")
    await expect(host.locator("#rounds")).to_have_value(str(rounds))
    await host.locator("#start").click()


def row(page: Page, name: str):
    """The players-table row of the player called `name`."""
    return page.locator("#players tbody tr").filter(has=page.locator(".name").get_by_text(name, exact=True))


async def saw_status(page: Page, text: str, timeout: float = LONG) -> None:
    """Wait until #status shows (or has shown) `text`, however briefly."""
    await page.wait_for_function(
        "text => window.__seen.status.some((s) => s.includes(text))", arg=text, timeout=timeout
    )


async def buzzer_phase(page: Page, phase: str) -> str:
    """Wait, frame by frame, for the buzzer to show `phase`; returns the round id."""
    handle = await page.wait_for_function(
        """phase => {
            const b = document.querySelector('reflex-buzzer');
            return b && b.getAttribute('phase') === phase && b.getAttribute('round-id');
        }""",
        arg=phase, polling="raf", timeout=LONG,
    )
    return await handle.json_value()


async def react_to_go(page: Page) -> str:
    """Wait for GO on this page and a human reaction time after it; returns the round id."""
    handle = await page.wait_for_function(
        """ms => {
            const b = document.querySelector('reflex-buzzer');
            if (!b || b.getAttribute('phase') !== 'go') return false;
            const round = b.getAttribute('round-id');
            const at = window.__seen.goAt[round];
            return at !== undefined && performance.now() - at >= ms && round;
        }""",
        arg=REACTION_MS, polling="raf", timeout=LONG,
    )
    return await handle.json_value()


async def press_space(page: Page) -> None:
    """Press with the keyboard: Space anywhere on the page (not in a form field)."""
    await page.keyboard.press("Space")


async def press_pointer(page: Page) -> None:
    """Press with the mouse on the buzzer itself (the locator pierces its shadow root)."""
    await page.locator("reflex-buzzer button.buzz").click()


async def seen(page: Page, what: str):
    return await page.evaluate(f"window.__seen.{what}")


# -- the rules ------------------------------------------------------------


async def test_two_players_play_a_full_match(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()

    # The name form checks as you type: 21 characters is one too many.
    await a.locator("#name").fill("A" * 21)
    await expect(a.locator("#name-error")).to_be_visible()
    await expect(a.locator("#name-error")).to_contain_text("At most 20 characters")
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")

    # Ann opens a public room; Bob finds it under "Open rooms" and joins.
    code = await create_room(a, public=True)
    await join_from_open_rooms(b, code)
    await expect(row(a, "Bob")).to_be_visible()
    await expect(row(b, "Ann")).to_be_visible()

    # Ann hosts: one round, start. Both are told to get ready.
    await start_match(a, 1, b)
    await saw_status(a, "get ready")
    await saw_status(b, "get ready")

    # At GO both press: Ann with the Space bar, Bob with the mouse on the buzzer.
    await react_to_go(a)
    await press_space(a)
    await react_to_go(b)
    await press_pointer(b)

    # Both see the round's results, then the final scores with both names.
    for page in (a, b):
        await saw_status(page, "Round 1 of 1:")
        await expect(page.locator(STATUS)).to_have_text("Final scores", timeout=LONG)
        names = page.locator("#scoreboard .name")
        await expect(names).to_have_count(2)
        assert sorted(await names.all_inner_texts()) == ["Ann", "Bob"]
        assert any("wins" in s or " win" in s for s in await seen(page, "status")), await seen(page, "status")

    # Each sees their own reaction time, and "you" marks their own row only.
    for page, me, other in ((a, "Ann", "Bob"), (b, "Bob", "Ann")):
        mine = row(page, me)
        await expect(mine).to_have_class(re.compile(r"\byou\b"))
        await expect(mine.locator(".tag", has_text="you")).to_be_visible()
        await expect(mine.locator(".result")).to_have_text(re.compile(r"^\d+ ms · #[12] \(\+\d+\)$"))
        await expect(row(page, other).locator(".tag", has_text="you")).to_be_hidden()
        await expect(page.locator("#scoreboard tr.you .name")).to_have_text(me)
    for page, name in ((a, "Ann"), (b, "Bob")):
        ms = int((await row(page, name).locator(".result").inner_text()).split()[0])
        assert 100 <= ms <= 1500, ms  # a human press after GO, within the round
    # Both players read the same results.
    assert await row(a, "Bob").locator(".result").inner_text() == await row(b, "Bob").locator(".result").inner_text()



async def test_pressing_before_go_is_a_false_start(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a)
    await join_from_open_rooms(b, code)
    await start_match(a, 1, b)

    # Ann presses while the buzzer still says to wait.
    await buzzer_phase(a, "ready")
    await press_space(a)
    await expect(row(a, "Ann").locator(".result")).to_have_text("false start")
    # Bob is only told that Ann pressed, not how it went; then he presses at GO.
    await expect(row(b, "Ann").locator(".result")).to_have_text("pressed")
    await react_to_go(b)
    await press_pointer(b)

    for page in (a, b):
        await saw_status(page, "Round 1 of 1: Bob wins")
        await expect(page.locator(STATUS)).to_have_text("Final scores", timeout=LONG)
        await expect(row(page, "Ann").locator(".result")).to_have_text("false start")
        await expect(row(page, "Bob").locator(".result")).to_have_text(re.compile(r"^\d+ ms · #1 \(\+\d+\)$"))
        await expect(page.locator("#scoreboard tbody tr").first.locator(".name")).to_have_text("Bob")


async def test_a_reload_mid_match_keeps_the_seat(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a, public=False)
    # A private room is not listed: Bob joins with the code.
    await expect(b.locator("#public-rooms")).not_to_contain_text(code)
    await b.locator("#code").fill(code)
    await b.locator("#join-code").get_by_role("button", name="Join").click()
    await expect(b.locator("#room-code")).to_have_text(code)
    await start_match(a, 3, b)

    # Mid-match, Bob reloads the page.
    await saw_status(b, "Round 1 of 3 · get ready")
    await b.reload()
    await expect(b.locator("#room-code")).to_have_text(code)
    await expect(b.locator(STATUS)).to_contain_text("of 3")
    await expect(row(b, "Bob")).to_have_class(re.compile(r"\byou\b"))
    await expect(row(b, "Bob").locator(".tag", has_text="you")).to_be_visible()
    await expect(b.locator("reflex-buzzer")).to_be_visible()
    await expect(row(a, "Bob")).to_have_attribute("data-presence", "online")

    # The seat still plays: Bob's next press counts.
    await react_to_go(b)
    await press_pointer(b)
    await expect(row(b, "Bob").locator(".result")).to_have_text(re.compile(r"^\d+ ms"))

    # A second tab of Ann shows the same room, with Ann as "you".
    a2 = await ann.open("/")
    await expect(a2.locator("#room-code")).to_have_text(code)
    await expect(row(a2, "Ann").locator(".tag", has_text="you")).to_be_visible()

    for page in (a, a2, b):
        await expect(page.locator(STATUS)).to_have_text("Final scores", timeout=LONG)
        assert sorted(await page.locator("#scoreboard .name").all_inner_texts()) == ["Ann", "Bob"]

    # At no point did Ann's page show Bob as gone.
    shown = await seen(a, "presence")
    assert "gone" not in shown["Bob"], shown
    assert "gone" not in (await seen(a2, "presence"))["Bob"]


async def test_a_spectator_watches_through_the_invite_link(people):
    ann, bob, cy = await people(), await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a)
    await join_from_open_rooms(b, code)

    # Cy follows the invite link Ann shares, picks a name and chooses to watch.
    link = await a.locator("#share-link").input_value()
    assert link.endswith(f"/r/{code}"), link
    c = await cy.open(link)
    await pick_name(c, "Cy")
    invite = c.locator("#invite")
    await expect(invite.locator("h2")).to_have_text(f"You're invited to room {code}")
    await invite.get_by_role("button", name="Watch").click()
    await expect(c.locator("#room-code")).to_have_text(code)
    await expect(c.locator("#spectators")).to_contain_text("Cy")
    await expect(a.locator("#spectators")).to_contain_text("Cy")
    await expect(c.locator("#players tbody tr")).to_have_count(2)  # Cy has no seat

    await start_match(a, 1, b, c)
    await saw_status(c, "get ready")
    await expect(c.locator(".watching")).to_have_text("You are watching this match.")
    await expect(c.locator("reflex-buzzer")).to_have_count(0)

    await react_to_go(a)
    await press_space(a)
    await react_to_go(b)
    await press_pointer(b)

    await saw_status(c, "Round 1 of 1:")
    await expect(c.locator(STATUS)).to_have_text("Final scores", timeout=LONG)
    assert sorted(await c.locator("#scoreboard .name").all_inner_texts()) == ["Ann", "Bob"]
    await expect(c.locator("#scoreboard tr.you")).to_have_count(0)
    await expect(row(c, "Ann").locator(".result")).to_have_text(re.compile(r"^\d+ ms"))
    assert await seen(c, "buzzerEver") is False  # never a buzzer for a spectator
    assert [s for s in await seen(c, "status") if "get ready" in s], await seen(c, "status")


async def test_names_are_shown_as_text(people):
    markup, tag = "<i>hi</i>", '"><img src=x>'
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, markup)  # the greeting reads literally, angle brackets and all
    await pick_name(b, tag)
    for page in (a, b):
        await expect(page.locator("#view i, #view img")).to_have_count(0)
    code = await create_room(a)
    await join_from_open_rooms(b, code)

    for page in (a, b):
        await expect(row(page, markup).locator(".name")).to_have_text(markup)
        await expect(row(page, tag).locator(".name")).to_have_text(tag)
        await expect(page.locator("#view i")).to_have_count(0)
        await expect(page.locator("img")).to_have_count(0)
    await expect(b.locator("#stage")).to_contain_text(f"{markup} starts the match")


async def test_the_connection_indicator_says_live_once_the_stream_is_open(people):
    page = await (await people()).open()
    await expect(page.locator("#name")).to_be_visible()
    await expect(page.locator(".conn")).to_have_text("live", timeout=3000)
