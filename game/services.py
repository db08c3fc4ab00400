"""The per-process services every route uses, created at startup by app.py."""

from __future__ import annotations

from dataclasses import dataclass

from quart import current_app

from game.presence import Presence
from game.relay import Relay
from game.store import Store
from game.timers import GoReceipts, Timers
from game.views import Snapshots


@dataclass
class Services:
    store: Store
    relay: Relay
    timers: Timers
    presence: Presence
    snapshots: Snapshots
    go_receipts: GoReceipts


def services() -> Services:
    return current_app.extensions["game"]  # type: ignore[no-any-return]
