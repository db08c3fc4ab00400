"""The load benchmark's harness works: a tiny size of every scenario, on the
game and on every baseline, in one invocation of `python -m bench --smoke`.

It checks that every simulated tab reached the scenario's final state and
that the report, the table and the plot were written; never timings (this
machine also runs the rest of the suite).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {"arena", "burst", "idle"}
TARGETS = {"game", "peer", "ceiling", "hypercorn"}

pytest.importorskip("aiohttp", reason="bench packages missing: scripts/setup.sh --dev installs them")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("bench")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    return run, out


def test_every_scenario_ran_on_every_target(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    run, out = smoke
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((out / "report.json").read_text())["results"]
    expected = {(s, t) for s in SCENARIOS for t in TARGETS} | {("hostile", "game")}
    assert {(r["scenario"], r["target"]) for r in results} == expected


def test_every_client_reached_the_final_state(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    run, out = smoke
    for r in json.loads((out / "report.json").read_text())["results"]:
        where = f"{r['scenario']} on {r['target']}"
        assert not r["setup_error"], f"{where}: {r['setup_error']}"
        assert r["clients"] > 0 and r["reached_final"] == r["clients"], f"{where}: {r['reached_final']}/{r['clients']}"


def test_rooms_were_measured(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """The room scenarios produced fan-out samples (the harness saw the changes)."""
    run, out = smoke
    for r in json.loads((out / "report.json").read_text())["results"]:
        if r["scenario"] in ("arena", "burst"):
            assert r["fanout"]["count"] > 0 and r["go"]["count"] > 0, f"{r['scenario']} on {r['target']}"
            # Every target answers every command the tabs send (the ceiling once had no round-trip probe).
            assert r["errors_total"] == 0, f"{r['scenario']} on {r['target']}: {r['errors']}"
            # Every command's effect was seen by every tab it should reach (the harness reads the markup).
            assert r["gaps"] == 0, f"{r['scenario']} on {r['target']}: {r['gaps']} changes never seen"


def test_report_files_exist(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    run, out = smoke
    for name in ("report.json", "report.txt", "latency.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "report.txt").read_text()
    assert all(f"## {s}" in table for s in SCENARIOS)


def test_repeated_runs_are_interleaved_and_reported_as_medians_with_their_range(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "arena", "--smoke", "--repeat", "2", "--targets", "game,ceiling",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    order = [(r["target"], r["run"]) for r in report["results"]]
    assert order == [("game", 1), ("ceiling", 1), ("game", 2), ("ceiling", 2)]
    medians = report["medians"]["arena"]
    assert medians["game"]["runs"] == 2 and medians["game"]["fanout.count"] > 0
    table = (tmp_path / "report.txt").read_text()
    assert "median of 2 runs (min-max)" in table and "game vs ceiling (medians)" in table


def test_a_figure_is_the_median_of_its_runs_shown_with_its_range() -> None:
    from bench import report

    runs = [{"scenario": "arena", "target": "game", "size": "s", "errors": {}, "fanout": {"p99": p99}}
            for p99 in (30.0, 90.0, 40.0)]
    assert report.medians(runs)["arena"]["game"]["fanout.p99"] == 40.0  # not the best run, nor the mean
    assert "40.0 (30.0-90.0)" in report.table(runs)
    assert report.median_of([1, 2, 3, 4]) == 2  # an even count: the lower middle, a value some run had


def test_the_peer_and_the_ceiling_are_refused_on_a_redis_cluster() -> None:
    from bench.cli import parse

    with pytest.raises(SystemExit):
        parse(["arena", "--redis-cluster", "--targets", "game,peer"])
    cluster, single = parse(["arena", "--redis-cluster"]), parse(["arena"])
    assert (cluster.targets, cluster.workers) == ("game", 2)  # two app processes on the cluster
    assert (single.targets, single.workers) == ("game,peer,ceiling,hypercorn", 1)  # without the flag: every target


def test_the_arena_runs_the_game_on_a_redis_cluster_and_counts_each_primarys_commands(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "arena", "--smoke", "--redis-cluster", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["meta"]["workers"] == 2 and "Redis Cluster" in report["meta"]["redis"]
    (result,) = report["results"]  # the game alone
    assert (result["scenario"], result["target"]) == ("arena", "game")
    assert not result["setup_error"] and result["reached_final"] == result["clients"] > 0
    assert result["fanout"]["count"] > 0 and result["go"]["count"] > 0
    per_primary = result["redis_per_primary_per_s"]
    assert len(per_primary) == 3  # every primary measured; together, all the game's commands
    assert result["redis_per_s"] > 0
    assert sum(per_primary.values()) == pytest.approx(result["redis_per_s"], rel=0.01)
    assert "redis commands per second on each primary (game)" in (tmp_path / "report.txt").read_text()



def test_a_patch_of_several_elements_replaces_each_by_its_id() -> None:
    from bench.client import morph  # after the check above that the bench's packages are there

    page = '<main id="view"><div id="a">old a</div> <div id="b"><p>old b</p></div></main>'
    patched = morph(page, '<div id="b"><p>new b</p></div> <div id="a">new a</div> <!-- padding -->')
    assert patched == '<main id="view"><div id="a">new a</div> <div id="b"><p>new b</p></div></main>'
    assert morph(page, '<main id="other">a new screen</main>') == '<main id="other">a new screen</main>'
