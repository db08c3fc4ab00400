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
import time

from game.store import Store

log = logging.getLogger(__name__)


class Timers:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}

    def secret_delay_ms(self) -> int:
        s = self.store.settings
        return s.ready_min_ms + secrets.randbelow(s.ready_max_ms - s.ready_min_ms + 1)

    def ensure(self, code: str, rid: str, phase: str, at_ms: int) -> None:
        """Fire `advance` for this room phase at `at_ms` (server clock), once per process."""
        key = (code, rid, phase)
        if key not in self._pending:
            self._pending[key] = asyncio.create_task(self._fire(key, at_ms))

    async def _fire(self, key: tuple[str, str, str], at_ms: int) -> None:
        code, rid, phase = key
        try:
            delay = at_ms / 1000 - time.time()
            while True:
                await asyncio.sleep(max(delay, 0))
                result = await self.store.run(
                    "advance", code=code, rid=rid, phase=phase, delay_ms=self.secret_delay_ms()
                )
                if "wait_ms" not in result:  # clocks differ slightly: wait the rest
                    break
                delay = result["wait_ms"] / 1000
            if result.get("ok"):
                self.follow(code, result)
        except Exception:  # a lost timer is covered by other processes' timers
            log.exception("timer %s failed", key)
        finally:
            self._pending.pop(key, None)

    def follow(self, code: str, result: dict[str, object]) -> None:
        """Schedule the end of the phase a script just started, if it has one."""
        if "at" in result and "rid" in result:
            self.ensure(code, str(result["rid"]), str(result["phase"]), int(result["at"]))  # type: ignore[arg-type]

    def cancel_all(self) -> None:
        for task in self._pending.values():
            task.cancel()


class GoReceipts:
    """When GO reached each player's connection: a buzz's reaction time is capped by it.

    The streams of one process that deliver the same GO within a few
    milliseconds share one `go_sent` call: one script per room round and
    process, not one per player. Stamped at most `BATCH_S` late, which only
    makes the cap a little stricter (well within its tolerance).
    """

    BATCH_S = 0.005

    def __init__(self, store: Store) -> None:
        self.store = store
        self._due: dict[tuple[str, str], set[str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def delivered(self, code: str, rid: str, pid: str) -> None:
        due = self._due.get((code, rid))
        if due is None:
            due = self._due[(code, rid)] = set()
            task = asyncio.create_task(self._record(code, rid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        due.add(pid)

    async def _record(self, code: str, rid: str) -> None:
        await asyncio.sleep(self.BATCH_S)
        pids = sorted(self._due.pop((code, rid)))
        try:
            await self.store.run("go_sent", pids=pids, code=code, rid=rid)
        except Exception:  # without a receipt the cap counts from GO itself
            log.exception("recording GO delivery for %s failed", code)
