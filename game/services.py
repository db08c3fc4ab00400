"""The per-process services of the game, started and stopped as one.

`running(settings)` opens them in order (Redis, with the task that closes
its idle connections; the relay's pub/sub connection, one per shard; the presence
lease) and closes them in reverse when the block ends, so every start has
its stop beside it. The web layer holds the result for the process's
lifetime (`app.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from game.config import Settings
from game.presence import Presence
from game.reads import Snapshots
from game.relay import Relay
from game.store import Store, connect, prepare, release_idle
from game.timers import Receipts, Timers


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    relay: Relay
    timers: Timers
    presence: Presence
    snapshots: Snapshots
    receipts: Receipts


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    redis = connect(settings)
    store = Store(redis, settings)
    paced = {store.keys.lobby_channel(): settings.lobby_pace_us / 1e6}  # see Relay
    relay = Relay.for_client(redis, store.keys.relay_channel(), paced)
    timers = Timers(store, settings)

    def rooms_shown() -> list[str]:
        """The rooms this process's streams show: its lease keeps them from expiring."""
        return [code for channel in relay.channels() if (code := store.keys.room_of_channel(channel))]

    presence = Presence(store, settings, rooms_shown)
    idle = asyncio.create_task(release_idle(redis), name="redis-idle")  # a burst's connections, closed
    try:
        await prepare(redis)
        await relay.start()
        await presence.start()  # the lease, before this process opens any stream
        yield Services(settings, store, relay, timers, presence, Snapshots(), Receipts(store))
    finally:
        idle.cancel()
        timers.cancel_all()
        presence.cancel_all()
        store.stop()
        await relay.stop()
        await redis.aclose()
