"""Retake the README's screenshots from a real match.

Starts its own redis-server and the game (Hypercorn, real templates and
scripts, short pacing), then plays a match in headless Chromium: a TV screen
at 1920x1080 and two phones (390x844, touch) that scan nothing but open the
invite link. It saves docs/screenshots/tv.png (the big screen mid-match),
phone-go.png (a phone at GO) and podium.png (the final podium on the TV),
plus phone-lobby.png.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("REFLEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PACE = {"READY_MIN_MS": "1200", "READY_MAX_MS": "1800", "ROUND_TIMEOUT_MS": "2500", "RESULTS_PAUSE_MS": "3000"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


@contextlib.contextmanager
def game() -> Iterator[str]:
    """redis-server and the game on free ports, for as long as the block runs."""
    redis_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as workdir:
        redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(redis_port),
                                  "--save", "", "--dir", workdir], stdout=subprocess.DEVNULL)
        wait_for_port(redis_port)
        env = {**os.environ, **PACE, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
               "SECRET_KEY": "screenshots-only-" + "x" * 16}
        app = subprocess.Popen([sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            app.terminate()
            redis.terminate()
            app.wait(10)
            redis.wait(10)


async def name(page: Page, url: str, who: str) -> None:
    await page.goto(url)
    await page.fill("#name", who)
    await page.click("#name-form button[type=submit]")
    await page.wait_for_selector("#lobby-you")


async def buzzer_phase(page: Page, phase: str, timeout: float = 20_000) -> None:
    await page.wait_for_function(
        "p => document.getElementById('buzzer')?.getAttribute('phase') === p", arg=phase, timeout=timeout)


async def shoot(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with game() as url:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ann, bob = [await (await browser.new_context(**PHONE)).new_page() for _ in range(2)]
            tv = await (await browser.new_context(viewport={"width": 1920, "height": 1080})).new_page()
            await name(ann, url, "Ann")
            await ann.screenshot(path=out / "phone-lobby.png")
            await ann.click("#create-room button")  # a public room
            await ann.wait_for_selector("#room-code")
            code = (await ann.inner_text("#room-code")).strip()
            await tv.goto(f"{url}/r/{code}/screen")
            await name(bob, f"{url}/r/{code}", "Bob")
            await bob.click("#invite button")
            await tv.wait_for_function("() => document.body.innerText.includes('Bob')")
            await ann.select_option("#rounds", "2")
            await ann.wait_for_selector("#rounds option[value='2'][selected]", state="attached")
            await ann.click("#start")
            for round_no in (1, 2):
                await buzzer_phase(ann, "go")
                await buzzer_phase(bob, "go")
                if round_no == 1:
                    await ann.screenshot(path=out / "phone-go.png")
                await ann.locator("#buzzer button[part=button]").tap()
                await asyncio.sleep(0.09)
                await bob.locator("#buzzer button[part=button]").tap()
                await tv.wait_for_selector(".results")
                if round_no == 1:
                    await asyncio.sleep(0.8)  # the bars have grown
                    await tv.screenshot(path=out / "tv.png")
            await tv.wait_for_selector("#podium", timeout=20_000)
            await asyncio.sleep(0.5)
            await tv.screenshot(path=out / "podium.png")
            await browser.close()
    print(f"saved {', '.join(sorted(p.name for p in out.glob('*.png')))} in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    asyncio.run(shoot(parser.parse_args().out))


if __name__ == "__main__":
    main()
