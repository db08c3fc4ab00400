"""Gzip for event streams, without a compressor per stream.

A stream is one gzip body for its whole life. Each event is deflated as raw
blocks that may refer back to the event sent just before it (a new view is
mostly the last one again), then sync-flushed, so the browser decodes it at
once and an update costs a few dozen bytes. No zlib object is kept per
stream (each would hold 40 KB): streams that were sent the same view get the
same bytes for the next one, compressed once (`_deflate_after`, cached).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import AsyncIterator
from contextlib import aclosing

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # RFC 1952: deflate, no name, no time
WINDOW_BITS = 13  # how far back an event may refer: a window a little larger than one room view


def compress(events: AsyncIterator[str], accept_encoding: str) -> tuple[AsyncIterator[str] | AsyncIterator[bytes], dict[str, str]]:
    """The stream's body and its headers: gzipped if the client accepts gzip."""
    headers = {"Vary": "Accept-Encoding"}
    if not _accepts_gzip(accept_encoding):
        return events, headers
    return _gzipped(events), {**headers, "Content-Encoding": "gzip"}


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0")
    return False


async def _gzipped(events: AsyncIterator[str]) -> AsyncIterator[bytes]:
    # The next event's context: the last event, then the SSE comments sent
    # since (heartbeats). An event replaces it, so the streams sent the same
    # view (spectators) share the next compression. The event is kept by
    # reference (a shared one costs a stream nothing), joined to the comments
    # only to compress.
    last, since = "", ""
    async with aclosing(events):
        async for event in events:
            packed = _deflate_after((last + since)[-(1 << WINDOW_BITS):] if since else last, event)
            yield packed if last or since else GZIP_HEADER + packed
            if event.startswith(":"):
                since = (since + event)[-(1 << WINDOW_BITS):]
            else:
                last, since = event, ""


@functools.lru_cache(maxsize=256)
def _deflate_after(history: str, event: str) -> bytes:
    """`event` as raw deflate blocks that may refer back into `history`, the
    text the reader decoded last. Sync-flushed, they continue any deflate
    stream that ends with `history`: every stream sent the same history gets
    the same bytes, compressed once."""
    context = {"zdict": history.encode()[-(1 << WINDOW_BITS):]} if history else {}
    packer = zlib.compressobj(6, zlib.DEFLATED, -WINDOW_BITS, 8, **context)
    return packer.compress(event.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)
