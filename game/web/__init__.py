"""Delivery: the game over HTTP, on Quart and Hypercorn.

The three verbs (`pages`, `commands`, `streams`) and what they stand on:
who is asking (`identity`), what the browser is allowed (`security`), the
screens a view is rendered into (`screens`), the ASGI transport of a stream
(`transport`), its compression (`compression`) and a player's stream served
below Quart (`asgi_stream`), what is turned away
before any handler runs (`gate`), refusals (`errors`), and running behind a
proxy (`health`). The game itself is in `game/`.
"""
