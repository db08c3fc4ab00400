"""When a command was accepted, as a response header: browsers' dev tools
show it, and the benchmark times fan-out from it (bench/peer.py sends it too)."""

from __future__ import annotations


def accepted_stamp(accepted_ms: int | None) -> dict[str, str]:
    """Server-Timing with the moment the command's script ran (Redis's clock, Unix ms)."""
    return {"Server-Timing": f'accepted;desc="{accepted_ms / 1000:.3f}"'} if accepted_ms else {}
