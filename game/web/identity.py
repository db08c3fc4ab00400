"""Who is asking: an opaque player id in the signed, HttpOnly session cookie.

The id is the only identity there is; nothing the browser sends in signals or
bodies names a player. POSTs must come from this origin and from Datastar.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from quart import Quart, abort, request, session
from quart.sessions import SecureCookieSessionInterface, SessionMixin


class SessionCookie(SecureCookieSessionInterface):
    """The signed cookie, marked Secure whenever the page came over HTTPS."""

    def get_cookie_secure(self, app: Quart) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.scheme == "https"

    def should_set_cookie(self, app: Quart, session: SessionMixin) -> bool:
        """A new or changed session is sent back; an unchanged one only with a
        page, which keeps it for 30 days from the last visit. Commands and
        streams only read it: signing it again on every click was a quarter
        of a command's work."""
        return session.modified or (session.permanent and request.blueprint == "pages")


def player_id() -> str | None:
    """This browser's player id, if it has one."""
    return player_in(session)


def player_in(cookie: Mapping[str, Any]) -> str | None:
    """The player id a session holds, if it is one."""
    pid = cookie.get("pid")
    return pid if isinstance(pid, str) and len(pid) == 22 else None


def mint_player() -> str:
    """A new player id in the session cookie (pages only: see game/web/limits.py `player_or_new`)."""
    session.permanent = True
    session["pid"] = pid = secrets.token_urlsafe(16)
    return pid


def require_player() -> str:
    pid = player_id()
    if pid is None:
        abort(401, "No session: reload the page to get one.")
    return pid


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """A URL's scheme, host and port, the scheme's default port filled in
    (`http://a` is `http://a:80`); None when it names no such thing ("null")."""
    try:
        parts = urlsplit(url)
        port = parts.port if parts.port is not None else DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is no number, a broken [IPv6] address
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme, parts.hostname, port


def same_origin(origin: str) -> bool:
    """Whether an Origin header names this app: the same scheme, host and port
    (behind the proxy, with TRUST_PROXY=1, the ones it forwarded)."""
    ours = origin_of(f"{request.scheme}://{request.host}")
    return ours is not None and origin_of(origin) == ours


async def check_command_request() -> None:
    """Refuse cross-site and non-Datastar POSTs before any handler runs."""
    if request.method != "POST":
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        abort(403, "Cross-site requests are refused.")
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin):
        abort(403, "Cross-origin requests are refused.")
    if request.headers.get("Datastar-Request") != "true":
        abort(400, "Commands must be sent by the page (Datastar-Request header missing).")
