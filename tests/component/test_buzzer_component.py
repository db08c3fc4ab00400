"""Browser tests for <reflex-buzzer> (components/reflex-buzzer.js).

Each test drives the built bundle in headless Chromium with real mouse and
keyboard input where possible. "Morphs" are simulated the way Datastar applies
them: setAttribute on the same element, never replacing it.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(60)

STATUS = "#buzzer [aria-live=polite]"  # Playwright CSS pierces the open shadow root
BUTTON = "#buzzer button.buzz"


def set_attrs(page, **attrs):
    """Rewrite attributes in place (like a morph), then let GO get painted.

    Waits for the Lit update and two animation frames: the component takes its
    GO timestamp in the first frame after the render.
    """
    attrs = {name.replace("_", "-"): value for name, value in attrs.items()}  # round_id -> round-id
    page.evaluate(
        """async (attrs) => {
            const el = document.getElementById('buzzer');
            for (const [k, v] of Object.entries(attrs)) {
                if (v === null) el.removeAttribute(k); else el.setAttribute(k, v);
            }
            await el.updateComplete;
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        }""",
        attrs,
    )


def settle(page):
    """Let any pending update and frame run before reading results."""
    page.evaluate(
        """async () => {
            await document.getElementById('buzzer').updateComplete;
            await new Promise((r) => requestAnimationFrame(r));
        }"""
    )


def buzzes(page):
    settle(page)
    return page.evaluate("window.__buzzes")


def click(page, button="left"):
    """A real mouse click in the middle of the buzzer button.

    page.mouse rather than locator.click(): Playwright refuses to click an
    aria-disabled element, and the idle/done tests need exactly that.
    """
    box = page.locator(BUTTON).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, button=button)


def focus_body(page):
    page.evaluate("document.activeElement && document.activeElement.blur()")


def test_renders_accessible_button_and_live_status(page):
    button = page.locator(BUTTON)
    expect(button).to_have_attribute("aria-label", "Buzzer")
    expect(button).to_have_text("Waiting")
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#buzzer [role=status]")).to_have_count(1)
    # Focusable even when it looks disabled.
    button.focus()
    assert page.evaluate(
        "document.getElementById('buzzer').shadowRoot.activeElement?.tagName"
    ) == "BUTTON"
    assert button.evaluate("b => getComputedStyle(b).touchAction") == "manipulation"


def test_phase_colours_and_texts_differ(page):
    # No transitions, so the computed colour is the final one, not a midpoint.
    page.emulate_media(reduced_motion="reduce")
    colours = {}
    texts = {}
    for phase in ("idle", "ready", "go", "done"):
        set_attrs(page, phase=phase)
        colours[phase] = page.locator(BUTTON).evaluate("b => getComputedStyle(b).backgroundColor")
        texts[phase] = page.locator(BUTTON).inner_text()
    assert len({colours["idle"], colours["ready"], colours["go"]}) == 3, colours
    assert texts["idle"] == "Waiting"
    assert texts["ready"] == "Wait…"
    assert texts["go"] == "GO!"
    expect(page.locator(BUTTON)).to_have_attribute("aria-disabled", "true")  # done


def test_press_in_go_reports_integer_ms(page):
    set_attrs(page, phase="go", round_id="r17")
    expect(page.locator(STATUS)).to_have_text("GO!")
    expect(page.locator(BUTTON)).to_have_attribute("aria-disabled", "false")
    click(page)
    events = buzzes(page)
    assert len(events) == 1
    ev = events[0]
    assert ev["roundId"] == "r17"
    assert ev["early"] is False
    assert isinstance(ev["ms"], int) and ev["ms"] >= 0
    expect(page.locator(STATUS)).to_have_text(f"{ev['ms']} ms")
    assert re.fullmatch(r"\d+ ms", page.locator(STATUS).inner_text())


def test_press_in_ready_is_early(page):
    set_attrs(page, phase="ready", round_id="r2")
    expect(page.locator(STATUS)).to_have_text("Wait for GO…")
    click(page)
    events = buzzes(page)
    assert events == [
        {"roundId": "r2", "ms": None, "early": True, "bubbles": True, "composed": True, "target": "buzzer"}
    ]
    expect(page.locator(STATUS)).to_have_text("too early")
    # GO arriving afterwards does not clear the early verdict for this round.
    set_attrs(page, phase="go")
    expect(page.locator(STATUS)).to_have_text("too early")


def test_press_in_go_before_go_frame_is_early(page):
    result = page.evaluate(
        """async () => {
            const el = document.getElementById('buzzer');
            el.setAttribute('phase', 'go');
            await el.updateComplete;
            // GO is rendered but its frame has not run yet: the press must be early.
            el.shadowRoot.querySelector('button').dispatchEvent(new PointerEvent('pointerdown', {
                bubbles: true, composed: true, cancelable: true, button: 0, isPrimary: true,
                pointerType: 'mouse'}));
            return window.__buzzes;
        }"""
    )
    assert result == [
        {"roundId": "r1", "ms": None, "early": True, "bubbles": True, "composed": True, "target": "buzzer"}
    ]


def test_only_one_press_per_round(page):
    set_attrs(page, phase="go", round_id="r3")
    click(page)
    click(page)
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    events = buzzes(page)
    assert len(events) == 1
    assert events[0]["early"] is False


def test_early_press_blocks_later_press_in_go(page):
    set_attrs(page, phase="ready", round_id="r4")
    click(page)
    set_attrs(page, phase="go")
    click(page)
    events = buzzes(page)
    assert [e["early"] for e in events] == [True]


def test_new_round_resets_press_state(page):
    set_attrs(page, phase="go", round_id="r5")
    click(page)
    set_attrs(page, phase="done", result="120 ms")
    set_attrs(page, phase="ready", round_id="r6", result=None)
    expect(page.locator(STATUS)).to_have_text("Wait for GO…")
    expect(page.locator(BUTTON)).to_have_attribute("aria-disabled", "false")
    set_attrs(page, phase="go")
    click(page)
    events = buzzes(page)
    assert [(e["roundId"], e["early"]) for e in events] == [("r5", False), ("r6", False)]
    # Same round id set again (a morph re-sending it) must not reset anything.
    set_attrs(page, round_id="r6")
    click(page)
    assert len(buzzes(page)) == 2


def test_round_change_straight_into_go(page):
    set_attrs(page, phase="go", round_id="r7")
    click(page)
    set_attrs(page, round_id="r8")  # phase stays go, new round: pressable again
    click(page)
    events = buzzes(page)
    assert [(e["roundId"], e["early"]) for e in events] == [("r7", False), ("r8", False)]
    assert isinstance(events[1]["ms"], int) and events[1]["ms"] >= 0


@pytest.mark.parametrize("button", ["right", "middle"])
def test_non_primary_mouse_buttons_ignored(page, button):
    set_attrs(page, phase="go")
    click(page, button=button)
    assert buzzes(page) == []
    click(page)
    assert len(buzzes(page)) == 1


def test_non_primary_pointer_ignored(page):
    set_attrs(page, phase="go")
    page.evaluate(
        """() => document.getElementById('buzzer').shadowRoot.querySelector('button')
            .dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, composed: true,
                cancelable: true, button: 0, isPrimary: false, pointerType: 'touch'}))"""
    )
    assert buzzes(page) == []


def test_click_event_alone_does_not_buzz(page):
    set_attrs(page, phase="go")
    page.evaluate("document.getElementById('buzzer').shadowRoot.querySelector('button').click()")
    assert buzzes(page) == []


@pytest.mark.parametrize("key", ["Space", "Enter"])
@pytest.mark.parametrize("where", ["document", "button"])
def test_keys_press_the_buzzer(page, key, where):
    set_attrs(page, phase="go", round_id="rk")
    if where == "button":
        page.locator(BUTTON).focus()
    else:
        focus_body(page)
    page.keyboard.press(key)
    events = buzzes(page)
    assert len(events) == 1
    assert events[0]["roundId"] == "rk" and events[0]["early"] is False
    assert isinstance(events[0]["ms"], int)


def test_key_repeat_ignored(page):
    page.evaluate(
        """() => { window.__repeats = [];
            document.addEventListener('keydown', (e) => __repeats.push(e.repeat), true); }"""
    )
    focus_body(page)
    page.keyboard.down("Space")  # held since idle: nothing happens
    set_attrs(page, phase="go")
    page.keyboard.down("Space")  # auto-repeat of the held key must not count
    settle(page)
    assert page.evaluate("window.__repeats") == [False, True]
    assert buzzes(page) == []
    page.keyboard.up("Space")
    page.keyboard.press("Space")  # a fresh press does
    assert len(buzzes(page)) == 1


def test_typing_in_an_input_does_not_buzz(page):
    set_attrs(page, phase="go")
    page.locator("#name").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    assert buzzes(page) == []
    assert page.locator("#name").input_value() == " "


@pytest.mark.parametrize("phase", ["idle", "done"])
def test_presses_in_idle_and_done_ignored(page, phase):
    set_attrs(page, phase=phase, result="no press" if phase == "done" else None)
    focus_body(page)
    click(page)
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.locator(BUTTON).focus()
    page.keyboard.press("Enter")
    assert buzzes(page) == []
    if phase == "done":
        expect(page.locator(STATUS)).to_have_text("no press")


def test_event_bubbles_and_is_composed(page):
    page.evaluate(
        """() => { window.__wrapper = [];
            document.getElementById('wrapper').addEventListener('buzz',
                (e) => __wrapper.push(e.detail.roundId)); }"""
    )
    set_attrs(page, phase="go", round_id="r42")
    click(page)
    events = buzzes(page)
    assert len(events) == 1
    assert events[0]["bubbles"] is True and events[0]["composed"] is True
    assert events[0]["target"] == "buzzer" and events[0]["roundId"] == "r42"
    assert page.evaluate("window.__wrapper") == ["r42"]


def test_morphs_keep_internal_state(page):
    set_attrs(page, phase="go", round_id="r9")
    click(page)
    ms = buzzes(page)[0]["ms"]
    expect(page.locator(STATUS)).to_have_text(f"{ms} ms")

    set_attrs(page, phase="done", result="213 ms")
    expect(page.locator(STATUS)).to_have_text("213 ms")
    expect(page.locator(BUTTON)).to_have_text("213 ms")

    set_attrs(page, result="false start")
    expect(page.locator(STATUS)).to_have_text("false start")
    click(page)
    page.keyboard.press("Space")

    # Without a server result, done shows the local figure: it survived the morphs.
    set_attrs(page, result=None)
    expect(page.locator(STATUS)).to_have_text(f"{ms} ms")

    # A stale morph back to go in the same round does not re-enable pressing.
    set_attrs(page, phase="go", result="213 ms")
    click(page)
    assert len(buzzes(page)) == 1
    expect(page.locator(STATUS)).to_have_text(f"{ms} ms")
    expect(page.locator(BUTTON)).to_have_attribute("aria-disabled", "true")

    # Client state is never reflected into attributes.
    names = page.evaluate("document.getElementById('buzzer').getAttributeNames().sort()")
    assert names == ["id", "phase", "result", "round-id"]


def test_done_without_result_and_without_press(page):
    set_attrs(page, phase="ready", round_id="r10")
    set_attrs(page, phase="go")
    set_attrs(page, phase="done")
    assert buzzes(page) == []
    assert page.locator(STATUS).inner_text() not in ("GO!", "Wait for GO…", "too early")
    set_attrs(page, result="no press")
    expect(page.locator(STATUS)).to_have_text("no press")


def test_reduced_motion_disables_transitions(page):
    button = page.locator(BUTTON)
    assert button.evaluate("b => getComputedStyle(b).transitionDuration") != "0s"
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_function(
        """() => getComputedStyle(document.getElementById('buzzer').shadowRoot
                .querySelector('button')).transitionDuration === '0s'"""
    )
    assert button.evaluate("b => getComputedStyle(b).animationName") == "none"


@pytest.mark.parametrize("delay", [120, 350])
def test_measured_ms_matches_elapsed_time(page, delay):
    result = page.evaluate(
        """async (delay) => {
            const el = document.getElementById('buzzer');
            el.setAttribute('round-id', 'timed');
            el.setAttribute('phase', 'go');
            await el.updateComplete;
            // Registered after the component's rAF, so it runs in the same frame
            // and gets the same timestamp: the moment GO was painted.
            const goTs = await new Promise((r) => requestAnimationFrame(r));
            await new Promise((resolve) => {
                const tick = () => (performance.now() - goTs >= delay ? resolve() : requestAnimationFrame(tick));
                requestAnimationFrame(tick);
            });
            const ev = new PointerEvent('pointerdown', {bubbles: true, composed: true,
                cancelable: true, button: 0, isPrimary: true, pointerType: 'mouse'});
            el.shadowRoot.querySelector('button').dispatchEvent(ev);
            return {elapsed: ev.timeStamp - goTs, prevented: ev.defaultPrevented, buzzes: window.__buzzes};
        }""",
        delay,
    )
    assert result["prevented"] is True
    assert len(result["buzzes"]) == 1
    ev = result["buzzes"][0]
    assert ev["early"] is False and ev["roundId"] == "timed"
    assert ev["ms"] >= delay
    assert abs(ev["ms"] - result["elapsed"]) <= 2, result


def test_get_ready_is_announced_once_per_round(page):
    """The page answers "get ready" at once (the server times the round trip from it)."""
    set_attrs(page, phase="ready", round_id="r30")
    set_attrs(page, phase="ready", round_id="r30")  # a morph sending the same again
    set_attrs(page, phase="go", round_id="r30")
    set_attrs(page, phase="ready", round_id="r31")
    readies = page.evaluate("window.__readies")
    assert readies == [{"roundId": "r30", "composed": True}, {"roundId": "r31", "composed": True}]


SOUND = "#buzzer button.sound"


def test_sound_is_off_until_its_toggle_turns_it_on(page):
    expect(page.locator(SOUND)).to_have_text("Sound: off")
    expect(page.locator(SOUND)).to_have_attribute("aria-pressed", "false")
    set_attrs(page, phase="go", round_id="s1")
    assert page.evaluate("window.__tones") == []  # silent by default
    page.locator(SOUND).click()  # the gesture that lets the page play sound
    expect(page.locator(SOUND)).to_have_text("Sound: on")
    assert page.evaluate("localStorage.getItem('reflex-sound')") == "on"
    set_attrs(page, phase="ready", round_id="s2")
    set_attrs(page, phase="go", round_id="s2")
    set_attrs(page, phase="ready", round_id="s3")
    page.keyboard.press("Space")  # too early
    assert page.evaluate("window.__tones") == [880, 160]  # GO's tone, then the false start's


def test_go_comes_in_at_once_and_only_leaving_it_fades(page):
    set_attrs(page, phase="ready", round_id="t1")
    colours = page.evaluate("""async () => {
        const el = document.getElementById('buzzer');
        el.setAttribute('phase', 'go');
        await el.updateComplete;
        const button = el.shadowRoot.querySelector('button.buzz');
        const first = getComputedStyle(button).backgroundColor;  // the frame GO is painted in
        await new Promise((r) => setTimeout(r, 400));
        return [first, getComputedStyle(button).backgroundColor];
    }""")
    assert colours[0] == colours[1], colours  # no colour on the way to GO's


def test_a_decoy_says_no_and_a_press_on_it_is_early(page):
    set_attrs(page, phase="decoy", round_id="d1")
    expect(page.locator(BUTTON)).to_have_text("NO!")
    expect(page.locator(STATUS)).to_have_text("NO! Don't press")
    page.keyboard.press("Space")
    assert [(e["roundId"], e["early"]) for e in buzzes(page)] == [("d1", True)]
    expect(page.locator(STATUS)).to_have_text("too early")


def test_a_press_from_the_players_other_tab_shows_as_pressed(page):
    set_attrs(page, phase="go", round_id="o1")
    set_attrs(page, result="230 ms")  # the server: this player has pressed (in another tab)
    expect(page.locator(BUTTON)).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Space")
    assert buzzes(page) == []
