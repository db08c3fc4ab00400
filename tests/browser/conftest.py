"""Real-browser fixtures: headless Chromium driving the app served by the suite.

Each person at the table is a browser context of their own (their own session
cookie); a second tab of the same person is a second page in that context.
Every page records what it showed (see RECORDER) so a test can ask about a
state that was on screen only briefly, and every console error or uncaught
exception fails the test.

Chromium is Debian's /usr/bin/chromium: Playwright's own browser download is
not available here. The async API is used because the suite's fixtures run in
one asyncio loop.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.support import CHROMIUM, CHROMIUM_ARGS, Server

VIEWPORT = {"width": 1100, "height": 800}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Installed in every page before its own scripts. A MutationObserver notes each
# distinct #status text, each (phase, round) of the buzzer and when this page
# first saw GO for a round, every presence shown for each player row, and
# whether a <reflex-buzzer> was ever in the document. Observer callbacks run
# after every DOM change, so nothing the stream showed is missed, however short.
RECORDER = """
(() => {
  const seen = window.__seen = {
    status: [], phases: [], goAt: {}, presence: {}, buzzerEver: false,
  };
  const text = (el) => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
  const note = () => {
    const status = text(document.getElementById('status'));
    if (status && seen.status[seen.status.length - 1] !== status) seen.status.push(status);
    const buzzer = document.querySelector('reflex-buzzer');
    if (buzzer) {
      seen.buzzerEver = true;
      const phase = buzzer.getAttribute('phase'), round = buzzer.getAttribute('round-id');
      const last = seen.phases[seen.phases.length - 1];
      if (!last || last.phase !== phase || last.round !== round) seen.phases.push({phase, round});
      if (phase === 'go' && !(round in seen.goAt)) seen.goAt[round] = performance.now();
    }
    for (const row of document.querySelectorAll('tr[data-presence]')) {
      const name = text(row.querySelector('.name'));
      const shown = seen.presence[name] || (seen.presence[name] = []);
      const presence = row.getAttribute('data-presence');
      if (!shown.includes(presence)) shown.push(presence);
    }
  };
  new MutationObserver(note).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();
"""

# A tab's stream is a fetch that a reload or a closing context cuts off; the
# browser may report that as a failed load. Those are not the app's errors.
CUT_STREAM = re.compile(r"net::ERR_(ABORTED|INCOMPLETE_CHUNKED_ENCODING|NETWORK_CHANGED)|Failed to fetch|network error",
                        re.IGNORECASE)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@dataclass
class Person:
    """Someone at the table: one browser context (own cookies) and its tabs."""

    context: BrowserContext
    errors: list[str]
    tabs: list[Page] = field(default_factory=list)

    async def open(self, path: str = "/") -> Page:
        """A new tab of this person, showing `path` with its stream open."""
        page = await self.context.new_page()
        page.set_default_timeout(10_000)
        self.tabs.append(page)
        label = f"tab {len(self.tabs)}"

        def on_console(message: ConsoleMessage) -> None:
            url = message.location.get("url") or ""
            if message.type == "error" and not CUT_STREAM.search(message.text):
                self.errors.append(f"{label} console: {message.text} ({url})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{label} uncaught: {exc}"))
        page.on("dialog", lambda dialog: self.errors.append(f"{label} dialog opened: {dialog.message}"))
        await page.goto(path)
        return page


@contextlib.asynccontextmanager
async def people_of(browser: Browser, server: Server) -> AsyncIterator[Callable[..., Awaitable[Person]]]:
    """Make people playing on `server`; at the end their tabs close and no page may have logged an error."""
    made: list[Person] = []
    errors: list[str] = []

    async def person(**device: object) -> Person:
        """Someone with a browser of their own; `device` as Playwright's new_context
        takes it (PHONE: a phone's viewport, with touch)."""
        context = await browser.new_context(**{"base_url": server.url, "viewport": VIEWPORT, **device})
        await context.add_init_script(RECORDER)
        someone = Person(context, errors)
        made.append(someone)
        return someone

    yield person
    found = list(errors)  # what happens while the tabs close is not the app's doing
    for someone in made:
        await someone.context.close()
    assert not found, "errors in the pages:\n" + "\n".join(found)


@pytest.fixture
async def people(browser: Browser, server: Server, redis: object) -> AsyncIterator[Callable[..., Awaitable[Person]]]:
    """People playing on the suite's server (see `people_of`)."""
    async with people_of(browser, server) as person:
        yield person
