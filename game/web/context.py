"""The process's game services, as a request reaches them (set by app.py at startup)."""

from __future__ import annotations

from quart import current_app

from game.services import Services


def services() -> Services:
    return current_app.extensions["game"]  # type: ignore[no-any-return]
