"""The page runs under a strict Content-Security-Policy, and it bites."""

import httpx
from playwright.async_api import expect


async def test_the_game_runs_under_a_strict_csp_that_blocks_injected_scripts(people, server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        policy = (await client.get("/")).headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-eval" not in policy and "unsafe-inline" not in policy

    person = await people()
    page = await person.open()
    # Datastar works under it: validation as you type comes back from the server.
    await page.locator("#name").fill("x" * 25)
    await expect(page.locator("#name-error")).to_contain_text("At most 20 characters")
    assert await page.evaluate("document.documentElement.hasAttribute('data-nonce')") is False

    await page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.append(s); }"
    )
    assert await page.evaluate("window.__pwned") is None
    refusals = [e for e in person.errors if "Content Security Policy" in e]
    assert refusals, person.errors
    for refusal in refusals:  # the refusal this test caused is not an error of the app
        person.errors.remove(refusal)
