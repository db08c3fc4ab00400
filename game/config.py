"""Settings from the environment, read once at startup.

Every knob a player or operator may turn lives here with its default, so the
rest of the code never reads `os.environ` itself.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BYTES = 32  # a cookie-signing key shorter than this may be guessed: fine on loopback only


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True, eq=False)  # one per process: hashed by identity, cheaply (views are cached by it)
class Settings:
    redis_url: str | None
    secret_key: str
    key_prefix: str = "rb:"
    redis_cluster: bool = False  # REDIS_URL names any node of a Redis Cluster (game/store.py)
    check_script_keys: bool = False  # every script's call checks its key was declared (the suite runs so)
    cookie_secure: bool = False
    trust_proxy: bool = False  # believe one hop of X-Forwarded-* (only behind our nginx)
    served_by: str = ""  # names this process in an X-Served-By header (the topology test)
    bind: str = "127.0.0.1:8000"  # what Hypercorn binds (scripts/run.sh, the image): who can reach us
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
    # each lobby tab of a process adds this to the least time between two wake-ups of them (game/relay.py)
    lobby_pace_us: int = 500
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
    redis_idle_s: float = 60.0  # a pooled Redis connection unused this long is closed ...
    redis_pool_min: int = 8  # ... unless it is one of the last this many


def _limit(name: str, default: str) -> tuple[int, int]:
    """"40/5" means at most 40 per 5 seconds."""
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), int(seconds or 1)


def instance_secret(folder: Path) -> str:
    """The key kept in `folder`/secret_key, created there if it is not yet.

    Replicas on one shared folder (compose's volume) may all start at once:
    each writes its own candidate to a temporary file and links it into place,
    which only the first can do; everyone then reads the one file there is,
    never a half-written one.
    """
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, candidate = tempfile.mkstemp(dir=folder, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(MIN_SECRET_BYTES))
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process linked its key first: that one is the key
        finally:
            os.unlink(candidate)
    return path.read_text().strip()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    folder = Path(os.environ.get("INSTANCE_DIR") or ROOT / "instance")
    log.warning("SECRET_KEY is not set: signing sessions with the key kept in %s", folder / "secret_key")
    return instance_secret(folder)


def bind_host(bind: str) -> str | None:
    """The host of a Hypercorn bind, read as Hypercorn reads it ("[::1]:8000",
    "0.0.0.0:8000", "localhost"); None for a unix socket or a file descriptor,
    which a proxy may well serve to anyone."""
    if bind.startswith(("unix:", "fd://")):
        return None
    bare = bind.replace("[", "").replace("]", "")
    host, _, port = bare.rpartition(":")
    return host if port.isdigit() else bare


def loopback(host: str | None) -> bool:
    """Whether only this machine can reach `host`: 127.0.0.0/8, ::1 or localhost."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False  # a name, or nothing: it may be reachable from anywhere
    # A dual-stack socket sees 127.0.0.1 as ::ffff:127.0.0.1, which Python 3.11 calls not loopback.
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def weak_secret(key: str) -> bool:
    return len(key.encode()) < MIN_SECRET_BYTES


def check_secret(settings: Settings) -> None:
    """Refuse to serve with a guessable key anyone else can reach: with it,
    they could sign a session cookie for any player."""
    if not weak_secret(settings.secret_key):
        return
    if settings.cookie_secure:
        exposure = "served over HTTPS (COOKIE_SECURE=1)"
    elif not loopback(bind_host(settings.bind)):
        exposure = f"bound beyond loopback (BIND={settings.bind}), where others may reach it"
    else:
        return  # loopback: only this machine can reach it (the test suite's short key)
    raise SystemExit(
        f"SECRET_KEY is {len(settings.secret_key.encode())} bytes, too short for a server {exposure}: "
        f"set one of at least {MIN_SECRET_BYTES} random bytes (e.g. from: "
        'python3 -c "import secrets; print(secrets.token_urlsafe(32))"), '
        "or leave it unset to have one generated and kept in the instance folder."
    )


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment; keyword overrides win (tests use them)."""
    values: dict[str, object] = {
        "redis_url": os.environ.get("REDIS_URL") or None,
        "key_prefix": os.environ.get("KEY_PREFIX", "rb:"),
        "redis_cluster": os.environ.get("REDIS_CLUSTER", "") == "1",
        "check_script_keys": os.environ.get("CHECK_SCRIPT_KEYS", "") == "1",
        "cookie_secure": os.environ.get("COOKIE_SECURE", "") == "1",
        "trust_proxy": os.environ.get("TRUST_PROXY", "") == "1",
        "served_by": os.environ.get("SERVED_BY", ""),
        "bind": os.environ.get("BIND") or Settings.bind,
        "room_max_players": _int("ROOM_MAX_PLAYERS", 8),
        "default_rounds": _int("DEFAULT_ROUNDS", 5),
        "ready_min_ms": _int("READY_MIN_MS", 1500),
        "ready_max_ms": _int("READY_MAX_MS", 4000),
        "decoy_ms": _int("DECOY_MS", 900),
        "decoy_share": float(os.environ.get("DECOY_SHARE", "0.35")),
        "decoy_then_go": float(os.environ.get("DECOY_THEN_GO", "0.6")),
        "round_timeout_ms": _int("ROUND_TIMEOUT_MS", 3000),
        "results_pause_ms": _int("RESULTS_PAUSE_MS", 4000),
        "human_floor_ms": _int("HUMAN_FLOOR_MS", 100),
        "reaction_tolerance_ms": _int("REACTION_TOLERANCE_MS", 50),
        "rtt_slack_ms": _int("RTT_SLACK_MS", 80),
        "rtt_cap_ms": _int("RTT_CAP_MS", 500),
        "reconnect_grace_ms": _int("RECONNECT_GRACE_MS", 10000),
        "heartbeat_s": float(os.environ.get("HEARTBEAT_S", "15")),
        "send_timeout_s": float(os.environ.get("SEND_TIMEOUT_S", "10")),
        "lobby_pace_us": _int("LOBBY_PACE_US", 500),
        "rate_limit": _limit("RATE_LIMIT", "40/5"),
        "address_rate_limit": _limit("ADDRESS_RATE_LIMIT", "400/5"),
        "identity_limit": _limit("IDENTITY_LIMIT", "60/60"),
        "room_limit": _limit("ROOM_LIMIT", "5/60"),
        "room_address_limit": _limit("ROOM_ADDRESS_LIMIT", "30/60"),
        "probe_limit": _limit("PROBE_LIMIT", "120/60"),
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
    if settings.redis_cluster and not settings.redis_url:
        raise ValueError("REDIS_CLUSTER=1 needs REDIS_URL naming a node of the cluster")
    if settings.redis_idle_s <= 0:
        raise ValueError("REDIS_IDLE_S must be more than 0 seconds")
    check_secret(settings)
    return settings
