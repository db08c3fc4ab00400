"""The composition root refuses to start without its browser bundles."""

import pytest

import app as app_module


def test_the_app_refuses_to_start_without_the_browser_bundles(tmp_path, monkeypatch):
    monkeypatch.setattr(app_module, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as refused:
        app_module.check_assets()
    message = str(refused.value)
    assert "static/vendor/datastar.js" in message and "scripts/setup.sh" in message
    assert "static/build/reflex-buzzer.js" in message
