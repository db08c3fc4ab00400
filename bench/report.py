"""Figures from the samples: percentiles, the readable table, ratios, the plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TARGETS = ("game", "peer", "ceiling", "hypercorn")


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
    ("  server CPU s during the setup", "setup_server_cpu_s"),
    ("  bench client CPU s during the setup", "setup_client_cpu_s"),
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


def median_of(values: list[Any]) -> Any:
    """The median of a row's runs (the lower middle one for an even count: a value some run had)."""
    numbers = sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
                     and not math.isnan(v))
    if len(numbers) != len(values):
        return values[0] if all(v == values[0] for v in values) else None
    return numbers[(len(numbers) - 1) // 2] if numbers else None


def _cell(values: list[Any], digits: int = 1) -> str:
    """One run's value, or the median of several runs with their range."""
    values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]  # no samples: "-"
    if len(values) == 1 or all(v == values[0] for v in values):
        return _fmt(values[0], digits)
    middle = median_of(values)
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if middle is None or len(numbers) != len(values) or min(numbers) == max(numbers):
        return _fmt(middle, digits) if middle is not None else " / ".join(_fmt(v, digits) for v in values)
    return f"{_fmt(middle, digits)} ({_fmt(min(numbers), digits)}-{_fmt(max(numbers), digits)})"


def medians(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per scenario and target, each row's median over the runs: {scenario: {target: {path: median}}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        for target in TARGETS:
            runs = [r for r in results if r["scenario"] == scenario and r["target"] == target]
            if runs:
                out.setdefault(scenario, {})[target] = {
                    "runs": len(runs), **{path: median_of([_get(r, path) for r in runs]) for _, path in ROWS}}
    return out


def table(results: list[dict[str, Any]]) -> str:
    """The figures side by side; with several runs of a target, the median and (min-max)."""
    out: list[str] = []
    middle = medians(results)
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        runs = {t: [r for r in results if r["scenario"] == scenario and r["target"] == t] for t in TARGETS}
        targets = [t for t in TARGETS if runs[t]]
        repeats = max(len(runs[t]) for t in targets)
        size = runs[targets[0]][0]["size"]
        out.append(f"## {scenario} ({size})" + (f": median of {repeats} runs (min-max)" if repeats > 1 else ""))
        rows = []
        for label, path in ROWS:
            values = {t: [_get(r, path) for r in runs[t]] for t in targets}
            if not all(v is None for vs in values.values() for v in vs):
                rows.append((label, [_cell(values[t], 2 if path == "cpu_ms_per_event" else 1) for t in targets]))
        width, column = 38, max(14, *(len(cell) + 2 for _, cells in rows for cell in cells))
        out.append(f"{'':{width}}" + "".join(f"{t:>{column}}" for t in targets))
        out.extend(f"{label:{width}}" + "".join(f"{cell:>{column}}" for cell in cells) for label, cells in rows)
        if "game" in targets:
            game = middle[scenario]["game"]
            for other in ("peer", "ceiling", "hypercorn"):
                if other not in targets:
                    continue
                base = middle[scenario][other]
                out.append(
                    f"game vs {other}{' (medians)' if repeats > 1 else ''}: "
                    f"fan-out p99 {_ratio(game['fanout.p99'], base['fanout.p99'])}, "
                    f"GO p99 {_ratio(game['go.p99'], base['go.p99'])}, "
                    f"delivery rate {_ratio(game['delivery_rate'], base['delivery_rate'])}, "
                    f"CPU per event {_ratio(game['cpu_ms_per_event'], base['cpu_ms_per_event'])}, "
                    f"RSS per connection {_ratio(game['rss_per_conn_kb'], base['rss_per_conn_kb'])}"
                )
        for t in targets:
            for n, run in enumerate(runs[t], 1):
                label = f"{t}, run {n}" if repeats > 1 else t
                if run.get("redis_per_primary_per_s"):
                    out.append(f"redis commands per second on each primary ({label}): " + ", ".join(
                        f"{node} {_fmt(rate)}" for node, rate in sorted(run["redis_per_primary_per_s"].items())))
                if run.get("attack_answers"):
                    out.append(f"attackers were answered ({label}): " + json.dumps(run["attack_answers"], sort_keys=True))
        errors = {t: [r["errors"] for r in runs[t]] for t in targets if any(r["errors"] for r in runs[t])}
        if errors:
            out.append("errors: " + json.dumps({t: e if repeats > 1 else e[0] for t, e in errors.items()}))
        out.append("")
    return "\n".join(out)


def write(results: list[dict[str, Any]], meta: dict[str, Any], out: Path,
          samples: dict[tuple[str, str], dict[str, list[float]]]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    report = {"meta": meta, "medians": medians(results), "results": results}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
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
    colours = {"game": "tab:blue", "peer": "tab:red", "ceiling": "tab:green", "hypercorn": "tab:orange"}
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
