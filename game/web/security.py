"""Response headers that keep the browser on our side.

The Content-Security-Policy allows only our own scripts plus a per-page nonce.
Datastar 1.0 runs under it without 'unsafe-eval': given `data-nonce` on
<html>, it compiles each data-* expression into a nonce'd <script> instead of
calling Function(). A name that is markup is escaped by Jinja, and even a
slipped-through <script> would have no nonce.
"""

from __future__ import annotations

import secrets

from quart import Quart, Response, g, request


def csp(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def always(scheme: str) -> dict[str, str]:
    """The headers of every response, HTML or not: HSTS too, over HTTPS."""
    return {**HEADERS, "Strict-Transport-Security": "max-age=31536000"} if scheme == "https" else HEADERS


def register(app: Quart) -> None:
    @app.context_processor
    async def nonce() -> dict[str, str]:  # async: Quart runs a sync one in a thread
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)
        return {"csp_nonce": g.csp_nonce}

    @app.after_request
    async def secure_headers(response: Response) -> Response:
        response.headers.update(always(request.scheme))
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = csp(g.get("csp_nonce") or secrets.token_urlsafe(16))
        return response
