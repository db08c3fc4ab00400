"""The process's game services, as a request reaches them (set by app.py at startup), and the empty answer."""

from __future__ import annotations

from quart import Response, current_app

from game.services import Services


def services() -> Services:
    return current_app.extensions["game"]  # type: ignore[no-any-return]


def no_content(headers: dict[str, str] | None = None) -> Response:
    """204. The empty body is given as bytes: a Quart response without one has an
    empty iterable instead, which it walks on a thread pool (two thread hops per answer)."""
    return Response(b"", status=204, headers=headers)
