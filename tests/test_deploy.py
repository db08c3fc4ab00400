"""The docker compose topology, tested without containers.

No Docker engine runs here, so the same files are checked as they are, then
run for real: the compose file is parsed and its services checked, Debian's
nginx accepts the shipped proxy config, and a match is played through that
config in front of two app processes sharing one redis-server, one of which
is killed mid-match.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from bench.redis_cluster import LocalCluster, free_node_port
from game.config import MIN_SECRET_BYTES, Settings, instance_secret
from tests.conftest import FAST_GAME, free_port
from tests.support import (
    DATASTAR, Player, Server, room_code_of, start_redis, start_server, start_servers, view_text,
)

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
UPSTREAM_SERVER = re.compile(r"^(\s*)server app:8000 resolve;$", re.M)
LISTEN = re.compile(r"^(\s*)listen 8000;$", re.M)


# --- docker-compose.yml ---------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the other spelling: ["KEY=value", ...]
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def healthy_dependency(service: dict, name: str) -> bool:
    return service["depends_on"][name]["condition"] == "service_healthy"


def healthcheck(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_compose_redis_is_redis_7_keeping_its_data_on_a_named_volume():
    document = compose()
    redis = document["services"]["redis"]
    image, _, tag = redis["image"].partition(":")
    assert image == "redis" and tag.split("-")[0].split(".")[0] == "7"
    command = redis["command"] if isinstance(redis["command"], str) else " ".join(redis["command"])
    assert "--appendonly yes" in command
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data" and volume in document["volumes"]  # named, not a host path
    assert "redis-cli ping" in healthcheck(redis)


def test_compose_app_replicas_share_redis_and_can_be_scaled():
    services = compose()["services"]
    app = services["app"]
    build = app["build"] if isinstance(app["build"], dict) else {"context": app["build"]}
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
    env = environment(app)
    assert urlsplit(env["REDIS_URL"]).hostname == "redis" and "redis" in services
    assert healthy_dependency(app, "redis")
    # `--scale app=3` needs replicas without a fixed name or a host port of their own.
    assert "container_name" not in app and "ports" not in app
    assert env["TRUST_PROXY"] == "1"
    assert "/readyz" in healthcheck(app)


def test_compose_never_runs_with_a_known_secret():
    document = compose()
    app = document["services"]["app"]
    # Yours from .env, or none: never a default that anyone reading this file knows.
    assert environment(app).get("SECRET_KEY", "") in ("", "${SECRET_KEY}", "${SECRET_KEY:-}")
    # With none, the app generates one into the image's instance folder: a named
    # volume there is shared by every replica and kept across restarts.
    workdir = re.findall(r"^WORKDIR (\S+)$", (ROOT / "Dockerfile").read_text(), re.M)[-1]
    sources = {target: source for source, target, *_ in (volume.split(":") for volume in app["volumes"])}
    assert sources[f"{workdir}/instance"] in document["volumes"]


def test_the_image_tells_the_app_where_hypercorn_binds():
    # The app refuses a short SECRET_KEY beyond loopback; it learns the bind from BIND.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^\s+BIND=0\.0\.0\.0:8000 \\$", dockerfile, re.M)
    assert re.search(r'^CMD exec hypercorn --bind "\$\{BIND\}" ', dockerfile, re.M)
    assert 'export BIND="${BIND:-127.0.0.1:8000}"' in (ROOT / "scripts" / "run.sh").read_text()
    assert '--bind "$BIND"' in (ROOT / "scripts" / "run.sh").read_text()


def test_callers_racing_for_the_generated_secret_all_get_the_one_kept(tmp_path):
    for attempt in range(30):
        folder = tmp_path / str(attempt)  # a new, empty volume each time
        start = threading.Barrier(6)

        def first_start(_: int) -> str:
            start.wait()
            return instance_secret(folder)

        with ThreadPoolExecutor(6) as pool:
            keys = set(pool.map(first_start, range(6)))
        assert len(keys) == 1 and len(keys.pop().encode()) >= MIN_SECRET_BYTES
        assert [path.name for path in folder.iterdir()] == ["secret_key"]


async def test_replicas_started_at_once_on_an_empty_volume_share_one_secret(redis_url, redis, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()  # compose's new, empty app-instance volume
    # As in compose: no SECRET_KEY, and bound beyond loopback (so the key must be long).
    env = {**FAST_GAME, "REDIS_URL": redis_url, "BIND": "0.0.0.0:8000", "SECRET_KEY": ""}
    env["INSTANCE_DIR"] = str(instance)
    with start_servers([(env, f"127.0.0.1:{free_port()}"), (env, f"127.0.0.1:{free_port()}")]) as (one, two):
        assert [path.name for path in instance.iterdir()] == ["secret_key"]
        async with httpx.AsyncClient(base_url=one.url, timeout=10) as first:
            await first.get("/")
            assert (await first.post("/name", json={"name": "Ann"}, headers=DATASTAR)).status_code == 204
            # The cookie one replica signed is good on the other: Ann is Ann there too.
            async with httpx.AsyncClient(base_url=two.url, timeout=10, cookies=first.cookies) as second:
                assert "Hi, Ann" in view_text((await second.get("/")).text)


def test_compose_proxy_serves_the_game_on_port_8000_with_the_shipped_config():
    proxy = compose()["services"]["proxy"]
    image, _, tag = proxy["image"].partition(":")
    # The config's `resolve` on an upstream server needs open-source nginx >= 1.27.3.
    assert image == "nginx" and tuple(int(n) for n in tag.split("-")[0].split(".")) >= (1, 28)
    assert "8000:8000" in proxy["ports"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert healthy_dependency(proxy, "app")
    assert "http://127.0.0.1:8000/" in healthcheck(proxy)


def test_the_image_builds_the_bundle_runs_unprivileged_and_checks_its_health():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM node:20\S* AS \w+$", dockerfile, re.M) and "npm run build" in dockerfile
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "RUN python scripts/fetch_datastar.py" in dockerfile
    assert re.search(r"^USER (?!root)\w+$", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    assert re.search(r'--workers "\$\{WORKERS\}"', dockerfile) and "ENV" in dockerfile and "WORKERS=1" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"instance", ".venv", "node_modules", "static/vendor", "static/build"} <= set(ignored)


def test_the_image_ships_the_tutorial_with_chapter_6s_own_buzzer():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY tutorial \./tutorial$", dockerfile, re.M)  # every chapter's folder
    assert "RUN npm run build:tutorial" in dockerfile  # chapter 6's buzzer, bundled with Lit
    assert re.search(r"^COPY --from=\w+ /build/tutorial/06_buzzer/static/build \./tutorial/06_buzzer/static/build$",
                     dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "tutorial" not in ignored and "tutorial/*/static/build" in ignored  # built in the image, not copied


# --- deploy/nginx.conf ----------------------------------------------------------------------------

def nginx_binary() -> str:
    found = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
    assert found, "nginx is not installed (scripts/setup.sh --dev installs it)"
    return found


def render_nginx(workdir: Path, upstream_ports: list[int], listen_port: int) -> Path:
    """The shipped config, run by this user: only the app addresses and the port differ.

    The main config is what a Docker image's nginx.conf provides (here with
    gzip on for event streams too, as many hosts have it); every `location`
    rule comes from the shipped file unchanged.
    """
    shipped = NGINX_CONF.read_text()
    servers = "\n".join(f"server 127.0.0.1:{port};" for port in upstream_ports)
    site, found = UPSTREAM_SERVER.subn(lambda m: m.group(1) + servers.replace("\n", "\n" + m.group(1)), shipped)
    site, listens = LISTEN.subn(rf"\g<1>listen 127.0.0.1:{listen_port};", site)
    assert (found, listens) == (1, 1), "the shipped config no longer has the lines this test points elsewhere"
    (workdir / "site.conf").write_text(site)
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = " ".join(f"{kind}_temp_path {workdir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = workdir / "nginx.conf"
    main.write_text(f"""{user}
pid {workdir}/nginx.pid;
error_log stderr notice;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp}
    gzip on;
    gzip_types text/plain text/event-stream application/javascript;
    include {workdir}/site.conf;
}}
""")
    return main


def nginx_command(main: Path) -> list[str]:
    return [nginx_binary(), "-p", str(main.parent), "-e", "stderr", "-c", str(main)]


def test_nginx_accepts_the_shipped_config(tmp_path):
    result = subprocess.run(
        nginx_command(render_nginx(tmp_path, [free_port(), free_port()], free_port())) + ["-t"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr


def test_the_stream_location_never_buffers_and_outlives_the_heartbeat():
    stream = re.search(r"location = /stream \{(.*?)\n    \}", NGINX_CONF.read_text(), re.S)
    assert stream, "no `location = /stream` block"
    rules = dict(re.findall(r"^\s*(\w+) ([^;]+);", stream.group(1), re.M))
    assert rules["proxy_buffering"] == "off" and rules["gzip"] == "off"
    timeout = rules["proxy_read_timeout"]
    seconds = int(timeout[:-1]) * {"s": 1, "m": 60, "h": 3600}[timeout[-1]]
    assert seconds >= 4 * Settings(redis_url=None, secret_key="").heartbeat_s


@contextlib.contextmanager
def nginx_in_front_of(workdir: Path, upstream_ports: list[int]) -> Iterator[str]:
    """nginx with the shipped config on a free port; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        nginx_command(render_nginx(workdir, upstream_ports, port)) + ["-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    log: list[str] = []
    started = threading.Event()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            log.append(line)
            if "start worker process" in line:  # the port is already listening by then
                started.set()
        started.set()

    threading.Thread(target=drain, daemon=True).start()
    if not started.wait(15) or proc.poll() is not None:
        proc.kill()
        raise RuntimeError("nginx did not start:\n" + "".join(log))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


# --- the topology: redis-server, two app processes, nginx ------------------------------------------

@dataclass
class Topology:
    url: str
    apps: dict[str, Server]  # by the name each answers with in X-Served-By


@contextlib.contextmanager
def two_apps_behind_nginx(env: dict[str, str], workdir: Path) -> Iterator[Topology]:
    """Two app processes with this environment, and the shipped nginx config in front of them."""
    # A long round timeout: the match must not move on while a stream reconnects.
    env = {**FAST_GAME, **env, "TRUST_PROXY": "1", "ROUND_TIMEOUT_MS": "6000"}
    ports = [free_port(), free_port()]
    with (
        start_server({**env, "SERVED_BY": "app-1"}, ports[0]) as one,
        start_server({**env, "SERVED_BY": "app-2"}, ports[1]) as two,
        nginx_in_front_of(workdir, ports) as url,
    ):
        yield Topology(url, {"app-1": one, "app-2": two})


@pytest.fixture
def topology(redis_url: str, tmp_path: Path) -> Iterator[Topology]:
    with two_apps_behind_nginx({"REDIS_URL": redis_url}, tmp_path) as running:
        yield running


class Tab(Player):
    """A browser tab behind the proxy: same-origin POSTs, and one stream that
    reopens whenever it ends or breaks, as the page's `retry: 'always'` does."""

    def __init__(self, url: str) -> None:
        client = httpx.AsyncClient(
            base_url=url, timeout=10,
            headers={"Origin": url, "Sec-Fetch-Site": "same-origin"},
            event_hooks={"response": [self._stream_opened]},
        )
        super().__init__(url, client)
        self.served_by: list[str] = []  # the app process behind each stream this tab opened
        self.encodings: set[str] = set()

    async def start_stream(self, path: str = "/stream", retry: bool = True) -> None:
        await super().start_stream(path, retry)

    async def _stream_opened(self, response: httpx.Response) -> None:
        if response.request.url.path == "/stream" and response.status_code == 200:
            async with self._changed:
                self.served_by.append(response.headers["X-Served-By"])
                self.encodings.add(response.headers.get("Content-Encoding", "identity"))
                self.html = ""  # what this tab shows from now on, the new stream must send
                self._changed.notify_all()

    async def stream_number(self, n: int, timeout: float = 5) -> str:
        """Wait until this tab has opened its n-th stream; the process serving it."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.served_by) >= n)
        return self.served_by[n - 1]


async def tabs(topology: Topology, registry: list[Player], *names: str) -> list[Tab]:
    made = [Tab(topology.url) for _ in names]
    registry.extend(made)
    for tab, name in zip(made, names):
        await tab.join_game(name)
    return made


async def on_different_processes(ann: Tab, bob: Tab) -> None:
    """Reopen Bob's stream until the proxy's round robin puts it on the other process."""
    for _ in range(4):
        if bob.served_by[-1] != ann.served_by[-1]:
            break
        await bob.stop_stream()
        await bob.start_stream()
    assert bob.served_by[-1] != ann.served_by[-1], "the proxy never spread the streams"


async def seen_within_a_second(command: Awaitable[httpx.Response], viewer: Tab, check: Callable[[str], bool]) -> None:
    """A command's effect reaches the other player's stream, through the proxy, within a second."""
    sent = time.monotonic()
    response = await command
    assert response.status_code == 204, response.text
    await viewer.wait_for(check, timeout=max(0.0, sent + 1.0 - time.monotonic()))


async def go(redis, code: str, ann: Tab, bob: Tab) -> str:
    """Both buzzers show GO; the round id."""
    for tab in (ann, bob):
        await tab.wait_for(lambda t, tab=tab: tab.attr("buzzer", "phase") == "go")
    return ann.attr("buzzer", "round-id") or ""


def press(tab: Tab, code: str, round_id: str, ms: int) -> Awaitable[httpx.Response]:
    return tab.post(f"/rooms/{code}/buzz", {"round_id": round_id, "ms": ms, "early": False})


async def final_scores(*tabs_: Tab) -> None:
    for tab in tabs_:
        text = await tab.wait_for(lambda t: "Final scores" in t and "False starts 1." in t)
        assert re.search(r"1\. Ann 6 pts 2\. Bob 4 pts", text)  # every round counted


async def room_of_two(ann: Tab, bob: Tab, rounds: int) -> str:
    await seen_within_a_second(ann.post("/rooms", {"public": True}), bob, lambda t: "1/8 players" in t)
    await ann.wait_for(lambda t: "Room" in t)
    code = room_code_of(ann)
    assert code in bob.text
    await seen_within_a_second(
        bob.post(f"/rooms/{code}/join", {"role": "player"}), ann, lambda t: "Bob" in t and "2/8 players" in t
    )
    await seen_within_a_second(ann.post(f"/rooms/{code}/settings", {"rounds": rounds}), bob, lambda t: f"{rounds} rounds." in t)
    return code


async def test_players_on_two_processes_see_every_move_through_the_proxy_within_a_second(topology, players, redis):
    await a_match_on_two_processes(topology, players)


async def a_match_on_two_processes(topology: Topology, players: list[Player]) -> None:
    """Two players, their streams on different processes, play two rounds; every move
    reaches the other within a second through the proxy."""
    ann, bob = await tabs(topology, players, "Ann", "Bob")
    await on_different_processes(ann, bob)
    code = await room_of_two(ann, bob, rounds=2)
    await seen_within_a_second(ann.post(f"/rooms/{code}/start"), bob, lambda t: "Round 1 of 2 · get ready" in t)

    round_id = await go(None, code, ann, bob)
    await seen_within_a_second(press(ann, code, round_id, 180), bob, lambda t: "Ann host 0 pressed" in t)
    await seen_within_a_second(press(bob, code, round_id, 240), ann, lambda t: "Round 1 of 2: Ann wins" in t)
    round_id = await go(None, code, ann, bob)
    # Bob presses first but slower: the validated time ranks, not the arrival.
    await seen_within_a_second(press(bob, code, round_id, 260), ann, lambda t: "Bob 2 pressed" in t)
    await seen_within_a_second(press(ann, code, round_id, 170), bob, lambda t: "Round 2 of 2: Ann wins" in t)
    await final_scores(ann, bob)
    assert ann.served_by[-1] != bob.served_by[-1] and len(ann.served_by) == 1
    # The app's own gzip, flushed per event, passes through; nginx adds no buffer of its own.
    assert ann.encodings == bob.encodings == {"gzip"}


def kill_hard(server: Server) -> None:
    """SIGKILL the Hypercorn master and its worker: no shutdown, no goodbyes."""
    workers = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    for pid in [*map(int, workers), server.proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.proc.wait(10)


async def test_a_killed_process_costs_its_players_nothing_but_a_reconnect(topology, players, redis):
    ann, bob = await tabs(topology, players, "Ann", "Bob")
    await on_different_processes(ann, bob)
    code = await room_of_two(ann, bob, rounds=2)
    assert (await ann.post(f"/rooms/{code}/start")).status_code == 204
    round_id = await go(redis, code, ann, bob)
    assert (await press(ann, code, round_id, 180)).status_code == 204
    assert (await press(bob, code, round_id, 240)).status_code == 204
    for tab in (ann, bob):
        await tab.wait_for(lambda t: "Round 2 of 2 · get ready" in t)

    doomed = bob.served_by[-1]
    streams_so_far = len(bob.served_by)
    kill_hard(topology.apps[doomed])
    # Bob's stream breaks; reopened through the proxy it lands on the process still alive.
    assert await bob.stream_number(streams_so_far + 1) != doomed
    text = await bob.wait_for(lambda t: "Round 2 of 2" in t and "Bob you 2" in t)
    assert code in text and "Ann host 3" in text  # the same room, seat and scores

    round_id = await go(redis, code, ann, bob)
    # Bob's commands too go through the proxy, which no longer finds his old process.
    assert (await press(bob, code, round_id, 260)).status_code == 204
    assert (await press(ann, code, round_id, 170)).status_code == 204
    await final_scores(ann, bob)
    assert len(ann.served_by) == 1  # Ann's stream, on the other process, never noticed


async def test_the_tutorial_opens_through_the_proxy(topology, players, redis):
    async with httpx.AsyncClient(base_url=topology.url, timeout=10) as client:
        page = await client.get("/tutorial/1")
        assert page.status_code == 200 and "<h1>1. Hypermedia</h1>" in page.text
        assert '<script type="module" src="/tutorial/1/datastar.js">' in page.text  # the chapter app's own route
        assert "'nonce-" in page.headers["content-security-policy"]
        answer = await client.get("/tutorial/1/hello", headers={"Datastar-Request": "true"})
        assert 'data: elements <p id="hello">Hello from the server!' in answer.text
    # A chapter's long-lived stream through the proxy: a move made through it reaches the stream at once.
    tab = Tab(topology.url)
    players.append(tab)
    await tab.open("/tutorial/7")
    await tab.start_stream("/tutorial/7/moves")
    await tab.wait_for(lambda t: "No moves yet." in t)
    await seen_within_a_second(tab.post("/tutorial/7/move"), tab, lambda t: "Move 1:" in t)


def share_link(page: httpx.Response) -> str:
    found = re.search(r'id="share-link" readonly value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def test_forwarded_headers_are_believed_only_from_the_proxy(topology, server, players, redis):
    (ann,) = await tabs(topology, players, "Ann")
    assert (await ann.post("/rooms", {"public": False})).status_code == 204  # same-origin through the proxy
    await ann.wait_for(lambda t: "Room" in t)
    code = room_code_of(ann)
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    # Through nginx, whatever the client claims is replaced by what nginx saw.
    assert share_link(await ann.client.get("/", headers=forged)) == f"{topology.url}/r/{code}"
    cookie = {"Cookie": f"reflex_session={ann.client.cookies['reflex_session']}"}
    async with httpx.AsyncClient(timeout=10) as direct:
        # An app run with TRUST_PROXY=1 takes one hop's word (in compose, only nginx can reach it) ...
        behind_proxy = await direct.get(f"{topology.apps['app-1'].url}/", headers={**forged, **cookie})
        assert share_link(behind_proxy) == f"https://evil.example/r/{code}"
        # ... and one run without it (scripts/run.sh, the default) ignores the headers.
        alone = await direct.get(f"{server.url}/", headers={**forged, **cookie})
        assert share_link(alone) == f"{server.url}/r/{code}"


# --- /healthz and /readyz -------------------------------------------------------------------------

async def test_healthz_says_alive_and_readyz_says_whether_redis_answers(tmp_path):
    port = free_port()
    redis_proc = start_redis(port, tmp_path)  # its own: this test stops it
    try:
        with start_server({**FAST_GAME, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}, free_port()) as app:
            async with httpx.AsyncClient(base_url=app.url, timeout=10) as client:
                for path in ("/healthz", "/readyz"):
                    response = await client.get(path)
                    assert (response.status_code, response.text) == (200, "ok")
                redis_proc.kill()
                redis_proc.wait(10)
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and "Redis is not reachable" in ready.text, ready.text
                assert (await client.get("/healthz")).status_code == 200  # alive all the same
    finally:
        redis_proc.kill()
        redis_proc.wait(10)


# --- profile `cluster`: the same game on a six-node Redis Cluster ---------------------------------

def cluster_services() -> dict[str, dict]:
    return {name: service for name, service in compose()["services"].items()
            if "cluster" in service.get("profiles", [])}


def argv(service: dict) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else list(command)


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def cluster_nodes() -> dict[str, list[str]]:
    """The services that run a cluster node: their redis-server arguments, by service name."""
    return {name: argv(service) for name, service in cluster_services().items()
            if service.get("command") and "--cluster-enabled" in argv(service)}


def init_script() -> str:
    """The shell script of the one-shot service that creates the cluster."""
    command = argv(cluster_services()["redis-cluster-init"])
    assert command[:2] == ["sh", "-ec"], command
    return command[2].replace("$$", "$")  # compose's escape of a `$` meant for the shell


def test_compose_cluster_profile_has_six_nodes_each_keeping_its_data_and_announcing_its_name():
    document = compose()
    nodes = cluster_nodes()
    assert len(nodes) == 6
    for name, args in nodes.items():
        service = document["services"][name]
        image, _, tag = service["image"].partition(":")
        assert image == "redis" and tag.split("-")[0].split(".")[0] == "7"
        assert args[0] == "redis-server" and option(args, "--cluster-enabled") == "yes"
        assert option(args, "--port") == "6379" and option(args, "--appendonly") == "yes"
        # Clients are sent to a node by its service name, which Docker's DNS resolves to its current address.
        assert option(args, "--cluster-announce-hostname") == name
        assert option(args, "--cluster-preferred-endpoint-type") == "hostname"
        # nodes.conf (who the cluster is) and the data live on a named volume of the node's own.
        volume, _, target = service["volumes"][0].partition(":")
        assert target == "/data" and volume in document["volumes"]
        assert option(args, "--cluster-config-file").startswith("/data/")
        assert "redis-cli ping" in healthcheck(service)
    assert len({service["volumes"][0] for service in map(document["services"].get, nodes)}) == 6


def test_compose_cluster_is_created_once_all_nodes_answer_and_never_twice():
    init = cluster_services()["redis-cluster-init"]
    assert all(healthy_dependency(init, node) for node in cluster_nodes())
    assert init.get("restart", "no") == "no"  # a one-shot: done when it exits 0
    script = init_script()
    create = re.search(r"redis-cli --cluster create ((?:\S+:6379 )+)--cluster-replicas 1 --cluster-yes", script)
    assert create and sorted(a.removesuffix(":6379") for a in create.group(1).split()) == sorted(cluster_nodes())
    # Idempotent: it asks the cluster first, and creates only where no slot was ever assigned.
    check = script.index("cluster info")
    assert check < create.start() and "cluster_slots_assigned:0" in script[check:create.start()]


def test_compose_cluster_app_is_the_same_app_pointed_at_the_cluster_behind_the_same_proxy():
    services = compose()["services"]
    app, cluster_app = services["app"], services["app-cluster"]
    assert cluster_app["build"] == app["build"] and cluster_app["healthcheck"] == app["healthcheck"]
    env = environment(cluster_app)
    assert env["REDIS_CLUSTER"] == "1" and urlsplit(env["REDIS_URL"]).hostname in cluster_nodes()
    # Everything else as the app of the default profile (the secret, the proxy's trust, the workers).
    assert {k: v for k, v in env.items() if k not in ("REDIS_URL", "REDIS_CLUSTER")} == {
        k: v for k, v in environment(app).items() if k != "REDIS_URL"}
    assert cluster_app["depends_on"]["redis-cluster-init"]["condition"] == "service_completed_successfully"
    assert "container_name" not in cluster_app and "ports" not in cluster_app  # scalable too
    # On the cluster's own network its app is also `app`: the shipped nginx config finds it there.
    assert "app" in cluster_app["networks"]["cluster"]["aliases"]
    proxy, cluster_proxy = services["proxy"], services["proxy-cluster"]
    assert cluster_proxy["volumes"] == proxy["volumes"] and cluster_proxy["networks"] == ["cluster"]
    assert healthy_dependency(cluster_proxy, "app-cluster")
    assert not set(cluster_proxy["ports"]) & set(proxy["ports"])  # both profiles can run at once


def node_command(args: list[str], port: int, workdir: Path) -> list[str]:
    """A compose node's redis-server arguments, run by this user on a free loopback port:
    its port, its files and the name it announces (Docker's DNS answers the service name
    with the container's address; here that address is 127.0.0.1)."""
    local = {"--port": str(port), "--cluster-announce-hostname": "127.0.0.1",
             "--cluster-config-file": str(workdir / Path(option(args, "--cluster-config-file")).name)}
    rewritten = [local.get(previous, arg) for previous, arg in zip(["", *args], args)]  # each option's value
    return [*rewritten, "--dir", str(workdir), "--bind", "127.0.0.1"]


def run_init(addresses: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The init service's script, each `node:6379` replaced by that node's local address."""
    script = init_script()
    for name, address in addresses.items():
        script = script.replace(f"{name}:6379", address)
    return subprocess.run(["sh", "-ec", script], capture_output=True, text=True, timeout=90)


@pytest.fixture
def compose_cluster(tmp_path: Path) -> Iterator[tuple[LocalCluster, dict[str, str]]]:
    """Six redis-server processes run with the compose nodes' arguments; the local
    cluster (not yet created) and each service's local address."""
    cluster = LocalCluster(tmp_path / "nodes")
    addresses: dict[str, str] = {}
    try:
        for name, args in cluster_nodes().items():
            port = free_node_port(set(cluster.procs))
            workdir = cluster.workdir / name
            workdir.mkdir(parents=True)
            cluster.start_node(port, node_command(args, port, workdir))  # answering, as compose's healthcheck waits
            addresses[name] = f"127.0.0.1:{port}"
        yield cluster, addresses
    finally:
        cluster.stop()


async def test_the_cluster_profile_creates_its_cluster_once_and_serves_a_match_through_the_proxy(
    compose_cluster, tmp_path
):
    cluster, addresses = compose_cluster
    created = run_init(addresses)
    assert created.returncode == 0, created.stdout + created.stderr
    await asyncio.to_thread(cluster.wait_ok, 30, 6)
    assert len(cluster.primaries()) == 3 and len(cluster.replicas()) == 3
    slots_before = {(n.id, n.slots) for n in cluster.nodes()}
    # The stack restarted: the init service runs again on the cluster it made, and changes nothing.
    again = run_init(addresses)
    assert again.returncode == 0 and "exists already" in again.stdout, again.stdout + again.stderr
    assert {(n.id, n.slots) for n in cluster.nodes()} == slots_before

    app = environment(compose()["services"]["app-cluster"])
    node = urlsplit(app["REDIS_URL"]).hostname
    env = {"REDIS_CLUSTER": app["REDIS_CLUSTER"], "REDIS_URL": f"redis://{addresses[node]}"}
    players: list[Player] = []
    try:
        with two_apps_behind_nginx(env, tmp_path) as running:
            await a_match_on_two_processes(running, players)
    finally:
        for player in players:
            await player.close()
