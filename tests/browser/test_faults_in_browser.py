"""In a real browser: the app process dies and comes back; the page says it is
reconnecting meanwhile, then resumes with the player's seat."""

import os
import signal

from playwright.async_api import expect

from tests.conftest import FAST_GAME, free_port
from tests.support import start_server


def kill_hard(proc) -> None:
    for pid in [int(p) for p in os.popen(f"pgrep -P {proc.pid}").read().split()] + [proc.pid]:
        os.kill(pid, signal.SIGKILL)
    proc.wait(10)


async def test_the_page_reconnects_after_the_app_process_dies(browser, redis_url, redis):
    env = {**FAST_GAME, "REDIS_URL": redis_url}
    port = free_port()
    context = await browser.new_context(base_url=f"http://127.0.0.1:{port}")
    try:
        with start_server(env, port) as first:
            page = await context.new_page()
            await page.goto("/")
            await page.locator("#name").fill("Ann")
            await page.get_by_role("button", name="Let's play").click()
            await page.get_by_role("button", name="Private room").click()
            code = await page.locator("#room-code").inner_text()
            await expect(page.locator(".conn")).to_have_text("live")
            kill_hard(first.proc)
            await expect(page.locator(".conn")).to_have_text("reconnecting…")
        with start_server(env, port):
            # Datastar's retry finds the new process; the seat is still hers.
            await expect(page.locator(".conn")).to_have_text("live", timeout=15_000)
            await expect(page.locator("#room-code")).to_have_text(code)
            await expect(page.locator("#players tr.you .name")).to_have_text("Ann")
    finally:
        await context.close()
