"""Simulated browser tabs: a session cookie, Datastar POSTs and one SSE stream.

All tabs of a run share one aiohttp session (one connection pool, no cookie
jar: each tab sends its own cookie), so thousands of streams cost one process
little. A tab keeps only its latest view and the few facts the scenarios read
from it: the room phase, the buzzer's round, the round number, who pressed.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import random
import re
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from game.rules import IN_MATCH

try:  # only if installed: then the streams may be brotli-compressed too
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None

ACCEPT_ENCODING = "gzip, deflate" + (", br" if brotli else "")
DATASTAR = {"Datastar-Request": "true", "Content-Type": "application/json"}

PHASE = re.compile(r'data-phase="(\w+)"')
BUZZER = re.compile(r'<reflex-buzzer id="buzzer" phase="(\w+)" round-id="(\d*)"')
ROUND = re.compile(r"Round (\d+) of (\d+)")
ROUNDS_SHOWN = re.compile(r'<option value="(\d+)" selected|<p>(\d+) rounds?\.')
ROW = re.compile(r'<span class="name">([^<]*)</span>.*?<td class="result"[^>]*>([^<]*)', re.S)
ROOM_CODE = re.compile(r'id="room-code">([A-Z0-9]{5})<')
ACCEPTED = re.compile(r'accepted;desc="([\d.]+)"')  # the Server-Timing stamp on a command's 204
MAX_RECONNECTS = 20
RECONNECT_DELAY_S = 1.0  # Datastar's default retry interval
GAP_AFTER_S = 12.0  # a change not shown this long after its command is a gap



TAG_WITH_ID = re.compile(r'<([a-z][\w-]*)\b[^>]*?\bid="([^"]+)"')


def morph(page: str, fragment: str) -> str:
    """The page after a `datastar-patch-elements` of `fragment`: each of its
    top-level elements replaces the element with its id. A fragment for an
    element the page does not hold (the whole view, a page's first fragment)
    becomes the page. What follows the elements (a comment) is left out."""
    patched = False
    while fragment:
        head = TAG_WITH_ID.match(fragment)
        at = page.find(f'id="{head.group(2)}"') if head else -1
        if head is None or at < 0:
            return page if patched else fragment
        patched = True
        size = _element_end(fragment, head.group(1), 0)
        element, fragment = fragment[:size], fragment[size:].lstrip()
        start = page.rfind("<", 0, at)
        page = page[:start] + element + page[_element_end(page, head.group(1), start):]
    return page


def _element_end(html: str, tag: str, start: int) -> int:
    """Where the element of `tag` that opens at `start` ends (its closing tag's end)."""
    depth = 0
    for found in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return start + found.end()
    return len(html)


@dataclass
class Sent:
    """A command whose effect tabs wait to show: when it was sent (client
    clock) and when the server accepted it (its stamp; same machine clock)."""

    at: float
    accepted: float | None = None


@dataclass
class Tally:
    """What one scenario run on one target measured (times in seconds)."""

    shown: dict[str, list[tuple[float, Sent]]] = field(default_factory=lambda: defaultdict(list))  # (arrival, command)
    go: list[float] = field(default_factory=list)
    rtt: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    commands: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    gaps: int = 0
    disconnects: int = 0
    events: int = 0
    wire_bytes: int = 0  # HTTP body bytes as received (before any decompression)
    text_bytes: int = 0  # the same, decompressed
    recording: bool = False  # latency samples are kept only in the measured window
    attack_answers: dict[str, int] = field(default_factory=dict)  # the hostile scenario: "<request> <status>" -> count

    def error(self, what: str) -> None:
        self.errors[what] += 1

    def fanout(self, since: str = "accepted") -> dict[str, list[float]]:
        """Per kind of command: from its acceptance (or its sending) to each tab showing it."""
        return {kind: [arrival - (sent.accepted if since == "accepted" else sent.at) for arrival, sent in shown
                       if since != "accepted" or sent.accepted is not None] for kind, shown in self.shown.items()}


@dataclass
class Room:
    code: str = ""
    members: list[Client] = field(default_factory=list)
    match_no: int = 0
    go_stamps: dict[tuple[int, int], float | None] = field(default_factory=dict)
    go_arrivals: dict[tuple[int, int], list[tuple[Client, float]]] = field(default_factory=lambda: defaultdict(list))


class Net:
    """The shared HTTP session of all tabs and the target they talk to."""

    def __init__(self, base_url: str, tally: Tally, go_stamp: Callable[[str, int], Any]) -> None:
        self.base_url = base_url
        self.tally = tally
        self.go_stamp = go_stamp  # async (room code, round) -> server's GO time in s, or None
        self.session: aiohttp.ClientSession | None = None
        self.closing = False
        self.clients: list[Client] = []  # every tab made, so all are closed even after a failed setup

    async def __aenter__(self) -> Net:
        # Idle pooled connections are dropped before the servers' keep-alive
        # timeout (Hypercorn's and uvicorn's: 5 s), so a POST never races a close.
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=2, enable_cleanup_closed=True)
        self.session = aiohttp.ClientSession(
            self.base_url, connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closing = True
        await asyncio.gather(*(c.stop_stream() for c in self.clients))
        assert self.session is not None
        await self.session.close()


class Client:
    """One browser tab."""

    def __init__(self, net: Net, name: str, role: str = "player", address: str | None = None) -> None:
        self.net = net
        net.clients.append(self)
        # Each tab its own client address, as real players have (the game, run
        # with TRUST_PROXY=1 as behind its proxy, limits what one address may do).
        n = len(net.clients)
        self.address = address or f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        self.name = name
        self.role = role
        self.room: Room | None = None
        self.cookie = ""
        self.html = ""
        self.screen = ""  # "name", "lobby" or "room"
        self.phase = ""  # the room's phase: lobby, ready, go, results, final
        self.buzz_phase = ""
        self.rid = ""
        self.round_no = 0
        self.finals = 0  # how many times this tab has shown final scores
        self.auto_buzz = False
        self.buzz_kind = "buzz"  # how its presses are counted (the hostile scenario tells its two matches apart)
        self.buzzed: set[str] = set()
        self.seen: set[str] = set()
        self.pending: list[tuple[str, object, Sent]] = []  # (kind, what, the command)
        self.last_event = 0.0
        self.stream_task: asyncio.Task[None] | None = None
        self._waiters: list[tuple[Callable[[Client], bool], asyncio.Future[bool]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "X-Forwarded-For": self.address}

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self.net.session is not None
        return self.net.session

    # -- commands ---------------------------------------------------------

    async def open(self) -> None:
        """GET / like a page load: the answer carries the session cookie."""
        async with self.session.get("/", headers=self.headers(), timeout=aiohttp.ClientTimeout(total=60)) as resp:
            await resp.read()
            if resp.status != 200:
                self.net.tally.error(f"GET / {resp.status}")
                raise RuntimeError(f"GET / answered {resp.status}")
            self.cookie = "; ".join(f"{k}={m.value}" for k, m in resp.cookies.items())

    async def post(self, path: str, body: dict[str, Any], kind: str, command: Sent | None = None) -> int:
        """A Datastar POST; returns the status. The round trip is recorded per
        kind, and the server's acceptance stamp kept in `command`."""
        tally = self.net.tally
        headers = {**DATASTAR, **self.headers()}
        sent = time.perf_counter()
        try:
            async with self.session.post(path, data=json.dumps(body), headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=60)) as resp:
                await resp.read()
                status = resp.status
                if command and (stamp := ACCEPTED.search(resp.headers.get("Server-Timing", ""))):
                    command.accepted = float(stamp.group(1))
        except (aiohttp.ClientError, TimeoutError) as err:
            tally.error(f"{kind}: {type(err).__name__}")
            return 0
        if tally.recording:
            tally.rtt[kind].append(time.perf_counter() - sent)
            tally.commands[kind] += 1
        if status >= 300:
            tally.error(f"{kind} {status}")
        return status

    async def command(self, path: str, body: dict[str, Any], kind: str, expect: object = None) -> int:
        """A command whose effect every tab in the room should show: each tab
        times it from the server's acceptance (and from this send)."""
        sent = Sent(time.time())
        if self.net.tally.recording and self.room:
            for member in self.room.members:
                member.pending.append((kind, expect, sent))
        return await self.post(path, body, kind, sent)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _buzz(self, rid: str, ms: int) -> None:
        assert self.room
        await self.command(f"/rooms/{self.room.code}/buzz", {"round_id": rid, "ms": ms, "early": False}, self.buzz_kind,
                           expect=self.name)

    # -- the stream -------------------------------------------------------

    async def start_stream(self, timeout: float = 60) -> None:
        """Open the tab's stream; returns once the server answered 200."""
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stream_task = asyncio.ensure_future(self._read(started))
        try:
            await asyncio.wait_for(asyncio.shield(started), timeout)
        except BaseException:
            await self.stop_stream()  # a retry opens a fresh stream, never a second one
            raise

    async def stop_stream(self) -> None:
        if self.stream_task:
            self.stream_task.cancel()
            await asyncio.gather(self.stream_task, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()

    async def _read(self, started: asyncio.Future[None]) -> None:
        """The stream, reopened like Datastar's retry does (counted as a disconnect)."""
        tally = self.net.tally
        headers = {**self.headers(), "Accept": "text/event-stream", "Accept-Encoding": ACCEPT_ENCODING}
        for attempt in range(MAX_RECONNECTS + 1):
            if attempt:
                await asyncio.sleep(RECONNECT_DELAY_S)
            try:
                async with self.session.get("/stream", headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=None, sock_connect=60)) as resp:
                    if resp.status != 200:
                        tally.error(f"stream {resp.status}")
                        if not started.done():
                            started.set_exception(RuntimeError(f"stream answered {resp.status}"))
                            return
                        continue
                    await self._events(resp, started)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - any end of a stream is counted, not raised
                if not started.done():
                    started.set_exception(err)
                    return
                tally.error(f"stream: {type(err).__name__}")
            if self.net.closing:
                return
            tally.disconnects += 1

    async def _events(self, resp: aiohttp.ClientResponse, started: asyncio.Future[None]) -> None:
        """The stream's events; it counts as open once the first one came (the
        server has then registered it: only a player with a stream open may sit)."""
        tally = self.net.tally
        inflate = _decompressor(resp.headers.get("Content-Encoding", ""))
        text = codecs.getincrementaldecoder("utf-8")()
        buf = ""
        async for chunk in resp.content.iter_any():
            arrival = time.time()
            tally.wire_bytes += len(chunk)
            raw = inflate(chunk) if inflate else chunk
            tally.text_bytes += len(raw)
            buf += text.decode(raw)
            while (end := buf.find("\n\n")) >= 0:
                event, buf = buf[:end], buf[end + 2:]
                if not started.done():
                    started.set_result(None)
                if event.startswith("event: datastar-patch-elements"):
                    self._view(event, arrival)

    def _view(self, event: str, arrival: float) -> None:
        lines = event.split("\n")
        fragment = "\n".join(line[len("data: elements "):] for line in lines[1:] if line.startswith("data: elements "))
        self.html = morph(self.html, fragment)
        self.last_event = arrival
        self.net.tally.events += 1
        head = self.html[:200]
        found = PHASE.search(self.html)  # a room's shared part, after a player's own
        previous = self.phase
        self.phase = found.group(1) if found else ""
        self.screen = "room" if found else ("lobby" if 'class="screen lobby"' in head else "name")
        found_round = ROUND.search(self.html)
        self.round_no = int(found_round.group(1)) if found_round else 0
        buzzer = BUZZER.search(self.html) if self.role == "player" else None
        self.buzz_phase, self.rid = buzzer.groups() if buzzer else ("", "")
        if self.phase == "final" and previous != "final":
            self.finals += 1
        if self.phase == "go" and previous != "go" and self.room is not None:
            self._go_shown(arrival)
        if self.auto_buzz and self.buzz_phase == "ready" and self.rid and self.rid not in self.seen:
            self.seen.add(self.rid)  # as the buzzer does: "get ready" is on screen (the round-trip probe)
            self._spawn(self.post(f"/rooms/{self.room.code}/seen", {"round_id": self.rid}, "seen"))
        if self.auto_buzz and self.buzz_phase == "go" and self.rid and self.rid not in self.buzzed:
            self.buzzed.add(self.rid)
            reaction = random.uniform(0.150, 0.400)  # a simulated human
            rid, ms = self.rid, int(reaction * 1000)
            asyncio.get_running_loop().call_later(reaction, lambda: self._spawn(self._buzz(rid, ms)))
        if self.pending:
            self._match_pending(arrival)
        if self._waiters:
            for check, fut in list(self._waiters):
                if not fut.done() and check(self):
                    fut.set_result(True)

    def _go_shown(self, arrival: float) -> None:
        room = self.room
        assert room is not None
        key = (room.match_no, self.round_no)
        if self.net.tally.recording:
            room.go_arrivals[key].append((self, arrival))
            if key not in room.go_stamps:
                room.go_stamps[key] = None
                self._spawn(self._fetch_stamp(room, key))

    async def _fetch_stamp(self, room: Room, key: tuple[int, int]) -> None:
        room.go_stamps[key] = await self.net.go_stamp(room.code, key[1])

    def _match_pending(self, arrival: float) -> None:
        tally = self.net.tally
        rows: dict[str, str] | None = None
        keep = []
        for kind, what, sent in self.pending:
            if kind.startswith("buzz"):
                if rows is None:
                    table = self.html.find('<table class="players">')
                    rows = dict(ROW.findall(self.html, table)) if table >= 0 else {}
                shown = bool(rows.get(str(what)))
            elif kind == "start":
                shown = self.phase in IN_MATCH
            elif kind == "settings":
                found = ROUNDS_SHOWN.search(self.html)
                shown = bool(found) and int(found.group(1) or found.group(2)) == what
            else:
                shown = False
            if shown:
                tally.shown[kind].append((arrival, sent))
            elif arrival - sent.at > GAP_AFTER_S:
                tally.gaps += 1
            else:
                keep.append((kind, what, sent))
        self.pending = keep

    def expire_pending(self) -> None:
        """At the end: whatever was never shown is a gap."""
        self.net.tally.gaps += len(self.pending)
        self.pending = []

    async def wait_for(self, check: Callable[[Client], bool], timeout: float) -> bool:
        """Wait (bounded) until this tab's latest view passes `check`."""
        if check(self):
            return True
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        entry = (check, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return False
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    def room_code(self) -> str:
        found = ROOM_CODE.search(self.html)
        return found.group(1) if found else ""


def _decompressor(encoding: str) -> Callable[[bytes], bytes] | None:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if encoding == "deflate":
        return zlib.decompressobj().decompress
    if encoding == "br" and brotli is not None:
        return brotli.Decompressor().process
    return None
