"""The ceiling baseline: a bare SSE fan-out server on raw asyncio.

It speaks the same HTTP contract as the game, as far as the bench uses it
(cookie, name, rooms, join, settings, start, buzz, one stream per tab), but
keeps the rooms in a dict, has no Redis, no templates and no presence: a
change builds one payload per role with an f-string, padded to the size of
the game's events (`--payload`), and writes it to every stream of the room
without awaiting. What it delivers is the limit of this machine and client.

    python -m bench.ceiling --port 8001 [--payload 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Protocol

from game.rules import CODE_ALPHABET, CODE_LENGTH, IN_MATCH

HEARTBEAT = b": heartbeat\n\n"
PATH_ROOM = re.compile(r"^/rooms/([A-Z0-9]{5})/(join|settings|start|seen|buzz|leave)$")
MAX_HEADERS = 64
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
STREAM_HEADERS = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]


def _ms_env(name: str, default: int) -> float:
    return int(os.environ.get(name, default)) / 1000


READY = (_ms_env("READY_MIN_MS", 1500), _ms_env("READY_MAX_MS", 4000))
ROUND_TIMEOUT = _ms_env("ROUND_TIMEOUT_MS", 3000)
RESULTS_PAUSE = _ms_env("RESULTS_PAUSE_MS", 4000)
HEARTBEAT_S = float(os.environ.get("HEARTBEAT_S", "15"))


class Writer(Protocol):
    """Where a stream's bytes go: an asyncio StreamWriter here, a pipe to an ASGI send on Hypercorn."""

    def write(self, data: bytes) -> None: ...


@dataclass
class Tab:
    name: str = ""
    room: str = ""
    role: str = ""
    streams: set[Writer] = field(default_factory=set)


@dataclass
class Room:
    code: str
    host: str
    players: list[str] = field(default_factory=list)
    spectators: list[str] = field(default_factory=list)
    phase: str = "lobby"
    round: int = 0
    rounds: int = 5
    rid: int = 0
    go_started: float = 0.0
    presses: dict[str, int] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


class Ceiling:
    def __init__(self, payload: int) -> None:
        self.payload = payload
        self.tabs: dict[str, Tab] = {}
        self.rooms: dict[str, Room] = {}

    # -- views: one f-string per role, padded -----------------------------

    def _pad(self, body: str) -> bytes:
        lines = body.split("\n")
        event = "event: datastar-patch-elements\n" + "".join(f"data: elements {line}\n" for line in lines) + "\n"
        short = self.payload - len(event) - len("data: elements <!--  -->\n")
        if short > 0:
            event = event[:-1] + f"data: elements <!-- {'x' * short} -->\n\n"
        return event.encode()

    def _room_view(self, room: Room, player: bool) -> bytes:
        rows = "".join(
            f'<tr><td><span class="name">{self.tabs[p].name}</span></td>'
            f'<td class="result">{self._result(room, p)}</td></tr>'
            for p in room.players
        )
        in_match = room.phase in IN_MATCH
        status = {"lobby": "Waiting for players", "ready": f"Round {room.round} of {room.rounds} · get ready…",
                  "go": "GO!", "results": f"Round {room.round} of {room.rounds}: results"}.get(room.phase, "Final scores")
        extra = f"<p>Round {room.round} of {room.rounds}</p>" if room.phase == "go" else ""
        buzz = {"ready": "ready", "go": "go", "results": "done"}.get(room.phase, "idle")
        buzzer = f'<reflex-buzzer id="buzzer" phase="{buzz}" round-id="{room.rid}"></reflex-buzzer>' \
            if player and in_match else ""
        lobby = "" if in_match else f"<p>{len(room.players)}/8 players.</p>\n<p>{room.rounds} rounds.</p>"
        watching = f"<p>Watching ({len(room.spectators)})</p>" if room.spectators else ""
        return self._pad(
            f'<main id="view" class="screen room" data-phase="{room.phase}">\n'
            f'<h1>Room <span id="room-code">{room.code}</span></h1>\n'
            f'<h2 id="status">{status}</h2>{extra}\n{buzzer}\n'
            f'<table class="players">{rows}</table>\n{lobby}\n{watching}\n</main>'
        )

    def _result(self, room: Room, pid: str) -> str:
        press = room.presses.get(pid)
        if press is None:
            return "no press" if room.phase in ("results", "final") else ""
        return f"{press} ms" if room.phase in ("results", "final") else "pressed"

    def _lobby_view(self, tab: Tab) -> bytes:
        return self._pad(f'<main id="view" class="screen lobby">\n<h1>Hi, {tab.name}</h1>\n</main>')

    def view_for(self, tab: Tab) -> bytes:
        room = self.rooms.get(tab.room)
        if room:
            return self._room_view(room, tab.role == "player")
        return self._lobby_view(tab)

    def _broadcast(self, room: Room) -> None:
        views = {True: self._room_view(room, True), False: self._room_view(room, False)}
        for pid in (*room.players, *room.spectators):
            tab = self.tabs[pid]
            for writer in tab.streams:
                writer.write(views[tab.role == "player"])

    # -- the game, in memory ----------------------------------------------

    def _later(self, room: Room, delay: float, step: str) -> None:
        if room.timer:
            room.timer.cancel()
        room.timer = asyncio.get_running_loop().call_later(delay, self._advance, room, step)

    def _start_round(self, room: Room) -> None:
        room.round += 1
        room.rid += 1
        room.presses = {}
        room.phase = "ready"
        self._later(room, random.uniform(*READY), "go")

    def _advance(self, room: Room, step: str) -> None:
        if step == "go":
            room.phase, room.go_started = "go", time.time()
            self._later(room, ROUND_TIMEOUT, "end")
        elif step == "end":
            room.phase = "results"
            self._later(room, RESULTS_PAUSE, "next")
        elif room.round < room.rounds:
            self._start_round(room)
        else:
            room.phase = "final"
        self._broadcast(room)

    def command(self, tab: Tab, pid: str, path: str, body: dict[str, object]) -> int:
        if path == "/name":
            tab.name = str(body.get("name", ""))[:20]
            return 204
        if path == "/rooms":
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            self.rooms[code] = Room(code, pid, players=[pid])
            tab.room, tab.role = code, "player"
            self._broadcast(self.rooms[code])
            return 204
        found = PATH_ROOM.match(path)
        room = self.rooms.get(found.group(1)) if found else None
        if room is None or found is None:
            return 404
        verb = found.group(2)
        if verb == "join":
            role = body.get("role", "player")
            (room.players if role == "player" else room.spectators).append(pid)
            tab.room, tab.role = room.code, str(role)
        elif verb == "settings" and pid == room.host:
            room.rounds = int(body.get("rounds", 5))  # type: ignore[call-overload]
        elif verb == "start" and pid == room.host and room.phase in ("lobby", "final"):
            room.round = 0
            self._start_round(room)
        elif verb == "seen":
            return 204  # the round-trip probe's answer: nothing to show
        elif verb == "buzz":
            if room.phase != "go" or str(body.get("round_id")) != str(room.rid) or pid in room.presses:
                return 409
            room.presses[pid] = int(body.get("ms", 0))  # type: ignore[call-overload]
            if len(room.presses) == len(room.players):
                self._advance(room, "end")
                return 204
        else:
            return 409
        self._broadcast(room)
        return 204

    # -- HTTP/1.1, just enough --------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = dict(
                    (k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:MAX_HEADERS] if ln)
                )
                size = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(size) if size else b""
                if target == "/stream":
                    await self._stream(headers, reader, writer)
                    return
                writer.write(_raw(*self.answer(method, target, headers, body)))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    def answer(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """Any request but a stream: its status, headers and body."""
        pid = _cookie(headers.get("cookie", ""))
        if method == "GET" and target == "/":
            extra = []
            if pid not in self.tabs:
                pid = secrets.token_urlsafe(16)
                self.tabs[pid] = Tab()
                extra = [("Set-Cookie", f"sid={pid}; Path=/; HttpOnly; SameSite=Lax")]
            return 200, [("Content-Type", "text/html"), *extra], b"<!doctype html><title>ceiling</title>"
        if method == "GET" and target.startswith("/_stamp/"):
            room = self.rooms.get(target.rsplit("/", 1)[1])
            return 200, [], json.dumps({"go_started": room.go_started, "round": room.round} if room else {}).encode()
        if method != "POST" or pid not in self.tabs:
            return 400, [], b""
        accepted = time.time()  # before the change goes out to the streams
        status = self.command(self.tabs[pid], pid, target, json.loads(body or b"{}"))
        stamp = [("Server-Timing", f'accepted;desc="{accepted:.6f}"')] if status == 204 else []  # as the game's
        return status, stamp, b""

    def tab_of(self, headers: dict[str, str]) -> Tab | None:
        """The tab whose cookie a request carries."""
        return self.tabs.get(_cookie(headers.get("cookie", "")))

    async def _stream(self, headers: dict[str, str], reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        tab = self.tab_of(headers)
        if tab is None:
            writer.write(_raw(401, [], b""))
            return
        writer.write(_raw(200, [*STREAM_HEADERS, ("Connection", "close")], self.view_for(tab), sized=False))
        tab.streams.add(writer)
        try:
            await reader.read()  # until the client closes
        finally:
            tab.streams.discard(writer)

    async def heartbeats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            for tab in self.tabs.values():
                for writer in tab.streams:
                    writer.write(HEARTBEAT)


def _raw(status: int, headers: list[tuple[str, str]], body: bytes, sized: bool = True) -> bytes:
    """A response in HTTP/1.1; unsized, the start of a stream: its body goes on until the connection closes."""
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", *(f"{name}: {value}" for name, value in headers)]
    if sized:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _cookie(raw: str) -> str:
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "sid":
            return value
    return ""


async def main(port: int, payload: int) -> None:
    ceiling = Ceiling(payload)
    server = await asyncio.start_server(ceiling.serve, "127.0.0.1", port, backlog=2048)
    print(f"ceiling listening on http://127.0.0.1:{port}", flush=True)
    beat = asyncio.create_task(ceiling.heartbeats())
    async with server:
        await server.serve_forever()
    beat.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payload", type=int, default=int(os.environ.get("BENCH_PAYLOAD", "3000")))
    args = parser.parse_args()
    asyncio.run(main(args.port, args.payload))
