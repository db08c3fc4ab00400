"""The relay's fan-out rules, without a network: messages set flags only."""

import asyncio
import contextlib

from game.relay import Mailbox, Relay


class QuietPubSub:
    """A pub/sub connection that takes its time to subscribe and never delivers."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.on_the_wire = asyncio.Event()
        self.subscribed: list[str] = []

    async def subscribe(self, channel: str) -> None:
        self.on_the_wire.set()
        await asyncio.sleep(self.delay)
        self.subscribed.append(channel)

    async def unsubscribe(self, channel: str) -> None:
        pass


async def test_an_eviction_survives_a_later_ordinary_message():
    relay = Relay(QuietPubSub(), "home")  # type: ignore[arg-type]
    old_tab, new_tab = Mailbox("old"), Mailbox("new")
    for tab in (old_tab, new_tab):
        await relay.watch(tab, frozenset({"ch:player"}))
    relay.deliver("ch:player", "close:old")
    relay.deliver("ch:player", "1795317000000")  # any change, before the old tab's stream runs
    assert old_tab.evicted and not new_tab.evicted


async def test_a_stream_leaving_mid_subscribe_does_not_cancel_the_shared_connections_command():
    pubsub = QuietPubSub(delay=0.05)  # a socket that takes its time
    relay = Relay(pubsub, "home")  # type: ignore[arg-type]
    leaving = asyncio.create_task(relay.watch(Mailbox("gone"), frozenset({"ch:room"})))
    await pubsub.on_the_wire.wait()
    leaving.cancel()  # its client left while the command was in flight
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    await asyncio.sleep(0.1)
    assert pubsub.subscribed == ["ch:room"]  # completed: redis-py never saw a cancelled command
