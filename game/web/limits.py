"""What one player, and one machine, may do per minute.

Identities are cheap (a page load mints one), so every limit on what costs
the game is counted per client address as well as per player: commands, new
identities, room creations, room links opened. The counters live in Redis,
so every process shares them. Past a limit the answer is 429 with
Retry-After and a sentence a person understands.

A client address is the network a request came from: the IPv4 address, or
the /64 of an IPv6 one (a single household or phone gets a whole /64); with
TRUST_PROXY=1, as the proxy saw it. It is kept only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from quart import g, request
from werkzeug.exceptions import TooManyRequests

from game.web.context import services
from game.web.identity import mint_player, player_id

Limit = tuple[str, tuple[int, int]]  # (counter name, (at most this many, per this many seconds))


def client_network(remote_addr: str | None) -> str:
    """The network a request came from (IPv4 address, or IPv6 /64)."""
    raw = remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def address_tag() -> str:
    """The client's network as a keyed hash: enough to count and compare, useless to anyone else.
    Made once per request (its limits, and the moves that record it, all ask)."""
    tag: str | None = g.get("address_tag")
    if tag is None:
        tag = g.address_tag = tag_of(services().settings.secret_key, request.remote_addr)
    return tag


def tag_of(secret_key: str, remote_addr: str | None) -> str:
    """The keyed hash of the network `remote_addr` is in."""
    return hmac.new(secret_key.encode(), client_network(remote_addr).encode(), hashlib.sha256).hexdigest()[:16]


async def check(*limits: Limit, message: str) -> None:
    """Count this request against each limit; over any of them, 429 with `message`."""
    counters = [(name, count, seconds * 1000) for name, (count, seconds) in limits]
    verdict = await services().store.moves.limit(address_tag(), counters)
    if verdict.get("limited"):
        retry_after = max(1, -(-verdict["retry_ms"] // 1000))
        raise TooManyRequests(f"{message} Try again in {retry_after} s.", retry_after=retry_after)


async def limit_commands() -> None:
    """Every POST, game or tutorial: per player (or per address without a session) and per address."""
    if request.method != "POST":
        return
    s = services().settings
    tag = address_tag()
    pid = player_id()
    await check(
        (f"cmd:{pid or tag}", s.rate_limit), (f"cmd-addr:{tag}", s.address_rate_limit),
        message="Too many actions: slow down a little.",
    )


async def player_or_new() -> str:
    """This browser's player id; a new one (and its cookie) within the address's limit."""
    pid = player_id()
    if pid is None:
        await check((f"new:{address_tag()}", services().settings.identity_limit),
                    message="Too many new players from your network in the last minute.")
        pid = mint_player()
    return pid


async def check_new_room(pid: str) -> None:
    s = services().settings
    await check((f"room:{pid}", s.room_limit), (f"room-addr:{address_tag()}", s.room_address_limit),
                message="Too many new rooms: join one from the list, or wait a little.")


async def check_room_link() -> None:
    await check((f"link:{address_tag()}", services().settings.probe_limit),
                message="Too many room links opened from your network in the last minute.")
