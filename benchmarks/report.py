"""Print a markdown table of one or more pytest-benchmark JSON files: time beside cost, bound and gap.

    python benchmarks/report.py .benchmarks/*/0001_*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _fmt(value: object, spec: str = ",.2f") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def rows(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    out = []
    for b in data["benchmarks"]:
        e = b.get("extra_info", {})
        if "baseline_objective" in e:
            out.append(
                f"| {b['name']} | {e['shipments']:,} | ours {e['ours_seconds']:.1f} s / baseline "
                f"{e['baseline_seconds']:.1f} s (ratio {e['time_ratio']:.3f}) | ours {_fmt(e['ours_objective'])} / "
                f"baseline {_fmt(e['baseline_objective'])} (ratio {_fmt(e.get('cost_ratio'), '.5f')}) | "
                f"baseline bound {_fmt(e['baseline_bound'])}, status {e['baseline_status']} | "
                f"{e['baseline_variables']:,} binaries |")
            continue
        secs = e.get("seconds")
        phases = ", ".join(f"{k} {v}" for k, v in secs.items()) if isinstance(secs, dict) else ""
        out.append(
            f"| {b['name']} | {e.get('shipments', 0):,} | {b['stats']['mean']:.2f} s | {_fmt(e.get('objective'))} | "
            f"{_fmt(e.get('lower_bound'))} | {_fmt(e.get('gap'), '.2e')} | {e.get('status', '-')} "
            f"({e.get('strategy', '-')}) | {_fmt(e.get('peak_memory_mb'), ',')} MB | {phases} |")
    return out


def warm_rows(path: Path) -> list[str]:
    """Warm re-plan cases (benchmarks/test_whatif.py) that ran after their cold twin."""
    out = []
    for b in json.loads(path.read_text())["benchmarks"]:
        e = b.get("extra_info", {})
        if "warm_over_cold" not in e:
            continue
        w = e["warm"]
        out.append(
            f"| {b['name']} | {e['shipments']:,} | {e['cold_seconds']:.2f} s | "
            f"{e.get('fastest_seconds', b['stats']['mean']):.2f} s | "
            f"{e['warm_over_cold']:.1%} | {_fmt(e['cold_objective'])} | {_fmt(e['objective'])} "
            f"({(e['objective'] / e['cold_objective'] - 1):+.2e}) | {_fmt(e['gap'], '.2e')} | {e['strategy']} | "
            f"table {w['table']}, {w['repriced']:,} re-priced |")
    return out


def main(argv: list[str]) -> int:
    print("| case | shipments | time | objective | lower bound | gap | status | peak memory | phases (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arg in argv:
        for line in rows(Path(arg)):
            print(line)
    warm = [line for arg in argv for line in warm_rows(Path(arg))]
    if warm:
        print()
        print("| warm case | shipments | cold | warm | warm / cold | cold objective | warm objective | warm gap | "
              "warm strategy | reuse |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(warm))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
