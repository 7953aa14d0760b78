"""Benchmark options (README.md here): ``--bench-sizes`` (default: the smoke size only, so CI stays
short), ``--bench-strategies``, ``--bench-solver``, ``--bench-lp`` (defaults: those of
``routing.SolveOptions``), ``--bench-gaps``, ``--bench-rounds`` and ``--bench-baseline``."""

from __future__ import annotations

import pytest

from routing import SolveOptions

from .instances import SIZES

DEFAULTS = SolveOptions()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bench-sizes", default="smoke", help="comma-separated sizes: " + ", ".join(SIZES))
    parser.addoption("--bench-baseline", action="store_true", help="also run the one-binary-per-option baseline")
    parser.addoption("--bench-solver", default=str(DEFAULTS.solver), help="MIP backend for ours: highs, scip or cp-sat")
    parser.addoption("--bench-lp", default=str(DEFAULTS.lp_solver),
                     help="LP solver of the exact strategy: highs, glop or pdlp")
    parser.addoption("--bench-strategies", default="auto,aggregate", help="strategies for the end-to-end cases")
    parser.addoption("--bench-gaps", default="1e-3,1e-4", help="gap targets of the time-to-gap cases")
    parser.addoption("--bench-rounds", type=int, default=1,
                     help="what-if cases: solves per case (cold and warm alike); times are the fastest round")


@pytest.fixture
def solve_options(request: pytest.FixtureRequest):
    """SolveOptions from the command line, so a backend change is one flag."""

    def make(strategy: str = "auto", time_limit: float = DEFAULTS.time_limit,
             gap: float = DEFAULTS.gap) -> SolveOptions:
        return SolveOptions(strategy=strategy, solver=request.config.getoption("--bench-solver"),
                            lp_solver=request.config.getoption("--bench-lp"), time_limit=time_limit, gap=gap)
    return make


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "size_id" in metafunc.fixturenames:
        sizes = [s.strip() for s in metafunc.config.getoption("--bench-sizes").split(",") if s.strip()]
        unknown = [s for s in sizes if s not in SIZES]
        if unknown:
            raise pytest.UsageError(f"unknown --bench-sizes {unknown}; use {', '.join(SIZES)}")
        metafunc.parametrize("size_id", sizes)
    if "gap_target" in metafunc.fixturenames:
        gaps = [s.strip() for s in metafunc.config.getoption("--bench-gaps").split(",") if s.strip()]
        metafunc.parametrize("gap_target", gaps)
    if "strategy" in metafunc.fixturenames:
        strategies = [s.strip() for s in metafunc.config.getoption("--bench-strategies").split(",") if s.strip()]
        metafunc.parametrize("strategy", strategies)
