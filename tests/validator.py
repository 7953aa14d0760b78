"""The test suite's plan validator is the package's independent checker, ``routing.validate``: it imports
nothing else of ``routing`` (tests/test_layers.py checks), so every plan the tests make is judged by the
rules written a second time, not by the solver's own code."""

from routing.validate import (  # noqa: F401  (re-exported for the tests)
    LEG_COLUMNS,
    PLAN_COLUMNS,
    Ctx,
    load_inventory,
    load_network,
    load_shipments,
    plan_violations,
    route_exists,
    validate_plan,
)
