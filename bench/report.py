"""Figures from the samples: percentiles, the readable table, ratios, the plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TARGETS = ("game", "peer", "ceiling")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    rank = min(len(sorted_values) - 1, max(0, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def summary(samples: list[float]) -> dict[str, float | int]:
    """Latency figures in milliseconds."""
    values = sorted(s * 1000 for s in samples)
    return {
        "count": len(values),
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(values[-1], 1) if values else math.nan,
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(a: Any, b: Any) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b or math.isnan(a) or math.isnan(b):
        return "-"
    return f"{a / b:.2f}x"


ROWS: list[tuple[str, str]] = [
    ("clients (reached final state)", "clients_final"),
    ("setup s", "setup_s"),
    ("settled before the window", "settled_before_window"),
    ("measured window s", "window_s"),
    ("fan-out from command accepted, ms p50", "fanout.p50"),
    ("  p95", "fanout.p95"),
    ("  p99", "fanout.p99"),
    ("  max", "fanout.max"),
    ("  samples", "fanout.count"),
    ("fan-out from command send, ms p50", "fanout_from_send.p50"),
    ("  p99", "fanout_from_send.p99"),
    ("GO fan-out, server-stamped, ms p50", "go.p50"),
    ("  p99", "go.p99"),
    ("  max", "go.max"),
    ("press fan-out p99, room in peace", "fanout_by_command.buzz.p99"),
    ("  under attack (hostile)", "fanout_by_command.buzz-attacked.p99"),
    ("command round trip ms p50", "rtt.p50"),
    ("  p99", "rtt.p99"),
    ("events delivered / s", "delivery_rate"),
    ("bytes on the wire per update", "bytes_per_update"),
    ("  uncompressed", "text_bytes_per_update"),
    ("server CPU s (window)", "server_cpu_s"),
    ("server CPU ms per delivered event", "cpu_ms_per_event"),
    ("server peak RSS MB", "server_peak_rss_mb"),
    ("server RSS per connection KB", "rss_per_conn_kb"),
    ("redis CPU s (window)", "redis_cpu_s"),
    ("redis commands per game command", "redis_per_command"),
    ("redis commands per second", "redis_per_s"),
    ("bench client CPU s (window)", "client_cpu_s"),
    ("errors", "errors_total"),
    ("gaps", "gaps"),
    ("disconnects", "disconnects"),
]


def _get(result: dict[str, Any], path: str) -> Any:
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def table(results: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        runs = {r["target"]: r for r in results if r["scenario"] == scenario}
        targets = [t for t in TARGETS if t in runs]
        size = next(iter(runs.values()))["size"]
        out.append(f"## {scenario} ({size})")
        width = 38
        out.append(f"{'':{width}}" + "".join(f"{t:>14}" for t in targets))
        for label, path in ROWS:
            values = [_get(runs[t], path) for t in targets]
            if all(v is None for v in values):
                continue
            out.append(f"{label:{width}}" + "".join(f"{_fmt(v):>14}" for v in values))
        if "game" in runs:
            game = runs["game"]
            for other in ("peer", "ceiling"):
                if other not in runs:
                    continue
                base = runs[other]
                out.append(
                    f"game vs {other}: fan-out p99 {_ratio(_get(game, 'fanout.p99'), _get(base, 'fanout.p99'))}, "
                    f"GO p99 {_ratio(_get(game, 'go.p99'), _get(base, 'go.p99'))}, "
                    f"delivery rate {_ratio(game.get('delivery_rate'), base.get('delivery_rate'))}, "
                    f"CPU per event {_ratio(game.get('cpu_ms_per_event'), base.get('cpu_ms_per_event'))}, "
                    f"RSS per connection {_ratio(game.get('rss_per_conn_kb'), base.get('rss_per_conn_kb'))}"
                )
        for t in targets:
            if runs[t].get("redis_per_primary_per_s"):
                out.append(f"redis commands per second on each primary ({t}): " + ", ".join(
                    f"{node} {_fmt(rate)}" for node, rate in sorted(runs[t]["redis_per_primary_per_s"].items())))
            if runs[t].get("attack_answers"):
                out.append(f"attackers were answered ({t}): " + json.dumps(runs[t]["attack_answers"], sort_keys=True))
        errors = {t: runs[t]["errors"] for t in targets if runs[t]["errors"]}
        if errors:
            out.append("errors: " + json.dumps(errors))
        out.append("")
    return "\n".join(out)


def write(results: list[dict[str, Any]], meta: dict[str, Any], out: Path,
          samples: dict[tuple[str, str], dict[str, list[float]]]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    text = table(results)
    (out / "report.txt").write_text(text)
    plot(samples, out / "latency.png")
    return text


def plot(samples: dict[tuple[str, str], dict[str, list[float]]], path: Path) -> None:
    """CDFs of fan-out latency: one panel per scenario, one colour per target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = [s for s in dict.fromkeys(k[0] for k in samples) if any(samples[k] for k in samples if k[0] == s)]
    scenarios = [s for s in scenarios if any(v for k, d in samples.items() if k[0] == s for v in d.values())]
    panels = max(1, len(scenarios))
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5), squeeze=False)
    colours = {"game": "tab:blue", "peer": "tab:red", "ceiling": "tab:green"}
    for ax, scenario in zip(axes[0], scenarios):
        for target in TARGETS:
            for kind, style in (("fanout", "-"), ("go", "--")):
                values = sorted(v * 1000 for v in samples.get((scenario, target), {}).get(kind, []))
                if not values:
                    continue
                ys = [(i + 1) / len(values) for i in range(len(values))]
                label = f"{target}: {'command fan-out (from accepted)' if kind == 'fanout' else 'GO (server-stamped)'}"
                ax.plot([max(v, 0.1) for v in values], ys, style, color=colours[target], label=label)
        ax.set_xscale("log")
        ax.set_xlabel("latency, ms (log)")
        ax.set_ylabel("fraction of deliveries")
        ax.set_title(scenario)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    if not scenarios:
        axes[0][0].text(0.5, 0.5, "no latency samples (idle only)", ha="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
