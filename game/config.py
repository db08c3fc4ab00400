"""Settings from the environment, read once at startup.

Every knob a player or operator may turn lives here with its default, so the
rest of the code never reads `os.environ` itself.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True, eq=False)  # one per process: hashed by identity, cheaply (views are cached by it)
class Settings:
    redis_url: str | None
    secret_key: str
    key_prefix: str = "rb:"
    cookie_secure: bool = False
    trust_proxy: bool = False  # believe one hop of X-Forwarded-* (only behind our nginx)
    served_by: str = ""  # names this process in an X-Served-By header (the topology test)
    room_min_players: int = 2
    room_max_players: int = 8
    default_rounds: int = 5
    max_rounds: int = 20
    ready_min_ms: int = 1500  # the secret delay before GO is drawn from [min, max]
    ready_max_ms: int = 4000
    round_timeout_ms: int = 3000  # a round ends this long after GO at the latest
    results_pause_ms: int = 4000  # results stay up this long before the next round
    human_floor_ms: int = 100  # faster than this is a false start
    reaction_tolerance_ms: int = 50  # slack on the server's own elapsed-time cap
    rtt_slack_ms: int = 80  # slack on the lower bound: elapsed time less the player's round trip
    rtt_cap_ms: int = 500  # the most round-trip time a claim is granted (also with none measured)
    decoy_share: float = 0.35  # with decoys on: the share of rounds that show a decoy ("NO!") first
    decoy_ms: int = 900  # how long a decoy shows
    decoy_then_go: float = 0.6  # the share of decoy rounds in which GO still comes afterwards
    fastest_kept: int = 10  # today's fastest: entries kept (and shown)
    heartbeat_s: float = 15.0
    send_timeout_s: float = 10.0  # a stream whose client takes no data for this long is dropped
    reconnect_grace_ms: int = 10000  # "reconnecting" before a player counts as gone
    lobby_wake_ms: int = 500  # the lobby is woken at most this often, however many players come, go or queue
    room_ttl_s: int = 900  # an abandoned room's keys expire after this
    # Limits: (at most this many, per this many seconds). Identities are cheap,
    # so what one machine can do is limited per client address as well.
    rate_limit: tuple[int, int] = (40, 5)  # commands per player
    address_rate_limit: tuple[int, int] = (400, 5)  # commands per client address (a classroom behind one NAT)
    identity_limit: tuple[int, int] = (60, 60)  # new players (cookies) per client address
    room_limit: tuple[int, int] = (5, 60)  # rooms a player creates
    room_address_limit: tuple[int, int] = (30, 60)  # rooms created per client address
    probe_limit: tuple[int, int] = (120, 60)  # room links (/r/<code>) opened per client address
    max_streams: int = 6  # open tabs per player; opening one more closes the oldest
    max_spectators: int = 2000  # per room
    max_queue: int = 1000  # players waiting for quick play
    player_ttl_s: int = 7 * 24 * 3600
    redis_pool: int = 1000  # Redis connections per process; a burst past it waits its turn


def _limit(name: str, default: str) -> tuple[int, int]:
    """"40/5" means at most 40 per 5 seconds."""
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), int(seconds or 1)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated and kept for local runs."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = ROOT / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    log.warning("SECRET_KEY is not set: using the local key in %s (fine for local play only)", path)
    return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment; keyword overrides win (tests use them)."""
    values: dict[str, object] = {
        "redis_url": os.environ.get("REDIS_URL") or None,
        "key_prefix": os.environ.get("KEY_PREFIX", "rb:"),
        "cookie_secure": os.environ.get("COOKIE_SECURE", "") == "1",
        "trust_proxy": os.environ.get("TRUST_PROXY", "") == "1",
        "served_by": os.environ.get("SERVED_BY", ""),
        "room_max_players": _int("ROOM_MAX_PLAYERS", 8),
        "default_rounds": _int("DEFAULT_ROUNDS", 5),
        "ready_min_ms": _int("READY_MIN_MS", 1500),
        "ready_max_ms": _int("READY_MAX_MS", 4000),
        "decoy_ms": _int("DECOY_MS", 900),
        "round_timeout_ms": _int("ROUND_TIMEOUT_MS", 3000),
        "results_pause_ms": _int("RESULTS_PAUSE_MS", 4000),
        "human_floor_ms": _int("HUMAN_FLOOR_MS", 100),
        "reaction_tolerance_ms": _int("REACTION_TOLERANCE_MS", 50),
        "rtt_slack_ms": _int("RTT_SLACK_MS", 80),
        "rtt_cap_ms": _int("RTT_CAP_MS", 500),
        "reconnect_grace_ms": _int("RECONNECT_GRACE_MS", 10000),
        "heartbeat_s": float(os.environ.get("HEARTBEAT_S", "15")),
        "send_timeout_s": float(os.environ.get("SEND_TIMEOUT_S", "10")),
        "rate_limit": _limit("RATE_LIMIT", "40/5"),
        "address_rate_limit": _limit("ADDRESS_RATE_LIMIT", "400/5"),
        "identity_limit": _limit("IDENTITY_LIMIT", "60/60"),
        "room_limit": _limit("ROOM_LIMIT", "5/60"),
        "room_address_limit": _limit("ROOM_ADDRESS_LIMIT", "30/60"),
        "probe_limit": _limit("PROBE_LIMIT", "120/60"),
        "room_ttl_s": _int("ROOM_TTL_S", 900),
        "redis_pool": _int("REDIS_POOL", 1000),
    }
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key()
    settings = Settings(**values)  # type: ignore[arg-type]
    if not 2 <= settings.room_max_players <= 8:
        raise ValueError("ROOM_MAX_PLAYERS must be between 2 and 8")
    return settings
