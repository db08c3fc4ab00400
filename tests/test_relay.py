"""The relay's fan-out rules, without a network: messages set flags only."""

import asyncio
import contextlib

from game.relay import Mailbox, Relay


class QuietConnection:
    """A pub/sub connection that takes its time to send and never delivers."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.is_connected = True
        self.on_the_wire = asyncio.Event()
        self.sent: list[tuple[str, ...]] = []

    async def send_command(self, *args: str, check_health: bool = True) -> None:
        self.on_the_wire.set()
        await asyncio.sleep(self.delay)
        self.sent.append(args)


class QuietPubSub:
    def __init__(self, delay: float = 0.0) -> None:
        self.connection = QuietConnection(delay)
        self.channels: dict[str, None] = {}


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
    await pubsub.connection.on_the_wire.wait()
    leaving.cancel()  # its client left while the command was in flight
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    await asyncio.sleep(0.1)
    assert pubsub.connection.sent == [("SUBSCRIBE", "ch:room")]  # completed: never cut half-way


async def test_while_the_connection_is_down_nothing_is_sent_and_the_reconnect_resubscribes():
    pubsub = QuietPubSub()
    pubsub.connection.is_connected = False  # the listener is reconnecting: only it may
    relay = Relay(pubsub, "home")  # type: ignore[arg-type]
    await relay.watch(Mailbox("tab"), frozenset({"ch:room"}))
    assert pubsub.connection.sent == []
    assert "ch:room" in pubsub.channels  # redis-py resubscribes these once connected
