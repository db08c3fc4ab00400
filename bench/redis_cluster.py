"""A real Redis Cluster on loopback: N primaries with one replica each.

The tests and the benchmark both need one, made the way an operator makes
it: `redis-server --cluster-enabled yes` per node and `redis-cli --cluster
create`, Debian's Redis 7 binaries, nothing emulated. A node's cluster bus
listens on its port + 10000, so every port is drawn below 55535 with that
one free too. The cluster counts as up only when every node says
`cluster_state:ok` with all 16384 slots served, polled with a deadline.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

SLOTS = 16384
BUS_OFFSET = 10000  # Redis puts a node's cluster bus on its port + 10000
HIGHEST_PORT = 65535 - BUS_OFFSET
NODE_TIMEOUT_MS = 1000  # a dead primary is failed over in about a second, not Redis's default fifteen


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_node_port(taken: set[int]) -> int:
    """A loopback port below 55535 whose bus port (+10000) is free as well."""
    for _ in range(1000):
        port = random.randrange(20000, HIGHEST_PORT)
        ours = {port, port + BUS_OFFSET, port - BUS_OFFSET}
        if not ours & taken and _bindable(port) and _bindable(port + BUS_OFFSET):
            return port
    raise RuntimeError("no free pair of ports for a cluster node")


def node_args(port: int, workdir: Path, node_timeout_ms: int = NODE_TIMEOUT_MS) -> list[str]:
    """The redis-server arguments of a node."""
    return ["--cluster-enabled", "yes", "--port", str(port), "--bind", "127.0.0.1",
            "--cluster-config-file", str(workdir / f"nodes-{port}.conf"),
            "--cluster-node-timeout", str(node_timeout_ms), "--appendonly", "no", "--save", "",
            # A replica's first sync starts at once, not after the default 5 s wait for more replicas.
            "--repl-diskless-sync-delay", "0", "--dir", str(workdir)]


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed (scripts/setup.sh --dev installs it)")
    return found


@dataclass
class ClusterNode:
    """One line of CLUSTER NODES: who a node is, as the cluster sees it."""

    url: str
    id: str
    primary_id: str  # a replica's primary; "-" for a primary
    primary: bool
    failed: bool
    slots: int


@dataclass
class LocalCluster:
    """The running nodes; every method reads the cluster's own view, so roles
    swapped by a failover are seen as they are."""

    workdir: Path
    node_timeout_ms: int = NODE_TIMEOUT_MS  # how long a silent node has until it counts as failed
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[int, list[str]] = field(default_factory=dict)  # each node's, for a restart

    @staticmethod
    def url(port: int) -> str:
        return f"redis://127.0.0.1:{port}"

    @property
    def urls(self) -> list[str]:
        """Every node still running."""
        return [self.url(port) for port, proc in self.procs.items() if proc.poll() is None]

    def start_node(self, port: int, command: list[str] | None = None) -> None:
        """Start (or restart, with its saved nodes.conf) the node on `port`, by default with
        node_args(); wait until it answers."""
        if command is None:
            command = self.commands.get(port) or [_binary("redis-server"),
                                                  *node_args(port, self.workdir, self.node_timeout_ms)]
        self.commands[port] = command
        with open(self.workdir / f"node-{port}.log", "ab") as log:  # the child keeps its own copy
            self.procs[port] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not _answers(port):
            if self.procs[port].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on {port} did not start:\n{self.log(port)}")
            time.sleep(0.05)

    def log(self, port: int) -> str:
        return (self.workdir / f"node-{port}.log").read_text(errors="replace")[-3000:]

    def nodes(self) -> list[ClusterNode]:
        """CLUSTER NODES as one running node sees it (redis-py parses it by address)."""
        with _client(self.urls[0]) as client:
            seen = client.execute_command("CLUSTER NODES")
        return [ClusterNode(self.url(int(address.rsplit(":", 1)[1])), node["node_id"], node["master_id"],
                            "master" in node["flags"], "fail" in node["flags"],
                            sum(_range_size(r) for r in node["slots"]))
                for address, node in seen.items()]

    def primaries(self) -> list[str]:
        """The URLs of the primaries serving slots now."""
        return sorted(n.url for n in self.nodes() if n.primary and not n.failed and n.slots)

    def replicas(self) -> list[str]:
        return sorted(n.url for n in self.nodes() if not n.primary and not n.failed)

    def kill(self, url: str) -> None:
        """SIGKILL one node: no shutdown, no goodbye to its replica."""
        port = int(url.rsplit(":", 1)[1])
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait(10)

    def revive(self, url: str, timeout: float = 20) -> None:
        """Restart a killed node; it rejoins with its saved config (as a replica,
        if its old replica took over) and the cluster is whole again."""
        port = int(url.rsplit(":", 1)[1])
        self.start_node(port)
        self.wait_ok(timeout, expect_nodes=len(self.procs))

    def wait_ok(self, timeout: float = 20, expect_nodes: int | None = None) -> None:
        """Poll until every running node says cluster_state:ok with all 16384
        slots served, every replica has synced with its primary (one that has
        not could not take over), every primary holding slots is a running node
        (so after a kill, until its replica took over), and, with
        `expect_nodes`, that many nodes are seen healthy."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                last = self._not_ok(expect_nodes)
            except (RedisError, OSError) as err:
                last = f"{type(err).__name__}: {err}"
            if not last:
                return
            time.sleep(0.1)
        raise TimeoutError(f"the cluster was not ok within {timeout} s: {last}")

    def _not_ok(self, expect_nodes: int | None) -> str:
        """What is still wrong, or "" if nothing."""
        for url in self.urls:
            with _client(url) as client:
                info = client.execute_command("CLUSTER INFO")
                replication = client.info("replication")
            if info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != str(SLOTS):
                return f"{url}: {info}"
            if replication["role"] == "slave" and replication["master_link_status"] != "up":
                return f"{url}: a replica not yet in sync"
        nodes = self.nodes()
        if down := [n.url for n in nodes if n.primary and n.slots and n.url not in self.urls]:
            return f"{down} hold slots but are not running"
        if expect_nodes is not None:
            healthy = [n for n in nodes if not n.failed]
            if len(healthy) != expect_nodes:
                return f"{len(healthy)} healthy nodes, not {expect_nodes}"
            if rejoining := [n.url for n in healthy if n.primary and not n.slots]:
                return f"{rejoining} not yet a replica of the node that took over"
        return ""

    def stop(self) -> None:
        """Kill every node and remove their files."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)


def _answers(port: int) -> bool:
    try:
        with _client(LocalCluster.url(port)) as client:
            return bool(client.ping())
    except (RedisError, OSError):
        return False


def _range_size(slots: list[str]) -> int:
    """["0", "5460"] is 5461 slots, ["200"] is one."""
    return int(slots[-1]) - int(slots[0]) + 1


@contextlib.contextmanager
def redis_cluster(primaries: int = 3, timeout: float = 30,
                  node_timeout_ms: int = NODE_TIMEOUT_MS) -> Iterator[LocalCluster]:
    """A fresh cluster of `primaries` primaries, one replica each, until the block ends."""
    cluster = LocalCluster(Path(tempfile.mkdtemp(prefix="redis-cluster-")), node_timeout_ms)
    try:
        ports: set[int] = set()
        for _ in range(primaries * 2):
            ports.add(free_node_port(ports))
        for port in sorted(ports):
            cluster.start_node(port)
        created = subprocess.run(
            [_binary("redis-cli"), "--cluster", "create", *(f"127.0.0.1:{p}" for p in sorted(ports)),
             "--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True, text=True, timeout=timeout,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{created.stdout}\n{created.stderr}")
        cluster.wait_ok(timeout, expect_nodes=primaries * 2)
        yield cluster
    finally:
        cluster.stop()


if __name__ == "__main__":  # python -m bench.redis_cluster: one to try by hand, until Ctrl+C
    with redis_cluster() as running, contextlib.suppress(KeyboardInterrupt):
        print("primaries:", *running.primaries(), "\nreplicas:", *running.replicas(), flush=True)
        signal.pause()
