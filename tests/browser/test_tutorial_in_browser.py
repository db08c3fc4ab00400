"""The tutorial as a viewer goes through it: six chapters in real Chromium tabs.

One person reads the chapters in order, following the "next" links; in
chapter 5 a second person (a browser context of their own, so another session)
joins the room. Every step waits for what the page shows, and the wire and
source panels are checked as the viewer would read them.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, Page, expect

pytestmark = pytest.mark.timeout(120)

REACTION_MS = 200  # a human press, well above the 100 ms floor


def wire(page: Page) -> Locator:
    return page.locator("#wire-log")


async def next_chapter(page: Page, number: int, title: str) -> None:
    await page.locator("#next").click()
    await expect(page).to_have_url(re.compile(rf"/tutorial/{number}$"))
    await expect(page.locator("h1")).to_have_text(f"{number}. {title}")


async def join_room(page: Page, name: str) -> None:
    await page.locator("#name").fill(name)
    await page.get_by_role("button", name="Join the room").click()
    await expect(page.locator("#me")).to_have_text(f"You are {name}, and you tapped 0 times.")


def member(page: Page, name: str) -> Locator:
    return page.locator("#members tbody tr").filter(has=page.locator(".name", has_text=name))


async def test_a_viewer_goes_through_the_six_chapters(people):
    ann = await people()
    page = await ann.open("/tutorial/1")

    # 1. A click fetches a fragment; the wire shows one request and one event.
    await expect(page.locator("h1")).to_have_text("1. Hypermedia")
    await expect(page.locator("#source")).to_contain_text("tutorial/ch1_hypermedia.py")
    await expect(page.locator("#source .highlight").first).to_contain_text("async def hello() -> DatastarResponse:")
    await page.get_by_role("button", name="Ask the server").click()
    await expect(page.locator("#hello")).to_contain_text("Hello from the server! It rendered this paragraph at")
    await expect(wire(page)).to_contain_text("→ GET /tutorial/1/hello")
    await expect(wire(page).locator("li.event")).to_have_count(1)
    event = wire(page).locator("li.event")
    await expect(event.locator(".what")).to_have_text("⇠ datastar-patch-elements")
    await expect(event.locator("pre")).to_contain_text('elements <p id="hello">Hello from the server!')
    await expect(wire(page)).to_contain_text("■ stream ended by the server: GET /tutorial/1/hello")

    # The wire panel folds away; presenter mode enlarges the text and is remembered.
    await page.locator("#wire > summary").click()
    await expect(wire(page)).to_be_hidden()
    await page.locator("#wire > summary").click()
    await expect(wire(page)).to_be_visible()
    size = await page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    await page.get_by_role("button", name="Presenter mode").click()
    await expect(page.locator("html")).to_have_class(re.compile(r"\bpresenter\b"))
    assert await page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") > size

    # 2. A signal bound to an input; the server reads the signals a request carries.
    await next_chapter(page, 2, "Signals")
    await expect(page.locator("html")).to_have_class(re.compile(r"\bpresenter\b"))
    await page.locator("#who").fill("Ann")
    await expect(page.locator("#greeting")).to_have_text("In the browser: hello, Ann.")
    await expect(wire(page).locator("li")).to_have_count(0)  # typing alone sends nothing
    await page.get_by_role("button", name="Send to the server").click()
    await expect(page.locator("#reply")).to_have_text("Hello, Ann! (3 characters, counted on the server)")
    await expect(page.locator("#received")).to_have_text('The server received: {"who": "Ann", "reply": ""}')
    await expect(wire(page)).to_contain_text('signals in the URL: {"who":"Ann","reply":""}')
    await expect(wire(page)).to_contain_text("⇠ datastar-patch-signals")

    # 3. Checked as you type (one debounced request), and again on submit.
    await next_chapter(page, 3, "Server validation with signals")
    name, error = page.locator("#name"), page.locator("#name-error")
    await name.press_sequentially("Annabelle", delay=30)
    checks = wire(page).locator("li.request", has_text="POST /tutorial/3/check")
    await expect(wire(page).locator("li.event", has_text='"nameError":""')).to_have_count(1)
    await expect(checks).to_have_count(1)
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#welcome")).to_have_text("Welcome, Annabelle: the server accepted that name.")
    await name.fill("A" * 21)
    await expect(error).to_have_text("At most 20 characters, please.")
    await name.fill("Bo")
    await expect(error).to_be_hidden()
    await name.fill("B" * 21)
    await name.press("Enter")  # at once, before the check: the submit is judged on its own
    await expect(wire(page).locator("li", has_text="← 200 POST /tutorial/3/submit")).to_have_count(2)
    await expect(error).to_have_text("At most 20 characters, please.")
    await expect(page.locator("#welcome")).to_have_text("Welcome, Annabelle: the server accepted that name.")

    # 4. One-shot, a short stream, and a stream that opens only once you join.
    await next_chapter(page, 4, "Fragments and the long-lived stream")
    streams = page.locator("#wire-streams")
    await page.get_by_role("button", name="One answer").click()
    await expect(page.locator("#once")).to_contain_text("One event, and the response has ended.")
    await page.get_by_role("button", name="Count down").click()
    await expect(page.locator("#countdown")).to_have_text("Lift-off! The stream has ended.")
    await expect(wire(page)).to_contain_text("■ stream ended by the server: GET /tutorial/4/countdown")
    await expect(streams).to_have_text("0 streams open")
    await page.get_by_role("button", name="Join the bell room").click()
    await expect(streams).to_have_text("1 stream open")
    bell = page.locator("#bell")
    await expect(bell).to_contain_text("1 stream listening in this process")
    rung = int(re.search(r"rung (\d+) time", await bell.inner_text()).group(1))  # type: ignore[union-attr]
    await page.get_by_role("button", name="Ring the bell").click()
    await expect(bell).to_contain_text(f"rung {rung + 1} time")
    await expect(wire(page)).to_contain_text("← 204 POST /tutorial/4/ring")
    await page.get_by_role("button", name="Leave the room").click()
    await expect(streams).to_have_text("0 streams open")
    await expect(wire(page)).to_contain_text("■ stream closed by the page: GET /tutorial/4/bell")
    await expect(page.get_by_role("button", name="Join the bell room")).to_be_visible()

    # 5. Two people in one room: commands answer 204, each gets their own view.
    await next_chapter(page, 5, "A room over Redis pub/sub")
    await expect(page.locator("#members")).to_contain_text("In the room (0/8)")
    await expect(page.locator("#tap")).to_be_disabled()
    await join_room(page, "Ann")
    bob = await people()
    other = await bob.open("/tutorial/5")
    await join_room(other, "Bob")
    await expect(member(page, "Bob")).to_be_visible()
    await page.get_by_role("button", name="Tap").click()
    await expect(member(other, "Ann").locator(".taps")).to_have_text("1")
    await expect(page.locator("#me")).to_have_text("You are Ann, and you tapped 1 time.")
    await expect(page.locator("#members tr.you")).to_have_text(re.compile(r"^Ann \(you\)\s*1$"))
    await expect(other.locator("#members tr.you")).to_have_text(re.compile(r"^Bob \(you\)\s*0$"))
    await expect(wire(page)).to_contain_text("← 204 POST /tutorial/5/tap")
    await expect(wire(other).locator("li.event", has_text="Ann (you)")).to_have_count(0)
    await expect(page.locator("#plumbing")).to_contain_text("This process has 2 streams open on the room.")
    await expect(page.locator("#plumbing")).to_contain_text("Redis counts 1 subscriber connection")

    # 6. The buzzer: props down, a measured press up, a verdict from the server's clock.
    await next_chapter(page, 6, "The buzzer web component")
    await expect(page.locator("#source")).to_contain_text("components/reflex-buzzer.js")
    buzzer = page.locator("reflex-buzzer")
    await page.get_by_role("button", name="Start a round").click()
    await expect(buzzer).to_have_attribute("phase", "ready")
    await page.wait_for_function(
        """ms => {
            const b = document.querySelector('reflex-buzzer');
            if (!b || b.getAttribute('phase') !== 'go') return false;
            const at = window.__seen.goAt[b.getAttribute('round-id')];  // when this page painted GO
            return at !== undefined && performance.now() - at >= ms;
        }""",
        arg=REACTION_MS, polling="raf",
    )
    await page.locator("reflex-buzzer button.buzz").click()
    await expect(buzzer).to_have_attribute("phase", "done")
    await expect(buzzer).to_have_attribute("result", re.compile(r"^\d+ ms$"))
    await expect(page.locator("#verdict")).to_have_text(
        re.compile(r"^(\d+) ms, and the server agrees: it saw \d+ ms pass since it sent GO\.$"))
    ms = int((await buzzer.get_attribute("result") or "0").split()[0])
    assert REACTION_MS <= ms < 3000, ms
    await expect(wire(page)).to_contain_text('"early":false')

    # The pitfall, live: only the composed event gets out of the shadow root.
    await page.get_by_role("button", name="ping (bubbles, composed: false)").click()
    await expect(page.locator("#pings")).to_have_text("0")
    await page.get_by_role("button", name="ping (bubbles, composed: true)").click()
    await expect(page.locator("#pings")).to_have_text("1")
    await expect(page.locator("#next")).to_have_count(0)  # the last chapter
