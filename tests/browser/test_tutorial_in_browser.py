"""The tutorial as a viewer goes through it: seven chapters in real Chromium tabs.

One person reads the chapters in order, following the "next" links, presses
every demo and every pitfall, and reads the wire and source panels; in
chapter 5 a second person (a browser context of their own, so another
session) joins the room. Every step waits for what the page shows. Presenter
mode is checked at the two recording sizes, with screenshots kept in
test-artifacts/tutorial/.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import RECORDER, Person
from tests.conftest import ROOT
from tests.support import Server

pytestmark = pytest.mark.timeout(120)

REACTION_MS = 200  # a human press, well above the 100 ms floor
SHOTS = ROOT / "test-artifacts" / "tutorial"


def wire(page: Page) -> Locator:
    return page.locator("#wire-log")


async def next_chapter(page: Page, number: int, title: str) -> None:
    await page.locator("#next").click()
    await expect(page).to_have_url(re.compile(rf"/tutorial/{number}$"))
    await expect(page.locator("h1")).to_have_text(f"{number}. {title}")


def shown_source(page: Page) -> Locator:
    return page.locator("#source .source-view:not([hidden])")


async def refused_in_wire(page: Page, status: int, path: str, sentence: str) -> None:
    """The wire panel shows a refusal and, under it, the server's sentence."""
    await expect(wire(page).locator("li.refused", has_text=f"← {status} POST {path}")).to_have_count(1)
    await expect(wire(page).locator("li.refused pre", has_text=sentence)).to_have_count(1)


def provoked(person: Person, *refusals: tuple[int, str]) -> None:
    """Chromium logs every 4xx as a console error; the refusals a test provoked on purpose
    (status, path) are the app doing its job, so they are taken off the list of errors."""
    expected = [(f"status of {status} ", path) for status, path in refusals]
    person.errors[:] = [e for e in person.errors if not any(s in e and p in e for s, p in expected)]


async def test_chapters_1_to_3_and_their_pitfalls(people):
    ann = await people()
    page = await ann.open("/tutorial/1")

    # 1. A click fetches a fragment; the wire shows one request and one event.
    await expect(page.locator("h1")).to_have_text("1. Hypermedia")
    await expect(page.locator("#source-view")).to_have_value("app.py#hello")  # the region the demo is about
    await expect(shown_source(page)).to_contain_text("async def hello() -> DatastarResponse:")
    await expect(shown_source(page)).not_to_contain_text("@app.get(\"/datastar.js\")", use_inner_text=True)  # its lines alone
    await expect(page.locator("#source")).not_to_contain_text(re.compile(r"(#|//|\{#)\s*(end)?region\b"))  # no markers
    await page.get_by_role("button", name="Ask the server").click()
    await expect(page.locator("#hello")).to_contain_text("Hello from the server! It rendered this paragraph at")
    await expect(wire(page)).to_contain_text("→ GET /tutorial/1/hello")
    event = wire(page).locator("li.event")
    await expect(event).to_have_count(1)
    await expect(event.locator(".what")).to_have_text("⇠ datastar-patch-elements")
    await expect(event.locator("pre")).to_contain_text('elements <p id="hello">Hello from the server!')
    await expect(wire(page)).to_contain_text("■ stream ended by the server: GET /tutorial/1/hello")

    # The source panel: the whole file one click away, the region marked in it; the exercise's solution.
    await page.get_by_role("button", name="Whole file").click()
    await expect(page.locator("#source-view")).to_have_value("app.py")
    await expect(shown_source(page)).to_contain_text("@app.get(\"/datastar.js\")")
    await expect(shown_source(page).locator(".focus").first).to_contain_text("@app.get(\"/hello\")")
    await page.locator("#exercise-date").get_by_role("button", name="Compare with the solution").click()
    await expect(shown_source(page)).to_contain_text('+@app.get("/date")')

    # The wire panel folds away; presenter mode enlarges the text and is remembered.
    await page.locator("#wire > summary").click()
    await expect(wire(page)).to_be_hidden()
    await page.locator("#wire > summary").click()
    await expect(wire(page)).to_be_visible()
    size = await page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    await page.get_by_role("button", name="Presenter mode").click()
    await expect(page.locator("html")).to_have_class(re.compile(r"\bpresenter\b"))
    assert await page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") > size

    # 2. Signals: bound to an input, sent with every request, read by the server.
    await next_chapter(page, 2, "Signals")
    await expect(page.locator("html")).to_have_class(re.compile(r"\bpresenter\b"))
    await page.locator("#source-view").select_option("changes")
    await expect(shown_source(page)).to_contain_text('+TITLE = "2. Signals"')
    await page.locator("#who").fill("Ann")
    await expect(page.locator("#greeting")).to_have_text("In the browser: hello, Ann.")
    await expect(wire(page).locator("li")).to_have_count(0)  # typing alone sends nothing
    await page.get_by_role("button", name="Send to the server").click()
    await expect(page.locator("#reply")).to_have_text("Hello, Ann! (3 characters, counted on the server)")
    await expect(page.locator("#received")).to_contain_text('The server received: {"who": "Ann", "reply": ""')
    await expect(wire(page)).to_contain_text("⇠ datastar-patch-signals")
    # A refusal's sentence, for a request Datastar made: 41 characters, once maxlength is edited away.
    await page.locator("#who").evaluate("el => el.removeAttribute('maxlength')")
    await page.locator("#who").fill("A" * 41)
    await page.get_by_role("button", name="Send to the server").click()
    await expect(wire(page).locator("li.refused pre", has_text="'who' must be text of at most 40 characters.")).to_have_count(1)

    # Pitfall: a password in signals goes with every request, in the URL of a GET.
    await page.locator("#bad-password").fill("hunter2")
    await expect(page.locator("#would-send")).to_contain_text('"password":"hunter2"')
    await page.locator("#who").fill("Ann")
    await page.get_by_role("button", name="Send to the server").click()
    await expect(wire(page).locator("li.request", has_text="GET /tutorial/2/echo").last).to_contain_text('"password":"hunter2"')
    # The right way: the form posts its own fields, once, and the cookie says who you are from then on.
    form = page.locator("#sign-in")
    await form.get_by_placeholder("Name").fill("Ann")
    await form.get_by_placeholder("Password").fill("wrong")
    await form.get_by_role("button", name="Sign in").click()
    await refused_in_wire(page, 403, "/tutorial/2/sign-in", "Wrong password.")
    await form.get_by_placeholder("Password").fill("open sesame")
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#whoami")).to_have_text("The signed cookie says you are Ann.")
    await expect(wire(page).locator("li.request", has_text="POST /tutorial/2/sign-in").last).to_contain_text(
        "body: name=Ann&password=open+sesame")
    # Pitfall: identity from a signal. A forged `user` changes nothing.
    await page.get_by_role("button", name="Forge user = 'admin', then ask").click()
    await expect(page.locator("#whoami")).to_contain_text(
        'The signed cookie says you are Ann. Your request also carried the signal user = "admin"')

    # 3. Checked as you type (one debounced request), and again on submit.
    await next_chapter(page, 3, "Server validation with signals")
    name, error = page.locator("#name"), page.locator("#name-error")
    await name.press_sequentially("Annabelle", delay=30)
    checks = wire(page).locator("li.request", has_text="POST /tutorial/3/check")
    await expect(wire(page).locator("li.event", has_text='"nameError":""')).to_have_count(1)
    await expect(checks).to_have_count(1)
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#welcome")).to_have_text("Welcome, Annabelle: the server accepted that name.")
    await name.fill("B" * 21)
    await name.press("Enter")  # at once, before the check: the submit is judged on its own
    await expect(error).to_have_text("At most 20 characters, please.")
    # Pitfall: a stream opened on every keystroke. The count climbs, on the server and in the wire panel.
    await page.locator("#live-name").press_sequentially("hello", delay=60)
    await expect(page.locator("#live-count")).to_have_text(re.compile(r"^[3-5] streams open on the server"))
    await expect(page.locator("#wire-streams")).to_have_text(re.compile(r"^[3-5] streams open$"))
    await expect(page.locator("#live-count")).to_have_text("0 streams open on the server for your live checks.",
                                                           timeout=15_000)  # each closes after 5 s
    provoked(ann, (400, "/tutorial/2/echo"), (403, "/tutorial/2/sign-in"))


async def test_chapter_4_streams_and_what_they_cost(people):
    ann = await people()
    page = await ann.open("/tutorial/4")
    streams = page.locator("#wire-streams")
    await page.get_by_role("button", name="One answer").click()
    await expect(page.locator("#once")).to_contain_text("One event, and the response has ended.")
    await page.get_by_role("button", name="Count down").click()
    await expect(page.locator("#countdown")).to_have_text("Lift-off! The stream has ended.")
    await expect(streams).to_have_text("0 streams open")
    await page.get_by_role("button", name="Join the bell room").click()
    await expect(streams).to_have_text("1 stream open")
    bell = page.locator("#bell")
    await expect(bell).to_have_text("Your bell has rung 0 times; 1 of your tabs listening.")  # every take from zero
    await page.get_by_role("button", name="Ring the bell").click()
    await expect(bell).to_contain_text("rung 1 time;")
    await expect(wire(page)).to_contain_text("← 204 POST /tutorial/4/ring")
    await page.get_by_role("button", name="Leave the room").click()
    await expect(streams).to_have_text("0 streams open")
    await expect(wire(page)).to_contain_text("■ stream closed by the page: GET /tutorial/4/bell")

    # Pitfall: the busy loop burns a core; the waiting stream does not.
    await page.get_by_role("button", name="Run the busy loop").click()
    await page.get_by_role("button", name="Run the waiting stream").click()
    await expect(page.locator("#burn-busy")).to_contain_text(re.compile(r"s of CPU in 2.0 s: it checked for news [\d,]+ times"))
    await expect(page.locator("#burn-waiting")).to_contain_text("it woke 0 times, because nothing happened.")
    # Pitfall: a queue per stream against the flag.
    await page.get_by_role("button", name="Send a burst of 100").click()
    await expect(page.locator("#burst caption")).to_have_text("After 3.0 s: the flag showed the latest at once.")
    await expect(page.locator("#burst tr.you .shown")).to_have_text("100 of 100")
    # Pitfall: polling against one stream, both measured by this browser.
    await page.get_by_role("button", name="Poll every second").click()
    await page.get_by_role("button", name="One stream").click()
    await expect(page.locator("#poll-cost")).to_have_text(re.compile(r"^10 requests, 60 a minute at this pace, [\d,]+ bytes$"),
                                                          timeout=20_000)
    await expect(page.locator("#stream-cost")).to_have_text(re.compile(r"^1 request, [\d,]+ bytes$"), timeout=20_000)
    costs = [await page.locator(f"#{kind}-cost").inner_text() for kind in ("poll", "stream")]
    poll_bytes, stream_bytes = (int(re.search(r"([\d,]+) bytes", cost).group(1).replace(",", "")) for cost in costs)  # type: ignore[union-attr]
    assert poll_bytes > stream_bytes  # ten whole responses against one


async def join_room(page: Page, name: str) -> None:
    await page.locator("#name").fill(name)
    await page.get_by_role("button", name="Join the room").click()
    await expect(page.locator("#me")).to_have_text(f"You are {name}, and you tapped 0 times.")


def member(page: Page, name: str) -> Locator:
    return page.locator("#members tbody tr").filter(has=page.locator(".name", has_text=name))


async def test_chapter_5_a_room_and_its_pitfalls(people):
    ann, bob = await people(), await people()
    page = await ann.open("/tutorial/5")
    await expect(page.locator("#members")).to_contain_text("In the room (0/8)")
    # Pitfall: a disabled button is no permission. The refusal's sentence is in the wire panel.
    await expect(page.locator("#tap")).to_be_disabled()
    await page.get_by_role("button", name="Send a tap anyway, as devtools could").click()
    await refused_in_wire(page, 403, "/tutorial/5/tap", "Join the room first: only members can tap.")
    await join_room(page, "Ann")
    other = await bob.open("/tutorial/5")
    await join_room(other, "Bob")
    await expect(member(page, "Bob")).to_be_visible()
    await page.get_by_role("button", name="Tap", exact=True).click()
    await expect(member(other, "Ann").locator(".taps")).to_have_text("1")
    await expect(page.locator("#me")).to_have_text("You are Ann, and you tapped 1 time.")
    await expect(other.locator("#members tr.you")).to_have_text(re.compile(r"^Bob \(you\)\s*0$"))
    await expect(wire(page)).to_contain_text("← 204 POST /tutorial/5/tap")
    # Pitfall: too many endpoints? The router runs the same command behind one URL.
    await other.get_by_role("button", name="Tap, through the router").click()
    await expect(member(page, "Bob").locator(".taps")).to_have_text("1")
    await expect(wire(other).locator("li.request", has_text="POST /tutorial/5/do")).to_contain_text('{"action":"tap"}')
    # Pitfall: too many connections. Ann's fourth tab on the room is told to stop, and stops.
    tabs = [await ann.open("/tutorial/5") for _ in range(3)]
    for tab in tabs[:2]:
        await expect(tab.locator("#me")).to_contain_text("You are Ann")
    await expect(tabs[2].locator("#too-many")).to_contain_text("this tab stopped its stream")
    await expect(tabs[2].locator("#wire-streams")).to_have_text("0 streams open")
    await expect(page.locator("#plumbing")).to_contain_text("This process has 4 streams open on the room.")
    provoked(ann, (403, "/tutorial/5/tap"))


async def test_chapters_6_and_7_the_buzzer_and_the_whole_game(people):
    ann = await people()
    page = await ann.open("/tutorial/6")
    await expect(page.locator("#source-view")).to_have_value("buzzer.js#press")
    buzzer, start = page.locator("tut-buzzer"), page.get_by_role("button", name="Start a round")
    await start.click()
    await expect(buzzer).to_have_attribute("phase", "ready")
    await expect(start).to_be_disabled()  # while its round's request is in flight: one round, not ten
    await page.wait_for_function(
        """ms => {
            const b = document.getElementById('buzzer');
            if (!b || b.getAttribute('phase') !== 'go') return false;
            window.goSeen = window.goSeen || performance.now();  // the first frame this page saw GO
            return performance.now() - window.goSeen >= ms;
        }""",
        arg=REACTION_MS, polling="raf",
    )
    await page.locator("tut-buzzer button").click()
    await expect(buzzer).to_have_attribute("phase", "done")
    await expect(page.locator("#verdict")).to_have_text(
        re.compile(r"^(\d+) ms, and the server agrees: it saw \d+ ms pass since it sent GO\.$"))
    ms = int((await buzzer.get_attribute("result") or "0").split()[0])
    assert REACTION_MS <= ms < 3000, ms
    await expect(start).to_be_enabled()
    await expect(wire(page)).to_contain_text('"early":false')
    # Pitfall: the page blocks a second press; a second press sent anyway is refused by the server.
    await page.get_by_role("button", name="Send a second press anyway").click()
    await refused_in_wire(page, 409, "/tutorial/6/buzz", "You already pressed in this round.")
    # Pitfall: only the composed event leaves the shadow root. Its count is local: no request carries it.
    await page.get_by_role("button", name="ping (bubbles, composed: false)").click()
    await expect(page.locator("#pings")).to_have_text("0")
    await page.get_by_role("button", name="ping (bubbles, composed: true)").click()
    await expect(page.locator("#pings")).to_have_text("1")
    await start.click()
    await expect(buzzer).to_have_attribute("phase", "ready")
    await expect(wire(page).locator("li.request", has_text="POST /tutorial/6/start").last).not_to_contain_text("pings")

    # 7. The whole game: a move, and the tour of one buzz through the real modules.
    await page.goto("/tutorial/7")
    await expect(page.locator("#served")).to_contain_text("Redis counts 1 process listening for moves.")
    await page.get_by_role("button", name="Make a move").click()
    await expect(page.locator("#move-list")).to_contain_text(re.compile(r"Move 1: accepted by process \d+, shown to you by "
                                                                        r"process \d+ \(the same process\)"))
    step = page.locator("#tour li", has_text="game/web/commands.py")
    await step.get_by_role("button", name="Show the code").click()
    await expect(shown_source(page)).to_contain_text('@bp.post("/rooms/<code>/buzz")')
    await expect(page.locator("#next")).to_have_count(0)  # the last chapter
    provoked(ann, (409, "/tutorial/6/buzz"))


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
async def test_presenter_mode_fits_a_recording(browser: Browser, server: Server, size):
    """Every chapter in presenter mode: the demo in view without scrolling, and no line
    of the code the panel opens on clipped."""
    width, height = size
    context = await browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    await context.add_init_script(RECORDER)
    await context.add_init_script("localStorage.setItem('reflex-tutorial-presenter', '1')")
    errors: list[str] = []
    viewer = Person(context, errors)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = await viewer.open("/tutorial/1")
        for n in range(1, 8):
            await page.goto(f"/tutorial/{n}")
            await expect(page.locator("html")).to_have_class(re.compile(r"\bpresenter\b"))
            await expect(shown_source(page)).to_be_visible()
            demo = await page.locator("#demo").bounding_box()
            assert demo and demo["y"] >= 0 and demo["y"] + demo["height"] <= height and demo["x"] + demo["width"] <= width, (n, demo)
            clipped = await page.evaluate("""() => [...document.querySelectorAll('#source .source-view:not([hidden]) pre')]
                .filter((pre) => pre.scrollWidth > pre.clientWidth + 1).length""")
            assert clipped == 0, f"chapter {n}: a line of the code on show is clipped"
            await page.screenshot(path=str(SHOTS / f"presenter-{n}-{width}x{height}.png"))
    finally:
        await context.close()
    assert not errors, errors
