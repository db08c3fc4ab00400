"""Timed transitions: GO after the secret delay, round end, next round.

A transition is an idempotent compare-and-set in Redis (`advance.lua`), so
any process may fire it. The process that starts a phase schedules its end,
and so does every process with a stream watching the room: if one process
dies, another one's timer still moves the room on. Each process keeps at most
one timer per room phase.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from game.config import Settings
from game.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Deadline:
    """A room phase that ends by itself: `advance` is due in `due_in_ms` (from
    the moment Redis said so, on Redis's clock, as every deadline is)."""

    code: str
    round_id: str
    phase: str
    due_in_ms: int


class Timers:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}

    def secret_delay_ms(self) -> int:
        s = self.settings
        return s.ready_min_ms + secrets.randbelow(s.ready_max_ms - s.ready_min_ms + 1)

    def round_plan(self) -> dict[str, object]:
        """A round's secret plan (start_round in common.lua): the delay before GO
        or a decoy; whether a decoy comes first (if the room has decoys on), and
        whether GO follows it, after another secret delay."""
        s = self.settings
        return {
            "delay_ms": self.secret_delay_ms(),
            "decoy": secrets.randbelow(1000) < s.decoy_share * 1000,
            "then_go": secrets.randbelow(1000) < s.decoy_then_go * 1000,
            "go_after_ms": self.secret_delay_ms(),
        }

    def ensure(self, deadline: Deadline) -> None:
        """Fire `advance` for this room phase when it is due, once per process."""
        key = (deadline.code, deadline.round_id, deadline.phase)
        if key not in self._pending:
            self._pending[key] = asyncio.create_task(self._fire(deadline))

    async def _fire(self, deadline: Deadline) -> None:
        key = (deadline.code, deadline.round_id, deadline.phase)
        try:
            wait_ms = deadline.due_in_ms
            while True:
                await asyncio.sleep(max(wait_ms, 0) / 1000)
                result = await self.store.run(
                    "advance", code=deadline.code, round_id=deadline.round_id, phase=deadline.phase,
                    plan=self.round_plan(),
                )
                if "wait_ms" not in result:  # not due yet by Redis's clock: wait the rest
                    break
                wait_ms = result["wait_ms"]
            if result.get("ok"):
                self.follow(deadline.code, result)
        except Exception:  # a lost timer is covered by other processes' timers
            log.exception("timer %s failed", key)
        finally:
            self._pending.pop(key, None)

    def follow(self, code: str, result: dict[str, object]) -> None:
        """Schedule the end of the phase a script just started, if it has one."""
        if "due_in_ms" in result:
            self.ensure(Deadline(code, str(result["round_id"]), str(result["phase"]), int(result["due_in_ms"])))  # type: ignore[call-overload]

    def cancel_all(self) -> None:
        for task in self._pending.values():
            task.cancel()


class Receipts:
    """When a round's "get ready" and GO reached each player's connection: the
    round-trip probe starts at the first, the clock that bounds a buzz's
    claimed time at the second (delivered.lua).

    The streams of one process that deliver the same phase within a few
    milliseconds share one `delivered` call: one script per room phase and
    process, not one per player. Stamped at most `BATCH_S` late, which only
    makes the bounds a little stricter (well within their slack).
    """

    BATCH_S = 0.005

    def __init__(self, store: Store) -> None:
        self.store = store
        self._due: dict[tuple[str, str, str], set[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def delivered(self, code: str, round_id: str, phase: str, pid: str) -> None:
        key = (code, round_id, phase)
        due = self._due.get(key)
        if due is None:
            due = self._due[key] = set()
            task = asyncio.create_task(self._record(key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        due.add(pid)

    @property
    def batches_pending(self) -> int:
        """Receipts waiting to be recorded, one script each."""
        return len(self._tasks)

    async def settled(self) -> None:
        """Wait until every receipt taken so far is recorded."""
        await asyncio.gather(*self._tasks)

    async def _record(self, key: tuple[str, str, str]) -> None:
        await asyncio.sleep(self.BATCH_S)
        code, round_id, phase = key
        pids = sorted(self._due.pop(key))
        try:
            await self.store.run("delivered", pids=pids, code=code, round_id=round_id, phase=phase)
        except Exception:  # without a receipt the bounds count from the phase's start
            log.exception("recording delivery for %s failed", code)
