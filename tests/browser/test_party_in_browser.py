"""The party game as people play it: a TV showing the room, phones as buzzers
(a phone's viewport, with touch), decoys, the kicked player told, a second tab,
quick play filling an open room. Real Chromium against the real server."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect

from tests.browser.conftest import PHONE, people_of
from tests.browser.test_match_in_browser import STATUS, create_room, pick_name, row
from tests.conftest import FAST_GAME, free_port
from tests.support import start_server

pytestmark = pytest.mark.timeout(120)
LONG = 15_000
TV_SIZES = ({"width": 1920, "height": 1080}, {"width": 1280, "height": 720})


async def buzzer_shows(page: Page, phase: str) -> str:
    handle = await page.wait_for_function(
        """phase => {
            const b = document.querySelector('reflex-buzzer');
            return b && b.getAttribute('phase') === phase && b.getAttribute('round-id');
        }""", arg=phase, polling="raf", timeout=LONG)
    return await handle.json_value()


async def tap_buzzer(page: Page) -> None:
    await page.locator("reflex-buzzer button.buzz").tap()


async def buzzer_fully_visible(page: Page) -> None:
    """The whole buzzer is on screen, with the page not scrolled: nothing to scroll to play."""
    box = await page.locator("reflex-buzzer button.buzz").bounding_box()
    view = page.viewport_size
    assert box and view and await page.evaluate("window.scrollY") == 0
    assert box["y"] >= 0 and box["y"] + box["height"] <= view["height"], (box, view)


async def fits_the_screen(page: Page) -> None:
    """No scrollbars, and everything essential inside the viewport (not clipped)."""
    overflow = await page.evaluate("""() => {
        const d = document.documentElement;
        return [d.scrollWidth - d.clientWidth, d.scrollHeight - d.clientHeight];
    }""")
    assert overflow == [0, 0], overflow
    view = page.viewport_size
    assert view
    for selector in ("#room-code", "#qr", "h1#status", ".tv-url"):
        box = await page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, selector
        assert box["x"] + box["width"] <= view["width"] and box["y"] + box["height"] <= view["height"], selector


async def qr_text(page: Page) -> str:
    shot = await page.locator("#qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found, "no QR code read from the big screen"
    return found[0].text


async def test_a_tv_and_two_phones_play_a_match(people, server):
    ann, bob, host_tv = await people(**PHONE), await people(**PHONE), await people(viewport=TV_SIZES[0])
    a = await ann.open()
    await pick_name(a, "Ann")
    code = await create_room(a)
    tv = await host_tv.open(f"/r/{code}/screen")
    await expect(tv.locator("#room-code")).to_have_text(code)
    invite = await qr_text(tv)
    assert invite == f"{server.url}/r/{code}"  # the QR code is the room's invite link

    # Bob "scans" it: his phone opens the invite link, he names himself and joins.
    b = await bob.open(invite)
    await pick_name(b, "Bob")
    await b.locator("#invite").get_by_role("button", name="Join", exact=True).tap()
    await expect(tv.locator(".tv-player", has_text="Bob")).to_be_visible()  # joining live, on the TV
    await expect(tv.locator("reflex-buzzer")).to_have_count(0)

    await a.locator("#rounds").select_option("2")
    await expect(b.locator("#host-controls")).to_contain_text("2 rounds")
    await a.locator("#start").tap()
    for round_no in (1, 2):
        for phone in (a, b):
            await buzzer_shows(phone, "ready")
            await buzzer_fully_visible(phone)
        await expect(tv.locator(".tv-round")).to_have_text(f"Round {round_no} of 2")
        for phone in (a, b):
            await buzzer_shows(phone, "go")
            await buzzer_fully_visible(phone)
        await expect(tv.locator("h1#status")).to_have_text("GO!")
        await tv.wait_for_timeout(150)  # a human reaction, not a bot's
        await tap_buzzer(a)
        await expect(tv.locator(".tv-player.pressed", has_text="Ann")).to_be_visible()  # presses land on the TV
        await tap_buzzer(b)
        for phone in (a, b):
            await buzzer_shows(phone, "done")
            await buzzer_fully_visible(phone)
        # The results race: one scale, the fastest first and marked.
        rows = tv.locator("#results .result-row")
        await expect(rows).to_have_count(2)
        times = [int(t.split()[0]) for t in await tv.locator("#results .time").all_inner_texts()]
        assert times == sorted(times)
        await expect(rows.first).to_have_class(re.compile(r"\bwinner\b"))
        if round_no == 1:
            for size in TV_SIZES:
                await tv.set_viewport_size(size)
                await fits_the_screen(tv)
            await tv.set_viewport_size(TV_SIZES[0])

    # The podium on the TV, the record on the phones.
    await expect(tv.locator("#podium .step")).to_have_count(2, timeout=LONG)
    await expect(tv.locator("#podium .step-1")).to_be_visible()
    for size in TV_SIZES:
        await tv.set_viewport_size(size)
        await fits_the_screen(tv)
    await expect(a.locator(STATUS)).to_have_text("Final scores")
    await expect(a.locator("#scoreboard tbody tr")).to_have_count(2)
    await expect(a.locator("#scoreboard tr.you td").nth(3)).to_have_text(re.compile(r"^\d+ ms$"))  # her best


async def test_go_comes_in_one_frame_and_a_press_updates_the_players_other_tab(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a)
    await b.goto(f"/r/{code}")
    await b.locator("#invite").get_by_role("button", name="Join", exact=True).click()
    a2 = await ann.open()  # Ann's second tab
    await expect(a2.locator("#room-code")).to_have_text(code)
    # Sample the buzzer's colour in every frame: GO must never show a colour on its way to green.
    for tab in (a, a2):
        await tab.evaluate("""() => {
            window.__colours = [];
            const look = () => {
                const b = document.querySelector('reflex-buzzer');
                const button = b && b.shadowRoot && b.shadowRoot.querySelector('button.buzz');
                if (button) window.__colours.push([b.getAttribute('phase'), getComputedStyle(button).backgroundColor]);
                requestAnimationFrame(look);
            };
            requestAnimationFrame(look);
        }""")
    await a.locator("#rounds").select_option("1")
    await expect(b.locator("#host-controls")).to_contain_text("1 round.")
    await a.locator("#start").click()
    await buzzer_shows(a, "go")
    await buzzer_shows(a2, "go")
    await a.wait_for_timeout(150)
    await a.keyboard.press("Space")  # Ann presses in her first tab
    # The other tab shows the press too: no pressable GO left there.
    await expect(a2.locator("reflex-buzzer button.buzz")).to_have_attribute("aria-disabled", "true")
    colours = await a.evaluate("window.__colours")
    go_colours = {colour for phase, colour in colours if phase == "go"}
    assert len(go_colours) == 1, go_colours  # the first GO frame is already GO's colour


async def test_a_kicked_player_is_told_why(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a)
    await b.goto(f"/r/{code}")
    await b.locator("#invite").get_by_role("button", name="Join", exact=True).click()
    await row(a, "Bob").get_by_role("button", name="Kick").click()
    await expect(b.locator("#kicked")).to_have_text(f"The host removed you from room {code}. You cannot rejoin that room.")
    await expect(b.locator(f"#room-{code}")).to_contain_text("you cannot rejoin")
    await expect(b.locator(f"#room-{code}").get_by_role("button", name="Join")).to_have_count(0)


async def test_quick_play_puts_a_player_into_an_open_quick_room(people):
    ann, bob, cat = await people(), await people(), await people()
    a, b, c = await ann.open(), await bob.open(), await cat.open()
    for page, name in ((a, "Ann"), (b, "Bob"), (c, "Cat")):
        await pick_name(page, name)
    await a.get_by_role("button", name="Quick play").click()
    await b.get_by_role("button", name="Quick play").click()
    await expect(a.locator("#room-code")).to_have_text(re.compile(r"^[A-Z0-9]{5}$"))
    code = await a.locator("#room-code").inner_text()
    await c.get_by_role("button", name="Quick play").click()
    await expect(c.locator("#room-code")).to_have_text(code)  # no waiting: straight into the open room
    await expect(row(a, "Cat")).to_be_visible()


async def test_records_show_in_the_lobby(people):
    ann, bob = await people(), await people()
    a, b = await ann.open(), await bob.open()
    await pick_name(a, "Ann")
    await pick_name(b, "Bob")
    code = await create_room(a)
    await b.goto(f"/r/{code}")
    await b.locator("#invite").get_by_role("button", name="Join", exact=True).click()
    await a.locator("#rounds").select_option("1")
    await a.locator("#start").click()
    for page in (a, b):
        await buzzer_shows(page, "go")
    await a.wait_for_timeout(150)
    for page in (a, b):
        await page.locator("reflex-buzzer button.buzz").click()
    await expect(a.locator("#results .pb").first).to_have_text("personal best!", timeout=LONG)
    await expect(a.locator(STATUS)).to_have_text("Final scores", timeout=LONG)
    await a.locator("#leave").click()
    await expect(a.locator("#my-best")).to_contain_text("Your personal best")
    fastest = a.locator("#fastest")
    await expect(fastest).to_contain_text("Ann")
    await expect(fastest).to_contain_text("Bob")


@pytest.fixture(scope="module")
def decoy_server(redis_url):
    """Every round shows a decoy first, and GO follows it."""
    env = {**FAST_GAME, "REDIS_URL": redis_url, "DECOY_SHARE": "1", "DECOY_THEN_GO": "1", "DECOY_MS": "1200"}
    with start_server(env, free_port()) as srv:
        yield srv


async def test_pressing_on_a_decoy_is_a_false_start(browser, decoy_server, redis):
    async with people_of(browser, decoy_server) as people:
        ann, bob = await people(**PHONE), await people(**PHONE)
        a, b = await ann.open(), await bob.open()
        await pick_name(a, "Ann")
        await pick_name(b, "Bob")
        code = await create_room(a)
        await b.goto(f"/r/{code}")
        await b.locator("#invite").get_by_role("button", name="Join", exact=True).tap()
        await a.locator("#decoys").check()
        await expect(b.locator("#host-controls")).to_contain_text("with decoys")
        await a.locator("#rounds").select_option("1")
        await a.locator("#start").tap()
        await buzzer_shows(a, "decoy")
        await expect(a.locator("reflex-buzzer button.buzz")).to_have_text("NO!")
        await buzzer_fully_visible(a)
        await tap_buzzer(a)  # fooled
        await expect(a.locator("reflex-buzzer #status")).to_have_text("too early")
        await buzzer_shows(b, "go")  # the real GO comes after the decoy
        await b.wait_for_timeout(150)
        await tap_buzzer(b)
        await expect(row(b, "Ann").locator(".result")).to_have_text("false start", timeout=LONG)
        await expect(row(b, "Bob").locator(".result")).to_have_text(re.compile(r"^\d+ ms · #1"))
