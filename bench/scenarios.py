"""The three scenarios, each in two parts: `setup` (tabs join, not measured)
and `play` (the measured window), plus `reached_final` for the end check.

A tab picks a name, opens its stream (only a player with a stream open may
take a seat), then joins its room; the `idle` scenario is the lobby.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bench.client import DATASTAR, Client, Net, Room

ROOM_MAX_PLAYERS = 8  # the game's default seats per room
SETUP_TRIES = 5  # a setup request refused with 503/429 (or a dropped connection) is tried again
RETRY_AFTER_S = 1.0


@dataclass
class Sizes:
    rooms: int = 100
    per_room: int = 10  # players (up to 8) + spectators
    spectators: int = 1000
    idle: int = 5000
    rounds: int = 5
    seconds: float = 30.0  # arena: start matches for this long, then finish them
    spread: float = 7.0  # arena: the rooms' first matches start evenly over this long (0: all at once)
    idle_seconds: float = 20.0
    settings_changes: int = 10  # burst: pure fan-out commands before the match
    lobby: int = 500  # hostile: tabs watching the lobby while strangers attack it
    concurrency: int = 64  # setup requests in flight
    quiet_s: float = 1.0


@dataclass
class Timings:
    ready_max_s: float
    round_timeout_s: float
    results_pause_s: float

    def match_timeout(self, rounds: int) -> float:
        return rounds * (self.ready_max_s + self.round_timeout_s + self.results_pause_s) + 60


class Scenario(Protocol):
    name: str
    clients: list[Client]

    async def setup(self, net: Net) -> None: ...
    async def play(self) -> None: ...
    def reached_final(self) -> int: ...


async def _gather_bounded(coros: list[Awaitable[Any]], timeout: float) -> list[Any]:
    return await asyncio.wait_for(asyncio.gather(*coros), timeout)


class Lobby:
    """Tabs join one by one, with at most `concurrency` setups in flight."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.gate = asyncio.Semaphore(sizes.concurrency)

    async def arrive(self, client: Client, then: list[tuple[str, dict[str, object]]] | None = None) -> Client:
        async with self.gate:
            await _again(client.open)
            await self._post(client, "/name", {"name": client.name})
            await _again(client.start_stream)
            for path, body in then or []:
                await self._post(client, path, body)
        return client

    async def _post(self, client: Client, path: str, body: dict[str, object]) -> None:
        for _ in range(SETUP_TRIES):
            status = await client.post(path, body, path.rsplit("/", 1)[-1])
            if status == 204 or status not in (0, 429, 503):
                break
            await asyncio.sleep(RETRY_AFTER_S)
        if status != 204:
            raise RuntimeError(f"{client.name}: POST {path} answered {status}")


async def _again(step: Callable[[], Awaitable[None]]) -> None:
    """A setup step that failed (a 503, a dropped connection) is tried again, as a person would."""
    for attempt in range(SETUP_TRIES):
        try:
            return await step()
        except (RuntimeError, aiohttp.ClientError, TimeoutError):
            if attempt == SETUP_TRIES - 1:
                raise
            await asyncio.sleep(RETRY_AFTER_S)


class Rooms:
    """Rooms of players (and spectators) playing whole matches."""

    def __init__(self, sizes: Sizes, timings: Timings, rooms: int, players: int, spectators: int) -> None:
        self.sizes, self.timings = sizes, timings
        self.players, self.spectators = players, spectators
        self.rooms = [Room() for _ in range(rooms)]
        self.clients: list[Client] = []

    async def setup(self, net: Net) -> None:
        lobby = Lobby(self.sizes)
        limit = 60 + 0.05 * len(self.rooms) * (self.players + self.spectators)
        await _gather_bounded([self._fill(net, lobby, i, room) for i, room in enumerate(self.rooms)], limit)
        self.clients = [c for room in self.rooms for c in room.members]
        rounds, players, spectators = self.sizes.rounds, self.players, self.spectators

        def ready(c: Client) -> bool:
            return c.screen == "room" and f"{players}/{ROOM_MAX_PLAYERS} players" in c.html and \
                (not spectators or f"Watching ({spectators})" in c.html) and \
                (f'<option value="{rounds}" selected' in c.html or f"<p>{rounds} round" in c.html)

        results = await _gather_bounded([c.wait_for(ready, limit) for c in self.clients], limit + 5)
        if not all(results):
            late = [c for c, ok in zip(self.clients, results) if not ok]
            raise RuntimeError(f"{len(late)} tabs never showed their full room; e.g. {late[0].html[:300]!r}")

    async def _fill(self, net: Net, lobby: Lobby, index: int, room: Room) -> None:
        host = Client(net, f"r{index}p0")
        host.room = room
        await lobby.arrive(host, [("/rooms", {"public": True})])
        if not await host.wait_for(lambda c: bool(c.room_code()), 60):
            raise RuntimeError(f"{host.name} never saw the room it created")
        room.code = host.room_code()
        if host.html.find(f'<option value="{self.sizes.rounds}" selected') < 0:
            status = await host.post(f"/rooms/{room.code}/settings", {"rounds": self.sizes.rounds}, "settings")
            if status != 204:
                raise RuntimeError(f"settings answered {status}")
        others = [Client(net, f"r{index}p{i}") for i in range(1, self.players)]
        others += [Client(net, f"r{index}s{i}", role="spectator") for i in range(self.spectators)]
        room.members = [host, *others]
        for c in others:
            c.room = room
        join = f"/rooms/{room.code}/join"
        await asyncio.gather(*(lobby.arrive(c, [(join, {"role": c.role})]) for c in others))

    async def match(self, room: Room) -> bool:
        """The host starts a match; True once every tab showed its final scores."""
        host = room.members[0]
        need = {c: c.finals + 1 for c in room.members}
        room.match_no += 1
        status = await host.command(f"/rooms/{room.code}/start", {}, "start")
        if status != 204:
            return False
        timeout = self.timings.match_timeout(self.sizes.rounds)
        done = await asyncio.gather(*(c.wait_for(lambda c: c.finals >= need[c], timeout) for c in room.members))
        if not all(done):
            host.net.tally.error("match did not finish on every tab")
        return all(done)

    def start_buzzing(self) -> None:
        for c in self.clients:
            c.auto_buzz = c.role == "player"

    def reached_final(self) -> int:
        return sum(1 for room in self.rooms for c in room.members if c.finals >= room.match_no >= 1)


class Arena(Rooms):
    """R rooms, each of up to 8 players plus spectators, playing matches back to back."""

    name = "arena"

    def __init__(self, sizes: Sizes, timings: Timings) -> None:
        players = min(sizes.per_room, ROOM_MAX_PLAYERS)
        super().__init__(sizes, timings, sizes.rooms, players, sizes.per_room - players)

    async def play(self) -> None:
        """Rooms that play on their own: their first starts are spread over about
        one round (real rooms are not in step); the burst scenario is the one
        where a single command reaches every stream at once."""
        self.start_buzzing()
        deadline = time.monotonic() + self.sizes.seconds
        step = self.sizes.spread / len(self.rooms)

        async def matches(room: Room, first_after: float) -> None:
            await asyncio.sleep(first_after)
            for _ in range(10_000):
                if not await self.match(room) or time.monotonic() >= deadline:
                    return

        await asyncio.gather(*(matches(room, i * step) for i, room in enumerate(self.rooms)))


class Burst(Rooms):
    """One room of 8 players watched by S spectators: every change reaches them all."""

    name = "burst"

    def __init__(self, sizes: Sizes, timings: Timings) -> None:
        super().__init__(sizes, timings, 1, ROOM_MAX_PLAYERS, sizes.spectators)

    async def play(self) -> None:
        room = self.rooms[0]
        host = room.members[0]
        rounds = self.sizes.rounds
        for i in range(self.sizes.settings_changes):
            value = rounds + 1 if i % 2 == 0 else rounds  # an even count ends where it began
            await host.command(f"/rooms/{room.code}/settings", {"rounds": value}, "settings", expect=value)
            shown = await asyncio.gather(*(c.wait_for(
                lambda c, v=value: f'<option value="{v}" selected' in c.html or f"<p>{v} round" in c.html, 60)
                for c in room.members))
            if not all(shown):
                host.net.tally.error("a settings change never reached every tab")
        self.start_buzzing()
        await self.match(room)


class Idle:
    """N players in the lobby, connected and doing nothing."""

    name = "idle"

    def __init__(self, sizes: Sizes, timings: Timings) -> None:
        self.sizes = sizes
        self.clients: list[Client] = []

    async def setup(self, net: Net) -> None:
        lobby = Lobby(self.sizes)
        self.clients = [Client(net, f"idle{i}") for i in range(self.sizes.idle)]
        timeout = 60 + 0.1 * len(self.clients)
        await _gather_bounded([lobby.arrive(c) for c in self.clients], timeout)
        shown = await _gather_bounded([c.wait_for(lambda c: c.screen == "lobby", timeout) for c in self.clients],
                                      timeout + 5)
        if not all(shown):
            raise RuntimeError(f"{shown.count(False)} idle tabs never showed the lobby")

    async def play(self) -> None:
        await asyncio.sleep(self.sizes.idle_seconds)  # the measured idle window

    def reached_final(self) -> int:
        return sum(1 for c in self.clients
                   if c.screen == "lobby" and c.stream_task is not None and not c.stream_task.done())


class Hostile(Rooms):
    """One room of 8 players plays a match in peace, then another while
    strangers attack: `lobby` tabs watch the lobby, two players toggle quick
    play as fast as their own limit lets them (each toggle changes what every
    lobby tab shows), and scripts from one address mint identities, probe room
    links, try to take seats without a stream and open junk rooms. The room's
    fan-out is reported per match: `buzz` in peace, `buzz-attacked` under attack;
    every answer the attackers got is counted (none may be a 5xx)."""

    name = "hostile"
    ATTACKER = "203.0.113.7"

    def __init__(self, sizes: Sizes, timings: Timings) -> None:
        super().__init__(sizes, timings, 1, ROOM_MAX_PLAYERS, 0)
        self.answers: Counter[str] = Counter()

    async def setup(self, net: Net) -> None:
        await super().setup(net)
        self.net, lobby = net, Lobby(self.sizes)
        watchers = [Client(net, f"lobby{i}") for i in range(self.sizes.lobby)]
        self.togglers = [Client(net, f"toggler{i}", address=self.ATTACKER) for i in range(2)]
        self.junk = Client(net, "junk", address=self.ATTACKER)
        await _gather_bounded([lobby.arrive(c) for c in [*watchers, *self.togglers, self.junk]],
                              60 + 0.1 * len(watchers))
        self.squatter = Client(net, "squatter", address=self.ATTACKER)
        await self.squatter.open()
        await self.squatter.post("/name", {"name": "squatter"}, "name")  # a name, but never a stream
        self.watchers = watchers
        self.clients += watchers  # the lobby tabs count too: their streams must stay up

    async def play(self) -> None:
        room = self.rooms[0]
        self.start_buzzing()
        await self.match(room)
        for c in room.members:
            c.buzz_kind = "buzz-attacked"
        stop = asyncio.Event()
        attacks = [self._toggle(c, stop) for c in self.togglers] + [
            self._again(stop, "GET /", lambda: self._get("/")),
            self._again(stop, "GET /r/<code>", lambda: self._get(f"/r/{secrets.token_hex(3)[:5].upper()}")),
            self._again(stop, "squat",
                        lambda: self._post(self.squatter, f"/rooms/{room.code}/join", {"role": "player"})),
            self._again(stop, "junk room", lambda: self._post(self.junk, "/rooms", {"public": True})),
        ]
        running = [asyncio.ensure_future(a) for a in attacks]
        try:
            await self.match(room)
        finally:
            stop.set()
            await asyncio.gather(*running)
        self.net.tally.attack_answers = dict(self.answers)

    async def _toggle(self, client: Client, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for path in ("/queue/join", "/queue/leave"):
                status = await self._post(client, path, {})
                self.answers[f"toggle {status}"] += 1
                if status == 429:
                    await asyncio.sleep(RETRY_AFTER_S)

    async def _again(self, stop: asyncio.Event, what: str, request: Callable[[], Awaitable[int]]) -> None:
        while not stop.is_set():
            status = await request()
            self.answers[f"{what} {status}"] += 1
            await asyncio.sleep(0.02 if status != 429 else RETRY_AFTER_S)

    async def _get(self, path: str) -> int:
        """A page load with no cookie, from the attacker's address."""
        async with self.junk.session.get(path, headers={"X-Forwarded-For": self.ATTACKER}) as resp:
            await resp.read()
            return resp.status

    @staticmethod
    async def _post(client: Client, path: str, body: dict[str, object]) -> int:
        """An attacker's command: its answer is counted, not timed."""
        async with client.session.post(path, json=body, headers={**DATASTAR, **client.headers()}) as resp:
            await resp.read()
            return resp.status

    def reached_final(self) -> int:
        """The players saw both matches end; the lobby tabs are still there, showing the lobby."""
        played = sum(1 for c in self.rooms[0].members if c.finals >= 2)
        watching = [c for c in self.watchers if c.screen == "lobby" and c.stream_task and not c.stream_task.done()]
        return played + len(watching)


SCENARIOS = {"arena": Arena, "burst": Burst, "idle": Idle, "hostile": Hostile}
