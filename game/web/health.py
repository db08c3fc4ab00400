"""Running behind a proxy: health endpoints, forwarded headers, naming the replica.

`/healthz` says the process is alive (the image's HEALTHCHECK); `/readyz` says
it can reach Redis (compose starts the proxy once replicas are ready). Behind
nginx the client's address, scheme and host arrive as X-Forwarded-* headers,
which anyone could send, so they are believed only when TRUST_PROXY=1.
"""

from __future__ import annotations

import asyncio

from hypercorn.middleware import ProxyFixMiddleware
from quart import Blueprint, Response
from redis.exceptions import RedisError

from game.web.context import services
from game.web.errors import plain
from game.web.transport import ASGIApp

bp = Blueprint("health", __name__)

READY_TIMEOUT_S = 2.0


@bp.get("/healthz")
async def healthz() -> Response:
    return plain("ok", 200)


@bp.get("/readyz")
async def readyz() -> Response:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await services().store.redis.ping()
    except (RedisError, OSError, TimeoutError) as error:
        return plain(f"not ready: Redis is not reachable ({error or 'no answer'})", 503)
    return plain("ok", 200)


@bp.after_app_request
async def name_the_replica(response: Response) -> Response:
    # Which process answered, when SERVED_BY names it: behind the proxy, the
    # topology test tells its two app processes apart by this header.
    response.headers.update(replica(services().settings.served_by))
    return response


def replica(served_by: str) -> dict[str, str]:
    return {"X-Served-By": served_by} if served_by else {}


def trust_proxy(app: ASGIApp, trusted: bool) -> ASGIApp:
    """Take client address, scheme and host from one proxy hop, if TRUST_PROXY=1.

    docker-compose.yml sets it: there the app's port is reachable only through
    nginx, which overwrites X-Forwarded-Proto/Host and appends the real client
    to X-Forwarded-For (trusted_hops=1 takes that last entry). Run bare, the
    app ignores these headers, so a client cannot forge them.
    """
    if not trusted:
        return app
    return ProxyFixMiddleware(app, mode="legacy", trusted_hops=1)  # type: ignore[arg-type,return-value]
