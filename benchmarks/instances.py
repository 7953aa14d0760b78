"""Benchmark registry: seeded instances on the synthetic large network, built once and cached.

Used by the benchmark modules; the size selection lives in conftest.py.

Sizes come from ``--bench-sizes`` (default: the smoke size only, so CI stays short), e.g.
``pytest benchmarks --bench-sizes 10k,100k`` or ``--bench-sizes 1m`` for the million.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path

import yaml

from routing import load_network
from routing.data.generate import write_generated
from routing.data.synth import large_network

CACHE = Path(__file__).parent / ".cache"
SIZES = {"smoke": 1_500, "1k": 1_000, "2k": 2_000, "10k": 10_000, "30k": 30_000, "100k": 100_000, "300k": 300_000,
         "1m": 1_000_000}
SEED = 42


@dataclass(frozen=True)
class Instance:
    id: str
    shipments: int
    network: Path
    shipments_file: Path


def build_instance(size_id: str, fmt: str = "parquet") -> Instance:
    """Network scaled to the size (capacities bind) and shipments from `routing generate`, cached on disk."""
    n = SIZES[size_id]
    d = CACHE / f"large-{size_id}-seed{SEED}"
    net_path, ship_path = d / "network.yaml", d / f"shipments.{fmt}"
    if not ship_path.exists():
        d.mkdir(parents=True, exist_ok=True)
        factories = 12 if n <= 2_000 else 40
        net_path.write_text(yaml.safe_dump(large_network(factories=factories, shipments=n, days=14), sort_keys=False))
        write_generated(load_network(net_path), n, SEED, d, days=14, fmt=fmt)
    return Instance(size_id, n, net_path, ship_path)


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


