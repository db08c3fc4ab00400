"""Every refusal is a short sentence a person can read, never a 500 page.

Werkzeug's HTTP errors become plain-text answers with their message; losing
Redis (down, restarting, unreachable, a cluster failing over) becomes a 503 the client may retry.
"""

from __future__ import annotations

import logging

from quart import Quart, Response
from redis.exceptions import ClusterError, RedisClusterException, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

STORE_DOWN = "The game store is unavailable for a moment; try again shortly."


def plain(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8", headers=headers)


def register(app: Quart) -> None:
    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        response = plain(error.description or "Request refused.", error.code or 400)
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    # A Redis Cluster mid-failover or resharding, once the client's own retries are spent.
    @app.errorhandler(ClusterError)
    @app.errorhandler(RedisClusterException)
    @app.errorhandler(TryAgainError)
    async def store_down(error: Exception) -> Response:
        log.warning("Redis unavailable: %s", error)
        return plain(STORE_DOWN, 503, {"Retry-After": "1"})
