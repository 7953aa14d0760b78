"""Every knob of a plan in one place: what to plan (:class:`PlanSettings`), how to solve it
(:class:`SolveOptions`, with one nested parameter object per strategy and part), and the names of
strategies, backends and plan statuses as ``StrEnum``s.

Units: days are whole days, costs are in the network's currency, times in seconds. The defaults
here are the defaults everywhere: the command line reads them from these dataclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Integral, Real

from .errors import InputError

MAX_HORIZON_DAYS = 365  # the planning horizon, days after the order day
MAX_LEGS = 20  # longest route considered
MAX_PENALTY = 1e7  # unassigned penalty, currency per parcel
MAX_TIME_LIMIT = 1e7  # seconds
MAX_THREADS = 256
MAX_SEED = 2**31 - 1


def check_whole(source: str, name: str, value: object, lo: int, hi: int) -> None:
    """Refuse ``value`` unless it is a whole number in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not lo <= value <= hi:
        raise InputError(source, name, f"must be a whole number from {lo:,} to {hi:,}, got {value!r}")


def _number(source: str, name: str, value: object, lo: float, hi: float, low_open: bool = False) -> None:
    """Refuse ``value`` unless it is a finite number in [lo, hi] (``low_open``: (lo, hi])."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value) and \
        (value > lo if low_open else value >= lo) and value <= hi
    if not ok:
        raise InputError(source, name, f"must be a finite number {'>' if low_open else '>='} {lo:g} and <= {hi:g}, "
                                       f"got {value!r}")


def proven_within(objective: float, bound: float, plan_cost: float, gap: float) -> bool:
    """Whether ``objective`` is proven within the relative ``gap`` of ``bound``, measured against
    ``plan_cost`` (a plan's cost without shortfall penalties, as the summary measures its gap), with a
    numerical tolerance so that ``gap`` 0 accepts a proof up to the solvers' own (currency)."""
    return objective - bound <= max(gap, 1e-9) * max(1.0, abs(plan_cost)) + 1e-6


class Strategy(StrEnum):
    """How a plan is solved; ``auto`` picks ``exact`` or ``aggregate`` by model size.
    ``warm-local`` is reported for a what-if re-plan that re-optimised locally (not selectable)."""

    AUTO = "auto"
    EXACT = "exact"
    AGGREGATE = "aggregate"
    WARM_LOCAL = "warm-local"


STRATEGY_CHOICES = (Strategy.AUTO, Strategy.EXACT, Strategy.AGGREGATE)  # what a user may ask for


class MipSolver(StrEnum):
    """MIP backends, all through OR-Tools' model builder."""

    HIGHS = "highs"
    SCIP = "scip"
    CP_SAT = "cp-sat"


class LpSolver(StrEnum):
    """LP backends of the exact strategy's relaxation: HiGHS (dual simplex via scipy), GLOP or PDLP (OR-Tools)."""

    HIGHS = "highs"
    GLOP = "glop"
    PDLP = "pdlp"


class Status(StrEnum):
    """Solver outcome of a plan (summary key ``status``) or of one MIP run."""

    OPTIMAL = "optimal"  # proven optimal (within the MIP tolerances)
    FEASIBLE = "feasible"  # a plan with a proven lower bound, optimality not proven
    TIME_LIMIT = "time_limit"  # the time limit stopped the search; the best plan found is returned
    HEURISTIC = "heuristic"  # the search stopped early for another reason; the best plan found is returned
    INFEASIBLE = "infeasible"  # a MIP run (never a plan: leaving parcels unassigned is always feasible)
    NOT_SOLVED = "not_solved"  # a MIP run that ended without an answer (unbounded, abnormal, ...)


@dataclass(frozen=True)
class PricingParams:
    """How candidate options are priced (the plan does not depend on these): ``chunk`` shipments at a
    time, split into pieces of at least ``piece`` shipments priced on ``threads`` threads."""

    threads: int = 2
    piece: int = 20_000
    chunk: int = 100_000


@dataclass(frozen=True)
class EnumerationParams:
    """Budgets of route and schedule enumeration, so that a network with a combinatorial number of paths
    still gets a plan in time. Real networks stay far below them (the benchmark's 1M instance: at most 8
    routes per pair and 11 schedules per route and weekday). When one binds, the candidates are cut — the
    first routes in depth-first order, the earliest schedules — and the summary says so; the plan and
    its bound then hold for the candidates enumerated, not the whole problem.

    max_routes_per_pair, max_routes: routes per (origin, market) pair and in all.
    max_schedules_per_route, max_schedules: schedules per (route, order weekday) and in all.
    max_slots_per_group: options open to one order group (routes × their schedules).
    time_share: share of the run's time limit enumeration may take; (pair, weekday)s not reached by
    then get no candidates (their parcels are left unassigned, reason ``enumeration_cut``).
    """

    max_routes_per_pair: int = 500
    max_routes: int = 100_000
    max_schedules_per_route: int = 500
    max_schedules: int = 1_000_000
    max_slots_per_group: int = 2_000
    time_share: float = 0.5


@dataclass(frozen=True)
class PlanSettings:
    """What is planned: the knobs of route and option enumeration.

    horizon_days: a departure must leave at most this many days after the order day.
    waiting_days: how long a parcel may wait past a leg's first feasible departure (None: to the
    horizon, which is exact; a number is a heuristic and is reported as such).
    max_legs: longest route considered. unassigned_penalty: cost per parcel left unassigned
    (currency). prune: drop options dominated by a capacity-free one (never changes the optimum).
    pricing, enumeration: how candidates are priced (never changes the plan) and how far they are
    enumerated (see :class:`EnumerationParams`).
    """

    horizon_days: int = 14
    waiting_days: int | None = None
    max_legs: int = 6
    unassigned_penalty: float = 1000.0
    prune: bool = True
    pricing: PricingParams = field(default_factory=PricingParams)
    enumeration: EnumerationParams = field(default_factory=EnumerationParams)

    def __post_init__(self) -> None:
        check_whole("settings", "horizon_days", self.horizon_days, 0, MAX_HORIZON_DAYS)
        if self.waiting_days is not None:
            check_whole("settings", "waiting_days", self.waiting_days, 0, self.horizon_days)
        check_whole("settings", "max_legs", self.max_legs, 0, MAX_LEGS)
        _number("settings", "unassigned_penalty", self.unassigned_penalty, 0.0, MAX_PENALTY, low_open=True)


@dataclass(frozen=True)
class MipParams:
    """When a MIP run counts as optimal: within ``rel_gap`` (relative) or ``abs_gap`` (currency)."""

    rel_gap: float = 1e-9
    abs_gap: float = 1e-7


@dataclass(frozen=True)
class ExactParams:
    """The ``exact`` strategy (LP relaxation, rounding, MIP over a reduced-cost core).

    max_columns: a what-if re-plan under ``auto`` takes ``exact`` while the model has at most this many
    columns (a cold ``auto`` chooses by what the aggregate reached: :mod:`routing.strategies.auto`).
    rounding_share: share of the time left that rounding the LP may take.
    core_start: the first core holds columns whose reduced cost is within this share of the
    rounded plan's cost gap to the LP. core_growth: while the best plan still pays shortfall
    penalties, the core widens by this factor per round.
    """

    max_columns: int = 100_000
    rounding_share: float = 0.25
    core_start: float = 1.0
    core_growth: float = 4.0


@dataclass(frozen=True)
class RepairParams:
    """Re-planning a parcel that a rounding left out although an option costs less than the penalty:
    a neighbourhood of at most ``mip_columns`` columns is solved as a MIP of at most ``mip_nodes``
    branch-and-bound nodes (a limit that gives the same answer on any machine), to within
    ``mip_gap_share`` of the unassigned penalty; a larger one through the restricted LP."""

    mip_columns: int = 1_000
    mip_nodes: int = 200
    mip_gap_share: float = 0.05


@dataclass(frozen=True)
class AggregateParams:
    """The ``aggregate`` strategy (class LP, disaggregation, repair).

    bucket: chargeable kg is bucketed on a log scale with steps of a factor ``1 + bucket``; shipments of a
    class share their bucket (so they are within that factor of each other).
    duty_step: duty-free JIT parcels share a class when their duty (currency) falls in the same step.
    Coarse classes make the class LP small (1M: 121k classes, 3 s, against 350k and 14 s at 0.6 / 1.0);
    what they lose in the disaggregated plan the polish wins back (1M: gap 6.6e-6).
    neighbours: on each capacity row a left-over parcel needs, the holders with the cheapest moves
    elsewhere that join its repair. left_out_first: holders per row in the first round of placing
    left-out parcels (then ``neighbours``, 4× and 16× that).
    """

    bucket: float = 3.0
    duty_step: float = 20.0
    neighbours: int = 40
    left_out_first: int = 5

    @property
    def left_out_widths(self) -> tuple[int, ...]:
        """Holders per tight row in each round of placing left-out parcels."""
        n = self.neighbours
        return (self.left_out_first, n, 4 * n, 16 * n)


@dataclass(frozen=True)
class WarmParams:
    """What-if re-plans (``solve(..., base=...)``).

    new_max_share: more new shipments than this share of the edited table: planned broadly (aggregate).
    local_max_share: re-optimise locally while at most this share of the shipments needs it.
    neighbours, deficit: holders joining the local LP on each row the focus needs more of than is
    free — enough to free ``deficit`` times the shortfall, at most ``neighbours``.
    max_rounds, gap: pricing rounds of the local LP, stopped once it is within ``gap`` (relative;
    None: the run's gap target, ``SolveOptions.gap``) of the best Lagrangian bound.
    left_out_first, left_out_next: holders per row when placing left-out parcels (then ``neighbours``).
    target_extra: shipments beyond twice a target's change that are looked at when an on-time need moved.
    fallback_gap, fallback_factor: a local answer whose gap exceeds max(fallback_gap, fallback_factor × the
    base's gap) is re-planned broadly too.
    """

    new_max_share: float = 0.1
    local_max_share: float = 0.25
    neighbours: int = 40
    deficit: float = 4.0
    max_rounds: int = 3
    gap: float | None = None
    left_out_first: int = 2
    left_out_next: int = 5
    target_extra: int = 200
    fallback_gap: float = 2e-3
    fallback_factor: float = 2.0

    @property
    def left_out_widths(self) -> tuple[int, ...]:
        """Holders per tight row in each round of placing left-out parcels."""
        return (self.left_out_first, self.left_out_next, self.neighbours)


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: strategy, MIP backend, LP backend, time limit (s), random seed, threads for
    the backend, and one parameter object per part (``mip``, ``exact``, ``aggregate``, ``warm``,
    ``repair``).

    gap: the relative gap target — a plan counts as optimal, and the search stops, once it is proven
    within ``gap`` of the best bound ((objective − bound) / objective; 0 proves optimality). The
    default 1e-4 is the usual MIP solvers' default.

    strategy ``exact`` solves the MIP over every shipment option to the gap target; ``aggregate``
    solves an LP over shipment classes, disaggregates and repairs, and reports a Lagrangian bound;
    ``auto`` runs ``aggregate``, then ``exact`` from its plan while its gap misses the target and the
    exact LP is expected to fit in half the time limit (a what-if re-plan: ``exact`` while the model
    has at most ``exact.max_columns`` columns). ``threads`` reaches the LP pieces and CP-SAT; HiGHS's
    MIP search runs on one thread.
    """

    strategy: Strategy = Strategy.AUTO
    solver: MipSolver = MipSolver.HIGHS
    time_limit: float = 60.0
    gap: float = 1e-4
    seed: int = 0
    threads: int = 1
    lp_solver: LpSolver = LpSolver.HIGHS
    mip: MipParams = field(default_factory=MipParams)
    exact: ExactParams = field(default_factory=ExactParams)
    aggregate: AggregateParams = field(default_factory=AggregateParams)
    warm: WarmParams = field(default_factory=WarmParams)
    repair: RepairParams = field(default_factory=RepairParams)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGY_CHOICES:
            raise InputError("options", "strategy", f"unknown strategy {self.strategy!r} "
                                                    f"(use {', '.join(STRATEGY_CHOICES)})")
        if self.solver not in tuple(MipSolver):
            raise InputError("options", "solver", f"unknown solver {self.solver!r} (use {', '.join(MipSolver)})")
        if self.lp_solver not in tuple(LpSolver):
            raise InputError("options", "lp_solver", f"unknown LP solver {self.lp_solver!r}")
        # names given as plain strings become their enum members
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        object.__setattr__(self, "solver", MipSolver(self.solver))
        object.__setattr__(self, "lp_solver", LpSolver(self.lp_solver))
        _number("options", "time_limit", self.time_limit, 0.0, MAX_TIME_LIMIT, low_open=True)
        if not isinstance(self.threads, int) or self.threads < 1:
            raise InputError("options", "threads", f"must be a whole number >= 1, got {self.threads!r}")
        check_whole("options", "threads", self.threads, 1, MAX_THREADS)
        check_whole("options", "seed", self.seed, 0, MAX_SEED)
        _number("options", "gap", self.gap, 0.0, 1.0)


__all__ = ["STRATEGY_CHOICES", "AggregateParams", "EnumerationParams", "ExactParams", "LpSolver", "MipParams",
           "MipSolver", "PlanSettings", "PricingParams", "RepairParams", "SolveOptions", "Status", "Strategy",
           "WarmParams", "check_whole", "proven_within"]
