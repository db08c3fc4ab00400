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
    heartbeat_s: float = 15.0
    send_timeout_s: float = 10.0  # a stream whose client takes no data for this long is dropped
    reconnect_grace_ms: int = 10000  # "reconnecting" before a player counts as gone
    lobby_presence_ms: int = 1000  # the lobby's online count follows comings and goings this often
    room_ttl_s: int = 900  # an abandoned room's keys expire after this
    rate_limit: tuple[int, int] = (40, 5)  # at most this many commands per player per this many seconds
    max_streams: int = 6  # open tabs per player; opening one more closes the oldest
    max_spectators: int = 2000  # per room
    max_queue: int = 1000  # players waiting for quick play
    player_ttl_s: int = 7 * 24 * 3600
    redis_pool: int = 1000  # Redis connections per process; a burst past it waits its turn
    redis_idle_s: float = 60.0  # a pooled Redis connection unused this long is closed ...
    redis_pool_min: int = 8  # ... unless it is one of the last this many


def _rate(raw: str) -> tuple[int, int]:
    """"40/5" means 40 commands per 5 seconds."""
    count, _, seconds = raw.partition("/")
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
        "round_timeout_ms": _int("ROUND_TIMEOUT_MS", 3000),
        "results_pause_ms": _int("RESULTS_PAUSE_MS", 4000),
        "human_floor_ms": _int("HUMAN_FLOOR_MS", 100),
        "reaction_tolerance_ms": _int("REACTION_TOLERANCE_MS", 50),
        "reconnect_grace_ms": _int("RECONNECT_GRACE_MS", 10000),
        "heartbeat_s": float(os.environ.get("HEARTBEAT_S", "15")),
        "send_timeout_s": float(os.environ.get("SEND_TIMEOUT_S", "10")),
        "rate_limit": _rate(os.environ.get("RATE_LIMIT", "40/5")),
        "room_ttl_s": _int("ROOM_TTL_S", 900),
        "redis_pool": _int("REDIS_POOL", 1000),
        "redis_idle_s": float(os.environ.get("REDIS_IDLE_S", "60")),
        "redis_pool_min": _int("REDIS_POOL_MIN", 8),
    }
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key()
    settings = Settings(**values)  # type: ignore[arg-type]
    if not 2 <= settings.room_max_players <= 8:
        raise ValueError("ROOM_MAX_PLAYERS must be between 2 and 8")
    if settings.redis_idle_s <= 0:
        raise ValueError("REDIS_IDLE_S must be more than 0 seconds")
    return settings
