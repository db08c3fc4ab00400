"""The relay's fan-out rules, without a network: messages set flags only."""

from redis.asyncio import Redis

from game.relay import Mailbox, Relay


def test_an_eviction_survives_a_later_ordinary_message():
    relay = Relay(Redis(), "home")
    old_tab, new_tab = Mailbox("old"), Mailbox("new")
    relay._watchers["ch:player"].update({old_tab, new_tab})
    relay._wake("ch:player", "close:old")
    relay._wake("ch:player", "1795317000000")  # any change, before the old tab's stream runs
    assert old_tab.evicted and not new_tab.evicted
