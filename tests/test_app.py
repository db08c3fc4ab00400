"""The composition root refuses to start without its browser bundles, or with
a short secret where others can reach the server."""

import re

import httpx
import pytest

import app as app_module
from game.config import load_settings
from tests.conftest import FAST_GAME, free_port
from tests.support import start_server, start_servers

SHORT_KEY = "only-twenty-six-bytes-long"


def test_the_app_refuses_to_start_without_the_browser_bundles(tmp_path, monkeypatch):
    monkeypatch.setattr(app_module, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as refused:
        app_module.check_assets()
    message = str(refused.value)
    assert "static/vendor/datastar.js" in message and "scripts/setup.sh" in message
    assert "static/build/reflex-buzzer.js" in message


def refusal(env: dict[str, str]) -> str:
    """What Hypercorn printed when the app would not start with `env`."""
    with pytest.raises(RuntimeError, match="the app did not start") as failed:
        with start_server(env, free_port()):
            pass  # it served: the test fails on the missing RuntimeError
    return str(failed.value)


async def test_a_short_secret_is_served_on_loopback_only(redis_url):
    short = {**FAST_GAME, "SECRET_KEY": SHORT_KEY, "REDIS_URL": redis_url}
    for env, why in [({"BIND": "0.0.0.0:8000"}, "BIND=0.0.0.0:8000"), ({"COOKIE_SECURE": "1"}, "COOKIE_SECURE=1")]:
        printed = refusal({**short, **env})
        assert f"SECRET_KEY is {len(SHORT_KEY)} bytes" in printed and why in printed, printed
        assert "at least 32" in printed and "Traceback" not in printed  # a sentence, not a crash
    # BIND's default is loopback, where a short key is fine: the suite itself runs so.
    with start_server(short, free_port()) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as client:
            assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize(("bind", "served"), [
    ("127.0.0.1:8000", True), ("127.0.0.2", True), ("localhost:8000", True), ("[::1]:8000", True),
    ("[::ffff:127.0.0.1]:8000", True),  # a dual-stack socket's name for 127.0.0.1
    ("0.0.0.0:8000", False), ("[::]:8000", False), ("192.0.2.7:8000", False), ("game.example:8000", False),
    ("unix:/run/reflex.sock", False), ("fd://3", False),  # a proxy may serve these to anyone
])
def test_which_binds_are_loopback_for_a_short_secret(bind, served):
    if served:
        assert load_settings(redis_url=None, secret_key=SHORT_KEY, bind=bind).bind == bind
    else:
        with pytest.raises(SystemExit, match=f"bound beyond loopback \\(BIND={re.escape(bind)}\\)"):
            load_settings(redis_url=None, secret_key=SHORT_KEY, bind=bind)
    assert load_settings(redis_url=None, secret_key="k" * 32, bind=bind).bind == bind  # a long key anywhere


async def test_a_short_secret_is_refused_on_a_socket_that_bind_did_not_name(redis_url, tmp_path):
    # Hypercorn bound to a unix socket (which a proxy may serve to anyone) while BIND says loopback.
    socket = tmp_path / "app.sock"
    env = {**FAST_GAME, "SECRET_KEY": SHORT_KEY, "REDIS_URL": redis_url}
    with start_servers([(env, f"unix:{socket}")]) as (srv,):
        transport = httpx.AsyncHTTPTransport(uds=str(socket))
        async with httpx.AsyncClient(transport=transport, base_url="http://game.example") as client:
            for path in ("/", "/healthz"):
                answer = await client.get(path)
                assert answer.status_code == 503 and "SECRET_KEY is too short" in answer.text, answer.text
                assert "reflex_session" not in answer.headers.get("set-cookie", "")  # nothing signed with it
    assert "SECRET_KEY is too short for a server reached on a unix socket" in "".join(srv.log)
