"""The processes a bench run starts, and what it reads about them from /proc.

Every server is a child process on 127.0.0.1 and a free port; it counts as
up when it prints its own "listening" line (no polling). CPU and memory are
read from /proc/<pid> of the server and its worker processes.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_fd_limit() -> int:
    """Soft fd limit up to the hard one; child servers inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def pids(self) -> list[int]:
        """The server process and its descendants (Hypercorn's workers)."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.proc.pid]
        while todo and len(found) < 1000:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found


def _drain(proc: subprocess.Popen[str], log: list[str], marker: str, ready: threading.Event) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if len(log) < 2000:
            log.append(line)
        if marker in line:
            ready.set()
    ready.set()


@contextlib.contextmanager
def start(name: str, cmd: list[str], env: dict[str, str], url: str, marker: str) -> Iterator[Server]:
    """Run `cmd` until the block ends; up once it prints `marker`."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    server = Server(name, url, proc)
    ready = threading.Event()
    threading.Thread(target=_drain, args=(proc, server.log, marker, ready), daemon=True).start()
    if not ready.wait(START_TIMEOUT_S) or proc.poll() is not None:
        proc.kill()
        raise RuntimeError(f"{name} did not start:\n" + "".join(server.log[-40:]))
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def redis_server() -> Iterator[Server]:
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit("redis-server is not installed (scripts/setup.sh --dev installs it)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir, start(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir, "--maxclients", "15000"],
        {}, f"redis://127.0.0.1:{port}/0", "Ready to accept connections",
    ) as server:
        yield server


def game_command(port: int, workers: int, app: str = "app:create_app()") -> list[str]:
    """The game exactly as scripts/run.sh serves it (or another ASGI `app`, served the same way)."""
    return [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--graceful-timeout", "2", app]


def peer_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.peer:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--log-level", "info",
            "--timeout-graceful-shutdown", "2"]


def ceiling_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--port", str(port)]


def hypercorn_ceiling_command(port: int) -> list[str]:
    """The ceiling's game as a bare ASGI app, on Hypercorn as the game is served (one worker)."""
    return game_command(port, 1, "bench.hypercorn_ceiling:app")


@dataclass
class Usage:
    """CPU seconds and memory of a set of processes, sampled while a scenario runs."""

    cpu_s: float = 0.0
    rss_bytes: int = 0
    peak_rss_bytes: int = 0


def read_usage(pids: list[int]) -> Usage:
    usage = Usage()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/statm") as f:
                rss_pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended
        usage.cpu_s += (int(fields[11]) + int(fields[12])) / CLK_TCK
        usage.rss_bytes += rss_pages * PAGE
    usage.peak_rss_bytes = usage.rss_bytes
    return usage


class Sampler:
    """Peak RSS of a set of processes, read every `every` seconds."""

    def __init__(self, pids: list[int], every: float = 0.25) -> None:
        self.pids = pids
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, read_usage(self.pids).rss_bytes)

    def __enter__(self) -> Sampler:
        self.peak = read_usage(self.pids).rss_bytes
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.peak = max(self.peak, read_usage(self.pids).rss_bytes)


def self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
