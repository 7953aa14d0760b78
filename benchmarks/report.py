"""Markdown tables of pytest-benchmark JSON files: time beside objective, lower bound and gap.

The files are what ``--benchmark-json FILE`` writes or what ``--benchmark-save NAME`` stores under
``.benchmarks/<machine>/NNNN_NAME.json`` (the same format).

Usage::

    python benchmarks/report.py RUN.json [RUN.json ...]
        One row per case: time, objective, lower bound, gap, status (strategy), peak memory, phase
        seconds; baseline cases (test_baseline.py) as ours against the baseline; then, for what-if
        runs (test_whatif.py), each warm case beside its cold twin (warm / cold ratio).

    python benchmarks/report.py --compare A.json B.json
        Two runs case by case (cases matched by name, e.g. ``test_end_to_end[100k-aggregate]``):
        time A, time B, B / A, objective A, objective B and their relative difference, the relative
        difference of the lower bounds, gap A, gap B, and a note when the status or strategy differs
        or a case ran on one side only. Time is the fastest round (``stats.min``). For baseline
        cases the figures are ours (``ours_seconds``, ``ours_objective``...), not the baseline's.
        The header names each file's commit (pytest-benchmark's ``commit_info``); a closing line
        gives the geometric mean of the time ratios and counts the cases whose plan got dearer or
        cheaper. A faster B that costs more is not faster: read the objective columns too.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

SAME = 1e-9  # relative objective difference below which two plans count as costing the same


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
                f"{e['baseline_variables']:,} binaries | ours at the baseline's cost: "
                f"{_fmt(e.get('ours_seconds_to_baseline_cost'))} s (gap target "
                f"{_fmt(e.get('ours_gap_target_to_baseline_cost'), 'g')}), speedup {_fmt(e.get('speedup'), '.1f')}x |")
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


def report(paths: list[Path]) -> None:
    print("| case | shipments | time | objective | lower bound | gap | status | peak memory | phases (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        for line in rows(path):
            print(line)
    warm = [line for path in paths for line in warm_rows(path)]
    if warm:
        print()
        print("| warm case | shipments | cold | warm | warm / cold | cold objective | warm objective | warm gap | "
              "warm strategy | reuse |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(warm))


def figures(b: dict) -> dict:
    """What a case says about our solver: seconds, objective, lower bound, gap, status, strategy."""
    e = b.get("extra_info", {})
    if "ours_objective" in e:  # baseline case: its timed call is the baseline; compare ours
        return {"seconds": e.get("ours_seconds"), "objective": e.get("ours_objective"),
                "lower_bound": e.get("ours_lower_bound"), "gap": e.get("ours_gap"),
                "status": e.get("ours_status"), "strategy": None}
    return {"seconds": b["stats"]["min"], "objective": e.get("objective"), "lower_bound": e.get("lower_bound"),
            "gap": e.get("gap"), "status": e.get("status"), "strategy": e.get("strategy")}


def _cases(path: Path) -> tuple[dict, dict[str, dict]]:
    data = json.loads(path.read_text())
    cases: dict[str, dict] = {}
    for b in data["benchmarks"]:
        if b["name"] in cases:
            raise SystemExit(f"{path}: case {b['name']} appears twice; compare one run per file")
        cases[b["name"]] = b
    return data, cases


def _rel(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if a == b:
        return 0.0
    return (b - a) / abs(a) if a else math.inf


def _commit(data: dict) -> str:
    c = data.get("commit_info") or {}
    cid = (c.get("id") or "?")[:7]
    return f"commit {cid}{' (dirty)' if c.get('dirty') else ''}, run {data.get('datetime', '?')[:19]}"


def compare(path_a: Path, path_b: Path) -> None:
    data_a, a = _cases(path_a)
    data_b, b = _cases(path_b)
    print(f"A: {path_a} ({_commit(data_a)})")
    print(f"B: {path_b} ({_commit(data_b)})")
    print()
    print("| case | time A (s) | time B (s) | B / A | objective A | objective B | objective B / A - 1 | "
          "bound B / A - 1 | gap A | gap B | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratios: list[float] = []
    dearer = cheaper = 0
    for name in list(a) + [n for n in b if n not in a]:
        if name not in b or name not in a:
            side = "A" if name in a else "B"
            f = figures((a if side == "A" else b)[name])
            print(f"| {name} | {_fmt(f['seconds'], '.3f') if side == 'A' else '-'} | "
                  f"{_fmt(f['seconds'], '.3f') if side == 'B' else '-'} | - | "
                  f"{_fmt(f['objective']) if side == 'A' else '-'} | {_fmt(f['objective']) if side == 'B' else '-'} "
                  f"| - | - | - | - | only in {side} |")
            continue
        fa, fb = figures(a[name]), figures(b[name])
        ratio = fb["seconds"] / fa["seconds"] if fa["seconds"] and fb["seconds"] is not None else None
        if ratio:
            ratios.append(ratio)
        d_obj = _rel(fa["objective"], fb["objective"])
        if d_obj is not None and d_obj > SAME:
            dearer += 1
        elif d_obj is not None and d_obj < -SAME:
            cheaper += 1
        notes = [f"{k} {fa[k]} -> {fb[k]}" for k in ("status", "strategy") if fa[k] != fb[k]]
        print(f"| {name} | {_fmt(fa['seconds'], '.3f')} | {_fmt(fb['seconds'], '.3f')} | {_fmt(ratio, '.3f')} | "
              f"{_fmt(fa['objective'])} | {_fmt(fb['objective'])} | {_fmt(d_obj, '+.2e')} | "
              f"{_fmt(_rel(fa['lower_bound'], fb['lower_bound']), '+.2e')} | {_fmt(fa['gap'], '.2e')} | "
              f"{_fmt(fb['gap'], '.2e')} | {'; '.join(notes)} |")
    print()
    both = sum(1 for n in a if n in b)
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"{both} cases in both: time B / A geometric mean {geo:.3f} (from {min(ratios):.3f} to "
              f"{max(ratios):.3f}); plan dearer in B in {dearer}, cheaper in {cheaper} "
              f"(relative difference above {SAME:g}).")
    else:
        print(f"{both} cases in both; no times to compare.")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="pytest-benchmark JSON files")
    parser.add_argument("--compare", action="store_true", help="compare two files case by case (A then B)")
    args = parser.parse_args(argv)
    if args.compare:
        if len(args.files) != 2:
            parser.error("--compare takes exactly two files: A.json B.json")
        compare(*args.files)
    else:
        report(args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
