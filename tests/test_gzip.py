"""Stream compression without a network: what a browser's gzip decoder reads."""

import zlib
from collections.abc import AsyncIterator

from game.web.compression import compress
from game.web.streams import HEARTBEAT


async def events(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def body(*items: str, accept: str = "gzip, deflate, br") -> list[bytes]:
    chunks, headers = compress(events(*items), accept)
    assert headers["Content-Encoding"] == "gzip"
    return [chunk async for chunk in chunks]  # type: ignore[misc]


def view(rounds: int, watching: int) -> str:
    rows = "".join(f"<tr><td>Player {i}</td><td>{i * 7} pts</td></tr>" for i in range(8))
    return f'event: datastar-patch-elements\ndata: elements <main id="view"><table>{rows}</table>' \
           f"<p>{rounds} rounds · Watching ({watching}) · é</p></main>\n\n"


async def test_every_chunk_decodes_at_once_to_the_events_sent():
    sent = [view(5, 1), HEARTBEAT, view(6, 1), HEARTBEAT, HEARTBEAT, view(6, 2), view(7, 2)]
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)  # as a browser reads Content-Encoding: gzip
    for event, chunk in zip(sent, await body(*sent)):
        assert reader.decompress(chunk).decode() == event  # nothing held back until a later chunk


async def test_an_update_costs_a_few_dozen_bytes():
    chunks = await body(view(5, 1), view(6, 1))
    assert len(chunks[1]) < len(view(6, 1)) / 10


async def test_streams_sent_the_same_view_share_the_next_compression():
    shared = view(5, 3)
    watcher = await body(view(4, 3), shared, view(6, 3))
    late_watcher = await body(HEARTBEAT, shared, view(6, 3))  # joined later: another history until now
    assert watcher[1] != late_watcher[1]
    assert watcher[2] is late_watcher[2]  # the same bytes, compressed once


async def test_a_client_that_refuses_gzip_gets_the_events_as_they_are():
    for refusal in ("", "identity", "gzip;q=0, br"):
        chunks, headers = compress(events(view(5, 1)), refusal)
        assert "Content-Encoding" not in headers and headers["Vary"] == "Accept-Encoding"
        assert [chunk async for chunk in chunks] == [view(5, 1)]  # type: ignore[misc]
