"""One Redis pub/sub connection per process, fanned out to local mailboxes.

Each stream owns a Mailbox and tells the relay which channels it watches.
A message only sets the mailbox's flag: many messages while a stream is busy
rendering give one wake-up (coalescing), and a mailbox never holds more than
that one flag, however slow its stream (bounded memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from game.rules import EVICT

log = logging.getLogger(__name__)


class Mailbox:
    """A coalescing wake-up flag for one stream (named by its stream id)."""

    def __init__(self, stream_id: str = "", own_channel: str = "") -> None:
        self._event = asyncio.Event()
        self.channels: frozenset[str] = frozenset()
        self.stream_id = stream_id
        self.own_channel = own_channel  # the player's own channel: see `own_changed`
        self.own_changed = True  # something of the player's own may have changed: re-read it
        self.evicted = False  # told to close: the player opened too many tabs
        self.woken_at = 0.0

    def notify(self, channel: str | None = None) -> None:
        """Wake the stream; `channel` is where the message came (None: unknown, maybe any)."""
        self.woken_at = time.monotonic()  # a read for this stream must start after this
        if channel is None or channel == self.own_channel:
            self.own_changed = True
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken by a message, False when the timeout ran out first."""
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a
        # cancellation that lands as the event fires, and a stream whose client
        # left would then never end.
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            return False
        self._event.clear()
        return True


class Relay:
    """Fans the messages of one pub/sub connection out to this process's mailboxes."""

    def __init__(self, pubsub: PubSub, home_channel: str) -> None:
        self._pubsub = pubsub
        # Always subscribed to one channel, so the connection stays in pub/sub
        # mode and the listener has something to wait on.
        self._home = home_channel
        self._mailboxes: dict[str, set[Mailbox]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()  # one command on the wire at a time

    async def start(self) -> None:
        await self._pubsub.execute_command("SSUBSCRIBE", self._home)
        if self._pubsub.connection:
            # This connection keeps redis-py's default, no retry (`_listen`
            # reconnects it): the pool's RETRY (game/store.py) would also
            # reconnect it inside whichever task is using it, the listener or
            # a stream subscribing, and two tasks reconnecting one connection
            # at once break it.
            self._pubsub.connection.retry = Retry(NoBackoff(), 0)
        self._task = asyncio.create_task(self._listen(), name="relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._pubsub.aclose()

    def channels(self) -> list[str]:
        """The channels some stream of this process watches."""
        return list(self._mailboxes)

    async def watch(self, mailbox: Mailbox, channels: frozenset[str]) -> None:
        """Point a mailbox at a new set of channels (subscribing as needed)."""
        added, removed = channels - mailbox.channels, mailbox.channels - channels
        mailbox.channels = channels
        for channel in added:
            first = not self._mailboxes[channel]
            self._mailboxes[channel].add(mailbox)
            if first:
                self._pubsub.channels[channel] = None  # a reconnect resubscribes every channel listed here
                await self._send("SSUBSCRIBE", channel)
        await self._unwatch(mailbox, removed)

    async def drop(self, mailbox: Mailbox) -> None:
        channels, mailbox.channels = mailbox.channels, frozenset()
        await self._unwatch(mailbox, channels)

    async def _unwatch(self, mailbox: Mailbox, channels: frozenset[str]) -> None:
        for channel in channels:
            mailboxes = self._mailboxes.get(channel)
            if mailboxes is None:
                continue
            mailboxes.discard(mailbox)
            if not mailboxes:
                del self._mailboxes[channel]
                self._pubsub.channels.pop(channel, None)
                await self._send("SUNSUBSCRIBE", channel)

    async def _send(self, *command: str) -> None:
        """Send a (un)subscription on the shared connection, and nothing more.

        Only the listener reads from the connection, and only the listener
        reconnects it (redis-py then resubscribes every listed channel): a
        stream that sent through redis-py's PubSub commands would reconnect it
        on an error too, and two coroutines reconnecting one connection at once
        break it ("read() called while another coroutine is already waiting").
        While the connection is down, nothing is sent: the reconnect covers it.
        Shielded: a stream cancelled mid-send (its client left) must not leave
        a half-written command on the connection every stream shares."""
        connection = self._pubsub.connection
        if connection is None or not connection.is_connected:
            return
        async with self._sending:
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
                await asyncio.shield(connection.send_command(*command, check_health=False))

    def deliver(self, channel: str, data: str) -> None:
        """A message arrived on `channel`: wake the mailboxes watching it."""
        evict = data.removeprefix(EVICT) if data.startswith(EVICT) else None
        for mailbox in self._mailboxes.get(channel, ()):
            if evict is None or mailbox.stream_id == evict:
                # Once told to close, a later ordinary message must not undo it.
                mailbox.evicted = mailbox.evicted or evict is not None
                mailbox.notify(channel)

    def _wake_all(self) -> None:
        for mailboxes in self._mailboxes.values():
            for mailbox in mailboxes:
                mailbox.notify()

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                # Messages may have been missed: once reconnected (redis-py
                # resubscribes on connect), every stream re-reads Redis.
                log.warning("pub/sub connection lost (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            if message is None:
                continue
            backoff = 0.1
            kind = message["type"]
            if kind == "smessage":
                self.deliver(message["channel"], message["data"])
            elif kind == "ssubscribe" and message["channel"] == self._home:
                # (Re)subscribed: after a reconnect, nobody knows what was missed.
                self._wake_all()
