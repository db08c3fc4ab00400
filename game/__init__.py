"""The reflex buzzer game: its rules, its state in Redis, and each player's view.

The domain imports nothing from the web framework (tests/test_house.py checks):

    config     settings from the environment      rules     the fixed rules, written once
    keys       every key, in a room's or the      scripts   the Lua (lua/room, lua/lobby), each
               lobby's slot                                 declaring its keys
    moves      every change, as one-slot steps    store     the Redis client, the moves by name
    relay      pub/sub, a connection per shard    presence  who is online (a lease per process)
    timers     GO, round end, next round          reads     shared reads of Redis (snapshots)
    views      snapshot in, typed view out        services  all of them, started and stopped as one

`game/web/` serves it over HTTP.
"""
