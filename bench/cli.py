"""python -m bench [arena|burst|idle|hostile|all ...] [--repeat N] [--workers N] [--size ...] [--smoke] [--redis-cluster] [--out DIR]

For each scenario, in one invocation and with the same client code, the
bench runs the game (Hypercorn), then the peer (Starlette + sse-starlette +
uvicorn, bench/peer.py), the ceiling (bare asyncio fan-out, bench/ceiling.py)
and the ceiling's game on Hypercorn (a bare ASGI app, bench/hypercorn_ceiling.py),
each on a fresh process and a flushed Redis, and writes
report.json, report.txt and latency.png to --out. With --repeat N each
target runs N times, interleaved, and the report gives each figure's median
and its range.

With --redis-cluster, Redis is a local cluster of three primaries and three
replicas (bench/redis_cluster.py) and the game runs in cluster mode with two
worker processes; the peer and the ceiling have no cluster mode, so only the
game runs. The report adds Redis commands per second on each primary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bench import procs, report
from bench.client import Net, Tally
from bench.redis_cluster import redis_cluster
from bench.scenarios import SCENARIOS, Sizes, Timings
from game.keys import Keys

FAST = {"READY_MIN_MS": "400", "READY_MAX_MS": "700", "ROUND_TIMEOUT_MS": "1500", "RESULTS_PAUSE_MS": "600"}
REAL = {"READY_MIN_MS": "1500", "READY_MAX_MS": "4000", "ROUND_TIMEOUT_MS": "3000", "RESULTS_PAUSE_MS": "4000"}
SMOKE = Sizes(rooms=2, per_room=3, spectators=20, idle=50, rounds=2, seconds=0.5, spread=0.2, idle_seconds=1.0,
              settings_changes=2, quiet_s=0.3, lobby=20)
KEY_PREFIX = "rb:"
# A primary busy for a second under load must not be failed over mid-run
# (the suite's 1 s is for its failover tests).
CLUSTER_NODE_TIMEOUT_MS = 5000
# Not the game's traffic: the bench's own INFO and FLUSHALL, and a replica's acknowledgements to its primary.
NOT_THE_GAMES = ("info", "flushall", "replconf")
ONE_REDIS = "redis"  # what commandstats() calls the node of a single Redis
# As behind the game's proxy: each simulated tab sends its own client address
# (X-Forwarded-For), so the per-address limits see many players, as in life.
BEHIND_PROXY = {"TRUST_PROXY": "1"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="arena, burst, idle, hostile or all (default: all)")
    p.add_argument("--targets", help="comma-separated: game, peer, ceiling, hypercorn (the ceiling's game on "
                                     "Hypercorn; default all four; game alone with --redis-cluster)")
    p.add_argument("--workers", type=int,
                   help="server worker processes (game and peer; default 1, or 2 with --redis-cluster)")
    p.add_argument("--size", action="append", default=[], metavar="SCENARIO=SIZE",
                   help="arena=RxP (rooms x tabs per room), burst=S (spectators), idle=N, hostile=L (lobby tabs); "
                        "repeatable")
    p.add_argument("--rounds", type=int, help="rounds per match (default 5)")
    p.add_argument("--seconds", type=float, help="arena: start new matches for this long (default 30)")
    p.add_argument("--spread", type=float,
                   help="arena: the rooms' first matches start evenly over this long (default 7 s, about one "
                        "round; 0 starts every room at the same instant)")
    p.add_argument("--idle-seconds", type=float, help="idle: the measured window (default 20)")
    p.add_argument("--timings", choices=["real", "fast"], help="game pacing (default real; fast with --smoke)")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run each target N times, interleaved (game, peer, ceiling, game, ...); the report gives "
                        "each figure's median and min-max range (default 1)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: proves the harness works")
    p.add_argument("--out", type=Path, default=Path("bench-results"), help="where the report goes")
    p.add_argument("--redis-url", help="use this Redis instead of starting one (it gets flushed!)")
    p.add_argument("--game-url", help="use this running game (needs --redis-url; no CPU/RSS figures)")
    p.add_argument("--peer-url", help="use this running peer (needs --redis-url)")
    p.add_argument("--ceiling-url", help="use this running ceiling")
    p.add_argument("--hypercorn-url", help="use this running ceiling on Hypercorn")
    p.add_argument("--redis-cluster", action="store_true",
                   help="run the game on a local Redis Cluster (3 primaries, 3 replicas) with two worker processes; "
                        "the game only: the peer and the ceiling have no cluster mode")
    args = p.parse_args(argv)
    if unknown := set(args.scenarios) - {"all", *SCENARIOS}:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.redis_cluster:
        if args.redis_url:
            p.error("--redis-cluster starts its own cluster: drop --redis-url")
        if args.targets not in (None, "game"):
            p.error("--redis-cluster runs the game only: the peer and the ceiling have no cluster mode")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    args.targets = args.targets or ("game" if args.redis_cluster else "game,peer,ceiling,hypercorn")
    args.workers = args.workers or (2 if args.redis_cluster else 1)
    return args


def sizes_from(args: argparse.Namespace) -> Sizes:
    sizes = Sizes(**vars(SMOKE)) if args.smoke else Sizes()
    for item in args.size:
        scenario, _, value = item.partition("=")
        if scenario == "arena":
            rooms, _, per_room = value.lower().partition("x")
            sizes.rooms, sizes.per_room = int(rooms), int(per_room or sizes.per_room)
        elif scenario == "burst":
            sizes.spectators = int(value)
        elif scenario == "idle":
            sizes.idle = int(value)
        elif scenario == "hostile":
            sizes.lobby = int(value)
        else:
            raise SystemExit(f"--size {item}: expected arena=RxP, burst=S, idle=N or hostile=L")
    for name in ("rounds", "seconds", "spread", "idle_seconds"):
        if getattr(args, name) is not None:
            setattr(sizes, name, getattr(args, name))
    if not 1 <= sizes.rounds <= 19:
        raise SystemExit("--rounds must be from 1 to 19")
    return sizes


def size_label(scenario: str, sizes: Sizes) -> str:
    if scenario == "arena":
        players = min(sizes.per_room, 8)
        return (f"{sizes.rooms} rooms x ({players} players + {sizes.per_room - players} spectators), "
                f"first starts spread over {sizes.spread:g} s")
    if scenario == "burst":
        return f"8 players + {sizes.spectators} spectators"
    if scenario == "hostile":
        return f"8 players, then the same under attack with {sizes.lobby} lobby tabs watching"
    return f"{sizes.idle} idle tabs in the lobby"


@dataclass
class RedisUnderTest:
    """The Redis the servers use: one redis-server, or a cluster named by any node."""

    url: str
    pids: list[int]  # whose CPU is measured; none for a Redis given with --redis-url
    cluster: bool = False

    async def connect(self) -> Redis | RedisCluster:
        if self.cluster:
            return await RedisCluster.from_url(self.url, decode_responses=True).initialize()
        return Redis.from_url(self.url, decode_responses=True)

    def node_of(self, redis: Redis | RedisCluster, key: str) -> str:
        """The name commandstats() files this key's commands under."""
        return redis.get_node_from_key(key).name if isinstance(redis, RedisCluster) else ONE_REDIS


class Target:
    """One server under test, started fresh for each scenario (or a given URL)."""

    def __init__(self, name: str, args: argparse.Namespace, redis: RedisUnderTest, env: dict[str, str]) -> None:
        self.name, self.args, self.redis, self.env = name, args, redis, env

    @contextlib.contextmanager
    def serve(self, payload: int) -> Iterator[procs.Server | str]:
        given = getattr(self.args, f"{self.name}_url")
        if given:
            yield given
            return
        port = procs.free_port()
        url = f"http://127.0.0.1:{port}"
        if self.name == "game":
            cmd, marker = procs.game_command(port, self.args.workers), "Running on"
        elif self.name == "peer":
            cmd, marker = procs.peer_command(port, self.args.workers) + ["--no-access-log"], "Uvicorn running on"
        elif self.name == "hypercorn":
            cmd, marker = procs.hypercorn_ceiling_command(port), "Running on"
        else:
            cmd, marker = procs.ceiling_command(port) + ["--payload", str(payload)], "ceiling listening"
        env = {**self.env, "BENCH_PAYLOAD": str(payload)}
        with procs.start(self.name, cmd, env, url, marker) as server:
            try:
                yield server
            finally:
                self.args.out.mkdir(parents=True, exist_ok=True)
                (self.args.out / f"{self.name}.log").write_text("".join(server.log[-500:]))


async def commandstats(redis: Redis | RedisCluster | None) -> dict[str, dict[str, int]]:
    """Calls per command, by node: each primary of a cluster, or the one Redis."""
    if redis is None:
        return {}
    if isinstance(redis, RedisCluster):
        by_node = await redis.info("commandstats", target_nodes=RedisCluster.PRIMARIES)
    else:
        by_node = {ONE_REDIS: await redis.info("commandstats")}
    return {node: {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}
            for node, info in by_node.items()}


def game_calls(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]],
               own: Counter[str]) -> dict[str, dict[str, int]]:
    """Per node, the calls per command made during the window, less the bench's own
    (`own`: its HMGETs of GO stamps, by node)."""
    calls: dict[str, dict[str, int]] = {}
    for node, stats in after.items():
        delta = {k: v - before.get(node, {}).get(k, 0) for k, v in stats.items() if k not in NOT_THE_GAMES}
        delta["hmget"] = delta.get("hmget", 0) - own[node]
        calls[node] = {k: v for k, v in delta.items() if v > 0}
    return calls


async def run_one(scenario_name: str, target: Target, sizes: Sizes, timings: Timings, payload: int,
                  samples: dict[tuple[str, str], dict[str, list[float]]]) -> dict[str, Any]:
    uses_redis = target.name in ("game", "peer")  # the ceilings keep their rooms in memory
    redis = await target.redis.connect() if uses_redis else None
    if redis is not None:
        await redis.flushall()  # on a cluster: every primary
    tally = Tally()
    stamp_calls: Counter[str] = Counter()  # by node

    with target.serve(payload) as server:
        url = server.url if isinstance(server, procs.Server) else server
        pids = server.pids() if isinstance(server, procs.Server) else []
        redis_pids = target.redis.pids if uses_redis else []
        base = procs.read_usage(pids)

        async def go_stamp(code: str, round_no: int) -> float | None:
            if redis is not None:
                key = Keys(KEY_PREFIX).room(code)
                stamp_calls[target.redis.node_of(redis, key)] += 1
                started, rnd = await redis.hmget(key, "go_started", "round")
                return int(started) / 1000 if started and rnd and int(rnd) == round_no else None
            assert net.session is not None
            async with net.session.get(f"/_stamp/{code}") as resp:
                data = await resp.json(content_type=None)
            return float(data["go_started"]) if data and data.get("round") == round_no else None

        scenario = SCENARIOS[scenario_name](sizes, timings)
        async with Net(url, tally, go_stamp) as net:
            t0, client_setup0 = time.monotonic(), procs.self_cpu_s()
            setup_error = ""
            try:
                await scenario.setup(net)
            except (RuntimeError, TimeoutError, aiohttp.ClientError) as err:
                setup_error = f"setup failed: {type(err).__name__}: {err}"
            setup_s = time.monotonic() - t0
            settled = not setup_error and await quiet(scenario.clients, sizes.quiet_s, 120)
            pids = server.pids() if isinstance(server, procs.Server) else []
            connected = procs.read_usage(pids)
            client_setup_cpu = procs.self_cpu_s() - client_setup0
            gc.collect()
            gc.freeze()  # the tabs live all window: a full collection of them would be a pause measured as latency
            stats0 = await commandstats(redis)
            events0, wire0, text0 = tally.events, tally.wire_bytes, tally.text_bytes
            redis0 = procs.read_usage(redis_pids).cpu_s
            client0 = procs.self_cpu_s()
            tally.recording = True
            t1 = time.monotonic()
            with procs.Sampler(pids) as sampler:
                if not setup_error:
                    await scenario.play()
            window_s = time.monotonic() - t1
            tally.recording = False
            after = procs.read_usage(pids)
            stats1 = await commandstats(redis)
            client_cpu = procs.self_cpu_s() - client0
            redis_cpu = procs.read_usage(redis_pids).cpu_s - redis0
            events, wire, text = tally.events - events0, tally.wire_bytes - wire0, tally.text_bytes - text0
            await quiet(scenario.clients, sizes.quiet_s, 30)  # late views still resolve pending changes
            gc.unfreeze()
            reached = scenario.reached_final()
            go = collect_go(scenario, tally)
            for c in scenario.clients:
                c.expire_pending()
    if redis is not None:
        await redis.aclose()

    by_node = game_calls(stats0, stats1, stamp_calls)
    delta: Counter[str] = Counter()
    for calls in by_node.values():
        delta.update(calls)
    redis_total = sum(delta.values())
    game_commands = sum(tally.commands.values())
    fanout, fanout_sent = tally.fanout("accepted"), tally.fanout("sent")
    fanout_all = [s for v in fanout.values() for s in v]
    rtt_all = [s for v in tally.rtt.values() for s in v]
    pooled = samples.setdefault((scenario_name, target.name), {"fanout": [], "go": []})  # every run's, for the plot
    pooled["fanout"].extend(fanout_all)
    pooled["go"].extend(go)
    cpu_s = after.cpu_s - connected.cpu_s if pids else None
    clients = len(scenario.clients)
    result: dict[str, Any] = {
        "scenario": scenario_name,
        "target": target.name,
        "size": size_label(scenario_name, sizes),
        "clients": clients,
        "reached_final": reached,
        "clients_final": f"{clients} ({reached})",
        "setup_error": setup_error,
        "setup_s": round(setup_s, 1),
        # Whether the setup waited on the server or the client: each one's CPU seconds while it ran.
        "setup_server_cpu_s": round(connected.cpu_s - base.cpu_s, 1) if pids else None,
        "setup_client_cpu_s": round(client_setup_cpu, 1),
        "settled_before_window": settled,  # no view for quiet_s before measuring (idle: the lobby calmed down)
        "window_s": round(window_s, 1),
        "fanout": report.summary(fanout_all),
        "fanout_by_command": {k: report.summary(v) for k, v in fanout.items()},
        "fanout_from_send": report.summary([s for v in fanout_sent.values() for s in v]),
        "go": report.summary(go),
        "rtt": report.summary(rtt_all),
        "rtt_by_command": {k: report.summary(v) for k, v in tally.rtt.items()},
        "commands": dict(tally.commands),
        "events": events,
        "delivery_rate": round(events / window_s, 1) if window_s else None,
        "bytes_per_update": round(wire / events) if events else None,
        "text_bytes_per_update": round(text / events) if events else None,
        "server_cpu_s": round(cpu_s, 2) if cpu_s is not None else None,
        "server_cpu_share": round(cpu_s / window_s, 2) if cpu_s is not None and window_s else None,
        "cpu_ms_per_event": round(cpu_s * 1000 / events, 3) if cpu_s is not None and events else None,
        "server_rss_before_mb": round(base.rss_bytes / 2**20, 1) if pids else None,
        "server_peak_rss_mb": round(sampler.peak / 2**20, 1) if pids else None,
        "rss_per_conn_kb": round((connected.rss_bytes - base.rss_bytes) / 1024 / clients, 1)
        if pids and clients and not setup_error else None,
        "redis_cpu_s": round(redis_cpu, 2) if redis_pids else None,
        "redis_commands": redis_total if redis else None,
        "redis_per_command": round(redis_total / game_commands, 1) if redis and game_commands else None,
        "redis_per_s": round(redis_total / window_s, 1) if redis and window_s else None,
        "redis_top": dict(delta.most_common(12)),
        # A cluster's primaries one by one: how evenly the game's load spreads over them.
        "redis_per_primary_per_s": {node: round(sum(calls.values()) / window_s, 1)
                                    for node, calls in by_node.items()} if target.redis.cluster and window_s else None,
        "client_cpu_s": round(client_cpu, 2),
        "errors": dict(tally.errors),
        "errors_total": sum(tally.errors.values()),
        "gaps": tally.gaps,
        "disconnects": tally.disconnects,
        "attack_answers": tally.attack_answers,
    }
    print(f"  {scenario_name}/{target.name}: {clients} tabs, {reached} reached the final state, "
          f"fan-out p99 {result['fanout']['p99']} ms, GO p99 {result['go']['p99']} ms, "
          f"errors {result['errors_total']}, setup {setup_s:.1f}s, window {window_s:.1f}s "
          f"{setup_error}", flush=True)
    return result


def collect_go(scenario: Any, tally: Tally) -> list[float]:
    """Server-stamped GO latencies; a tab of the room that never showed that GO is a gap."""
    latencies: list[float] = []
    for room in getattr(scenario, "rooms", []):
        for key, stamp in room.go_stamps.items():
            if stamp is None:
                continue
            arrivals = room.go_arrivals.get(key, [])
            latencies.extend(arrival - stamp for _, arrival in arrivals)
            seen = {c for c, _ in arrivals}
            tally.gaps += sum(1 for c in room.members if c not in seen)
    return latencies


async def quiet(clients: list[Any], quiet_s: float, limit_s: float) -> bool:
    """Wait (bounded) until no tab has received a view for `quiet_s`; False if it never got quiet."""
    deadline = time.monotonic() + limit_s
    while True:
        latest = max((c.last_event for c in clients), default=0.0)
        idle_for = time.time() - latest
        if idle_for >= quiet_s:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(quiet_s - idle_for + 0.01)


async def run_all(args: argparse.Namespace) -> int:
    sizes = sizes_from(args)
    pace = FAST if (args.timings or ("fast" if args.smoke else "real")) == "fast" else REAL
    timings = Timings(int(pace["READY_MAX_MS"]) / 1000, int(pace["ROUND_TIMEOUT_MS"]) / 1000,
                      int(pace["RESULTS_PAUSE_MS"]) / 1000)
    scenarios = list(SCENARIOS) if not args.scenarios or "all" in args.scenarios else list(dict.fromkeys(args.scenarios))
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if unknown := set(targets) - set(report.TARGETS):
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
    fd_limit = procs.raise_fd_limit()
    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every figure
    results: list[dict[str, Any]] = []
    samples: dict[tuple[str, str], dict[str, list[float]]] = {}
    with contextlib.ExitStack() as stack:
        if args.redis_cluster:
            cluster = stack.enter_context(redis_cluster(node_timeout_ms=CLUSTER_NODE_TIMEOUT_MS))
            pids = [proc.pid for proc in cluster.procs.values()]  # replicas work too: their CPU counts
            redis = RedisUnderTest(cluster.urls[0], pids, cluster=True)
            print("Redis Cluster: primaries " + ", ".join(cluster.primaries()) + "; the peer and the ceiling "
                  "have no cluster mode: the game only", flush=True)
        elif args.redis_url:
            redis = RedisUnderTest(args.redis_url, [])
        else:
            server = stack.enter_context(procs.redis_server())
            redis = RedisUnderTest(server.url, [server.proc.pid])
        env = {**pace, **BEHIND_PROXY, "REDIS_URL": redis.url, "SECRET_KEY": "bench-secret-key", "KEY_PREFIX": KEY_PREFIX}
        if redis.cluster:
            env["REDIS_CLUSTER"] = "1"  # REDIS_URL names one node; the game finds the others
        for scenario in scenarios:
            print(f"{scenario}: {size_label(scenario, sizes)}", flush=True)
            payload = 3000
            # Interleaved, so a drift of the machine (another load, the heat) spreads over every target.
            for run in range(1, args.repeat + 1):
                for name in targets:
                    if scenario == "hostile" and name != "game":
                        continue  # the attack is on the game's own limits; the baselines have none
                    if args.repeat > 1:
                        print(f"  run {run} of {args.repeat}: {name}", flush=True)
                    result = await run_one(scenario, Target(name, args, redis, env), sizes, timings, payload,
                                           samples)
                    results.append({**result, "run": run})
                    report.write(results, meta_of(args, pace, fd_limit, load_before), args.out, samples)  # so far
                    if name == "game" and result["text_bytes_per_update"]:
                        payload = int(result["text_bytes_per_update"])  # the ceiling sends as much
    text = report.write(results, meta_of(args, pace, fd_limit, load_before), args.out, samples)
    print("\n" + text)
    print(f"report: {args.out / 'report.json'}, {args.out / 'report.txt'}, {args.out / 'latency.png'}")
    failed = [r for r in results if r["reached_final"] != r["clients"] or r["setup_error"]]
    return 1 if failed else 0


def meta_of(args: argparse.Namespace, pace: dict[str, str], fd_limit: int, load_before: list[float]) -> dict[str, Any]:
    return {
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "code": _git_version(),
        "workers": args.workers,
        "redis": "a local Redis Cluster: 3 primaries, 3 replicas (the game only: the peer and the ceiling have "
                 "no cluster mode)" if args.redis_cluster else "one redis-server",
        "timings": pace,
        "fd_limit": fd_limit,
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "notes": [
            "fan-out: the command's acceptance (its script's Redis TIME, sent back as Server-Timing on the 204) "
            "-> the first event on each tab that shows the change; 'from command send' starts at the client's "
            "clock just before the POST instead (it adds the command's way in)",
            "GO: Redis TIME at the GO transition (room go_started) -> the tab has the GO event (server-stamped)",
            "bytes per update: HTTP body bytes received per view event, before decompression (incl. heartbeats)",
            "redis commands exclude the bench's own INFO/HMGET/FLUSHALL",
        ],
    }


def _git_version() -> str:
    """Which code was measured: the commit, and whether the work tree had changes."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=procs.ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    gc.set_threshold(20_000, 20, 20)  # as the game's (app.tune_gc): young collections less often
    return asyncio.run(run_all(args))

