"""Test helpers: a Hypercorn process serving the app, and a Player that talks
to it over real HTTP like a browser does (session cookie, Datastar POSTs, one
SSE stream whose latest view it keeps)."""

from __future__ import annotations

import asyncio
import contextlib
import html as htmllib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster

from bench.client import morph
from game.keys import Keys

ROOT = Path(__file__).resolve().parent.parent
def subscriber(redis: Redis | RedisCluster, channel: str) -> PubSub:
    """A pub/sub connection to the shard that carries `channel`: the one server, or its cluster node."""
    if isinstance(redis, RedisCluster):
        node = redis.get_node_from_key(channel)
        return Redis(host=node.host, port=node.port, decode_responses=True).pubsub()
    return redis.pubsub()


KEYS = Keys("rb:")  # the test servers' key prefix (tests/conftest.py)
DATASTAR = {"Datastar-Request": "true"}

# Debian's Chromium: Playwright's own browser download is not available here.
# Without the background-networking flags it keeps dialling out to a closed network.
CHROMIUM = os.environ.get("REFLEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


def _drain(proc: subprocess.Popen[str], log: list[str], ready: threading.Event) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        log.append(line)
        if "Running on" in line:
            ready.set()
    ready.set()


@contextlib.contextmanager
def start_servers(runs: list[tuple[dict[str, str], str]], workers: int = 1) -> Iterator[list[Server]]:
    """Hypercorn processes serving create_app(), one per (environment, bind),
    all started at once, until the block ends."""
    servers: list[Server] = []
    readiness: list[threading.Event] = []
    try:
        for env, bind in runs:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hypercorn", "--bind", bind, "--workers", str(workers),
                 "--graceful-timeout", "2", "app:create_app()"],
                cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            servers.append(Server(f"http://{bind}", proc))
            readiness.append(threading.Event())
            threading.Thread(target=_drain, args=(proc, servers[-1].log, readiness[-1]), daemon=True).start()
        for server, ready in zip(servers, readiness):
            ready.wait(30)
            if not any("Running on" in line for line in server.log) or server.proc.poll() is not None:
                raise RuntimeError("the app did not start:\n" + "".join(server.log))
        yield servers
    finally:
        for server in servers:
            _stop(server.proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def start_server(env: dict[str, str], port: int, workers: int = 1) -> Iterator[Server]:
    """Hypercorn serving create_app() on 127.0.0.1:port, until the block ends."""
    with start_servers([(env, f"127.0.0.1:{port}")], workers) as (server,):
        yield server


@contextlib.contextmanager
def serving(command: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[Server]:
    """A server process on 127.0.0.1:port (ready once it logs "Running on"), until the block ends."""
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}", proc)
    ready = threading.Event()
    threading.Thread(target=_drain, args=(proc, server.log, ready), daemon=True).start()
    if not ready.wait(30) or proc.poll() is not None:
        proc.kill()
        raise RuntimeError("the server did not start:\n" + "".join(server.log))
    try:
        yield server
    finally:
        _stop(proc)


def start_redis(port: int, workdir: Path, *extra: str) -> subprocess.Popen[str]:
    """A redis-server of the suite's own on `port`, ready to accept connections."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (scripts/setup.sh --dev installs it)"
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait for the server's own "ready" line
        if "Ready to accept connections" in line:
            break
    else:
        raise RuntimeError("redis-server did not start")
    # Keep draining its output so a full pipe never blocks it.
    threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()
    return proc


OWN = re.compile(r'data-signals=\'\{"_seat": (\d+), "_result": ("[^"]*")\}\'')  # a room's own part (room_you.html)
MARK = 'data-class:you="$_seat == '  # the mark of a seat's row, in a part a role shares
YOU_TAG = '<span class="tag you-tag">you</span>'
OWN_RESULT = re.compile(r'(data-text="\$_seat == \d+ \? \$_result : \'[^\']*\'">)[^<]*')


def view_text(html: str) -> str:
    """The visible text of a fragment, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", _as_seen(html))
    return " ".join(htmllib.unescape(text).split())


def _as_seen(html: str) -> str:
    """A room as its viewer sees it: every seat's row has a "you" tag, which
    only the viewer's own seat shows (static/style.css), and that row shows
    their own result (the signals _seat and _result)."""
    own = OWN.search(html)
    mine, result = (f'{own.group(1)}"', json.loads(own.group(2))) if own else ("none", "")
    head, *rows = html.split(MARK)  # each piece runs from one seat's mark to the next
    return head + "".join(
        MARK + (OWN_RESULT.sub(lambda m: m.group(1) + htmllib.escape(result), row, 1) if row.startswith(mine)
                else row.replace(YOU_TAG, "", 1))
        for row in rows
    )


def marked_you(html: str) -> list[str]:
    """The names on the rows a room marks "you" for its viewer (their own seat's)."""
    own = OWN.search(html)
    if own is None:
        return []
    row = rf'{re.escape(MARK)}{own.group(1)}"[^>]*>.*?class="(?:name|who)">(?:<span class="crown"[^>]*>★</span> )?([^<]*)<'
    return [htmllib.unescape(name) for name in re.findall(row, html, re.S)]


def sse_events(body: str) -> list[tuple[str, str]]:
    """The (event type, payload) pairs of a whole SSE body, the payload as Player keeps it."""
    events = []
    for block in re.split(r"\n\n+", body.strip()):
        lines = block.splitlines()
        kind = next((line[7:] for line in lines if line.startswith("event: ")), "")
        data = [line[6:].removeprefix("elements ") for line in lines if line.startswith("data: ")]
        if kind:
            events.append((kind, "\n".join(data)))
    return events


class Player:
    """One browser tab: a cookie jar, Datastar POSTs and one live SSE stream."""

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url
        self.client = client or httpx.AsyncClient(base_url=base_url, timeout=10)
        self.html = ""
        self.events: list[tuple[str, str]] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def open(self, path: str = "/") -> httpx.Response:
        response = await self.client.get(path)
        response.raise_for_status()
        return response

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {**DATASTAR, **kwargs.pop("headers", {})}
        return await self.client.post(path, json=json, headers=headers, **kwargs)

    async def join_game(self, name: str) -> Player:
        """Open the page, pick a name, and start the stream."""
        await self.open()
        response = await self.post("/name", {"name": name})
        assert response.status_code == 204, response.text
        await self.start_stream()
        await self.wait_for(lambda text: f"Hi, {name} " in text or "Room" in text)
        return self

    async def start_stream(self, path: str = "/stream", retry: bool = False) -> None:
        """Open the stream; with `retry`, reopen it whenever it ends, as Datastar does."""
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._read_retrying(path, ready) if retry else self._read(path, ready))
        await asyncio.wait_for(ready.wait(), 10)

    async def _read_retrying(self, path: str, ready: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(httpx.HTTPError, AssertionError):
                await self._read(path, ready)
            self.reconnects += 1
            await asyncio.sleep(0.2)  # Datastar's retry interval, shortened

    async def _read(self, path: str, ready: asyncio.Event) -> None:
        async with self.client.stream("GET", path, timeout=httpx.Timeout(10, read=None)) as response:
            assert response.status_code == 200
            kind, data = "", []
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "":
                    if kind:
                        await self._receive(kind, data)
                        ready.set()  # open once its first event came: the server has registered it
                    kind, data = "", []

    async def _receive(self, kind: str, data: list[str]) -> None:
        payload = "\n".join(d.removeprefix("elements ") for d in data)
        async with self._changed:
            if kind == "datastar-patch-elements":
                self.html = payload = morph(self.html, payload)  # the page as it is after this event
            self.events.append((kind, payload))
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return view_text(self.html)

    def attr(self, element_id: str, name: str) -> str | None:
        tag = re.search(rf'<[^>]*\bid="{re.escape(element_id)}"[^>]*>', self.html)
        if not tag:
            return None
        value = re.search(rf'\b{re.escape(name)}="([^"]*)"', tag.group(0))
        return htmllib.unescape(value.group(1)) if value else None

    async def wait_for(self, check: Callable[[str], bool], timeout: float = 8) -> str:
        """Wait until a view received from now on (or the current one) passes `check`.

        Every view is checked in order, so a short-lived one is not missed. No
        sleeping: the reader wakes the waiter on each event.
        """
        seen = len(self.events)
        if check(self.text):
            return self.text

        def matched() -> bool:
            nonlocal seen
            while seen < len(self.events):
                kind, payload = self.events[seen]
                seen += 1
                if kind == "datastar-patch-elements" and check(view_text(payload)):
                    return True
            return False

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(matched)

        try:
            await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"view never matched; last view: {self.text!r}") from None
        return self.text

    @property
    def stream_ended(self) -> bool:
        """The stream was opened, and the server has ended it."""
        return self._task is not None and self._task.done()

    async def until_stream_ends(self, timeout: float = 5) -> None:
        """Wait until the server ends this tab's stream."""
        assert self._task is not None, "no stream was opened"
        await asyncio.wait_for(asyncio.shield(self._task), timeout)

    async def stop_stream(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def close(self) -> None:
        await self.stop_stream()
        await self.client.aclose()


def room_code_of(player: Player) -> str:
    found = re.search(r'id="room-code">([A-Z0-9]{5})<', player.html)
    assert found, f"not in a room: {player.text!r}"
    return found.group(1)


async def new_players(server: Server, registry: list[Player], *names: str) -> list[Player]:
    made = [Player(server.url) for _ in names]
    registry.extend(made)
    await asyncio.gather(*(p.join_game(n) for p, n in zip(made, names)))
    return made


async def seated_room(server: Server, registry: list[Player], *names: str, public: bool = True) -> tuple[str, list[Player]]:
    """Players with these names in one room; the first one created it and is host."""
    made = await new_players(server, registry, *names)
    host = made[0]
    assert (await host.post("/rooms", {"public": public})).status_code == 204
    await host.wait_for(lambda t: "Room" in t)
    code = room_code_of(host)
    for p in made[1:]:
        response = await p.post(f"/rooms/{code}/join", {"role": "player"})
        assert response.status_code == 204, response.text
    for p in made:
        await p.wait_for(lambda t: all(n in t for n in names) and "Players" in t)
    return code, made
