"""Fixtures for the <reflex-buzzer> browser tests.

The bundle is built once per session with npm/esbuild, then every test gets a
fresh browser context and page in headless Chromium (Debian's /usr/bin/chromium: Playwright's own
browser download is not available here). The page and the bundle are served
by page.route on a fake origin, so no port or server thread is needed.
"""

import pathlib
import shutil
import subprocess

import pytest
from playwright.sync_api import sync_playwright

from tests.support import CHROMIUM, CHROMIUM_ARGS

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "build" / "reflex-buzzer.js"
ORIGIN = "http://buzzer.test"

PAGE_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>buzzer test</title>
  <script>
    // Collect every buzz that reaches the document, with how it got there,
    // and every "get ready" it announced (the page answers the server's probe).
    window.__buzzes = [];
    window.__readies = [];
    // Every tone the page starts (its frequency): sound is made with Web Audio.
    window.__tones = [];
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      const osc = create.call(this);
      const start = osc.start.bind(osc);
      osc.start = (...args) => { window.__tones.push(osc.frequency.value); return start(...args); };
      return osc;
    };
    document.addEventListener('ready', (e) => window.__readies.push({...e.detail, composed: e.composed}));
    document.addEventListener('buzz', (e) => {
      window.__buzzes.push({
        ...e.detail,
        bubbles: e.bubbles,
        composed: e.composed,
        target: e.target.id,
      });
    });
  </script>
  <script type="module" src="/reflex-buzzer.js"></script>
</head>
<body>
  <input id="name" aria-label="Name">
  <div id="wrapper">
    <reflex-buzzer id="buzzer" phase="idle" round-id="r1"></reflex-buzzer>
  </div>
</body>
</html>
"""


def _run(cmd):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="session")
def bundle():
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is required to build the buzzer bundle")
    if not (ROOT / "node_modules").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"])
    _run([npm, "run", "build"])
    assert BUNDLE.is_file(), f"build did not produce {BUNDLE}"
    return BUNDLE


# Module scope: the sync Playwright instance (and its private event loop) is
# gone before the rest of the suite runs its async tests on the shared loop.
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, bundle):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def serve(route):
        path = route.request.url[len(ORIGIN):].split("?")[0]
        if path == "/":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE_HTML)
        elif path == "/reflex-buzzer.js":
            route.fulfill(
                status=200,
                content_type="text/javascript; charset=utf-8",
                body=bundle.read_text(encoding="utf-8"),
            )
        else:
            route.fulfill(status=404, body="not found")

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    ready = page.evaluate(
        """async () => {
            await customElements.whenDefined('reflex-buzzer');
            const el = document.getElementById('buzzer');
            await el.updateComplete;
            return !!el.shadowRoot.querySelector('button');
        }"""
    )
    assert ready, "reflex-buzzer did not render its button"
    yield page
    context.close()
    assert not errors, f"page errors: {errors}"
