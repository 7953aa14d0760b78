"""The time-to-gap curve of a ``test_gap.py`` run as a PNG: seconds against shipments (log-log), one line
per gap target, each point labelled with the gap reached. Draws with matplotlib (a dependency of ``routing``).

Usage::

    pytest benchmarks/test_gap.py --bench-sizes 1k,10k,100k,1m --benchmark-json gap.json
    python benchmarks/plot.py gap.json benchmarks/time-to-gap.png
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def curve(path: Path) -> dict[float, list[tuple[int, float, float]]]:
    """Per gap target: (shipments, seconds, gap reached), by shipments."""
    out: dict[float, list[tuple[int, float, float]]] = defaultdict(list)
    for b in json.loads(path.read_text())["benchmarks"]:
        e = b.get("extra_info", {})
        if "gap_target" in e:
            out[e["gap_target"]].append((e["shipments"], b["stats"]["min"], e["gap"]))
    return {k: sorted(v) for k, v in sorted(out.items(), reverse=True)}


def plot(data: dict[float, list[tuple[int, float, float]]], png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for target, points in data.items():
        xs, ys, gaps = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", label=f"gap target {target:.0e}")
        for x, y, g in points:
            ax.annotate(f"{g:.1e}", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("shipments")
    ax.set_ylabel("seconds, inputs read to files written")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src, png = Path(argv[0]), Path(argv[1])
    data = curve(src)
    commit = json.loads(src.read_text()).get("commit_info", {}).get("id", "")[:7]
    plot(data, png, f"time to gap (labels: gap reached), default options, commit {commit}")
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
