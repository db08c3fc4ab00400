"""The relay's fan-out rules, without a network: messages set flags only."""

import asyncio
import contextlib

from redis.asyncio import Redis

from game.relay import Mailbox, Relay


def test_an_eviction_survives_a_later_ordinary_message():
    relay = Relay(Redis(), "home")
    old_tab, new_tab = Mailbox("old"), Mailbox("new")
    relay._watchers["ch:player"].update({old_tab, new_tab})
    relay._wake("ch:player", "close:old")
    relay._wake("ch:player", "1795317000000")  # any change, before the old tab's stream runs
    assert old_tab.evicted and not new_tab.evicted


async def test_a_stream_leaving_mid_subscribe_does_not_cancel_the_shared_connections_command():
    relay = Relay(Redis(), "home")
    on_the_wire = asyncio.Event()
    finished: list[str] = []

    async def slow_subscribe(channel: str) -> None:  # a socket that takes its time
        on_the_wire.set()
        await asyncio.sleep(0.05)
        finished.append(channel)

    relay._pubsub.subscribe = slow_subscribe  # type: ignore[method-assign]
    leaving = asyncio.create_task(relay.watch(Mailbox("gone"), frozenset({"ch:room"})))
    await on_the_wire.wait()
    leaving.cancel()  # its client left while the command was in flight
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    await asyncio.sleep(0.1)
    assert finished == ["ch:room"]  # completed: redis-py never saw a cancelled command
