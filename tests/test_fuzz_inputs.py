"""Property tests: malformed networks and shipment tables never crash ``routing plan``.

Hypothesis mutates a small valid network (wrong types, out-of-range numbers including nan/inf/huge,
unknown and missing fields, bad weekdays, duplicate and odd ids, entries that are not mappings) and a
small valid shipments CSV (random cells, ragged rows, bad dates, huge numbers, odd bytes), runs
``routing.cli.main`` in-process on them and checks the two promises:

* exit 2: exactly one stderr line starting ``routing: error: `` and nothing written (--out not created);
* exit 0: the written plan passes ``tests.validator.validate_plan``;

and nothing else: no other exit status, no exception. ``COUNTS`` records how many cases ran and how
they ended; ``test_zz_cases_ran`` prints it (``pytest -rP`` shows it) and checks both endings occur.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from routing import cli

from .helpers import expected_exit
from .validator import validate_plan

COUNTS: Counter[str] = Counter()
PREFIX = "routing: error: "
# derandomized (the same cases on every run, so CI does not flake) and without the shrink phase (a failing
# case is at most a handful of mutations already; shrinking a slow CLI run would take minutes)
SETTINGS = settings(max_examples=250, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A Monday epoch; F -> H -> G -> M by truck, air (capacitated, 3 days a week) and last mile, or through B.
NETWORK: dict[str, Any] = {
    "epoch": "2026-11-30",
    "nodes": [
        {"id": "F", "kind": "factory", "country": "CN", "handling_days": 1, "handling_cost": 0.1},
        {"id": "H", "kind": "hub", "country": "CN", "handling_cost": 0.2, "capacity_parcels_per_day": 3},
        {"id": "G", "kind": "gateway", "country": "DE", "handling_days": 1, "handling_cost": 0.5},
        {"id": "B", "kind": "bonded", "country": "DE", "handling_days": 1, "handling_cost": 2.0,
         "storage_cost_per_kg_day": 0.01, "dwell_days": 10},
        {"id": "M", "kind": "market", "country": "DE", "promise_days": 6, "late_penalty_per_day": 1.0,
         "duty_rate": 0.1, "de_minimis": 50, "on_time_target": 0.5},
    ],
    "lanes": [
        {"id": "truck", "from": "F", "to": "H", "mode": "truck", "transit_days": 1, "cost_per_kg": 0.1},
        {"id": "air", "from": "H", "to": "G", "mode": "air", "transit_days": 1, "departures": ["mon", "wed", "fri"],
         "cost_per_kg": 2.0, "volumetric_divisor": 6000, "capacity_kg_per_departure": 4.0},
        {"id": "lm", "from": "G", "to": "M", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.0},
        {"id": "sea", "from": "H", "to": "B", "mode": "sea", "transit_days": 30, "cost_per_kg": 0.5},
        {"id": "blm", "from": "B", "to": "M", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.0},
    ],
}
COLUMNS = ["shipment_id", "origin", "destination", "order_date", "weight_kg", "volume_cm3", "value", "sku",
           "quantity", "channel", "promise_days"]
ROWS = [
    ["S1", "F", "M", "2026-11-30", "1.5", "", "40", "A", "1", "any", ""],
    ["S2", "F", "M", "2026-12-01", "2.0", "12000", "80", "B", "2", "jit", "4"],
    ["S3", "F", "M", "2026-12-02", "0.5", "", "", "", "", "bonded", ""],
    ["S4", "F", "M", "2026-11-30", "3.0", "", "10", "A", "1", "", ""],
]
NODE_FIELDS = ["id", "kind", "country", "name", "lat", "lon", "handling_days", "handling_cost",
               "capacity_parcels_per_day", "storage_cost_per_kg_day", "dwell_days", "promise_days",
               "on_time_target", "late_penalty_per_day", "duty_rate", "de_minimis"]
LANE_FIELDS = ["id", "from", "to", "mode", "transit_days", "departures", "cost_per_kg", "cost_per_parcel",
               "volumetric_divisor", "capacity_kg_per_departure"]
TOP_FIELDS = ["epoch", "nodes", "lanes", "name", "currency", "description"]

NAN, INF = float("nan"), float("inf")
ODD_VALUES = [
    None, True, False, "", " ", "5", "2.5", "abc", "=1+1", "+x", "-x", "@x", "a>b", "a\tb", "a\nb", "x" * 201,
    "x" * 200, "ü", "Σ", [], {}, [1], {"a": 1}, 0, -1, 1, 2, 2.5, -0.0, 0.5, 1.0, 365, 366, 3650, 3651, 1e4, 1e6,
    1e6 + 1, 1e7, 1e9, 1e9 + 1, 1e12, 2e12, 1e200, 1e300, -1e300, 2**31, 2**32, 2**53 + 1, 2**63, 10**30, NAN,
    INF, -INF, "nan", "inf", "2026-11-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "1899-12-31",
    "2199-12-31", "20261130", "daily", "Daily", "mon", "monday", "fr", "wensday", "sundays", "mon; fri",
    "tues, thurs", ["fr"], ["mon", "wed"], ["daily"], ["sundays"], ["mon", 3], ["mon", "mon"], "factory", "hub",
    "gateway", "bonded", "market", "warehouse", "air", "truck", "sea", "last_mile", "boat", "F", "H", "G", "B",
    "M", "CN", "cn", "CHN",
]
values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)


# --------------------------------------------------------------------------- network mutations

# one mutation: (operation, target list, index, field, value)
network_mutation = st.tuples(
    st.sampled_from(["set", "set", "set", "delete", "unknown", "duplicate", "replace", "same-id", "top"]),
    st.sampled_from(["nodes", "lanes"]),
    st.integers(0, 9),
    st.integers(0, 99),
    values,
)


def mutate_network(mutations: list[tuple[str, str, int, int, Any]]) -> dict[str, Any]:
    net = copy.deepcopy(NETWORK)
    for op, which, index, pick, value in mutations:
        items = net.get(which)
        fields = NODE_FIELDS if which == "nodes" else LANE_FIELDS
        if op == "top":
            net[TOP_FIELDS[pick % len(TOP_FIELDS)]] = value
            continue
        if op == "delete" and pick % 10 == 0:  # sometimes a whole top-level key goes
            net.pop(TOP_FIELDS[pick % len(TOP_FIELDS)], None)
            continue
        if not isinstance(items, list) or not items:
            continue
        i = index % len(items)
        item = items[i]
        if op == "replace":
            items[i] = value
        elif op == "duplicate":
            items.append(copy.deepcopy(item))
        elif not isinstance(item, dict):
            continue
        elif op == "set":
            item[fields[pick % len(fields)]] = value
        elif op == "delete":
            item.pop(fields[pick % len(fields)], None)
        elif op == "unknown":
            item["colour" if pick % 2 else "capacity"] = value
        elif op == "same-id":
            other = items[pick % len(items)]
            if isinstance(other, dict):
                item["id"] = other.get("id")
    return net


def dump_network(net: dict[str, Any], as_json: bool) -> str | None:
    """The document as JSON or YAML text; None if the mutated value cannot be written (not a test case)."""
    try:
        if as_json:
            return json.dumps(net, allow_nan=True)
        return yaml.safe_dump(net, sort_keys=False, allow_unicode=True)
    except (ValueError, TypeError, yaml.YAMLError, RecursionError):
        return None


# --------------------------------------------------------------------------- shipment mutations

CELLS = [
    "", " ", "abc", "-1", "0", "1", "2", "0.0001", "1e-300", "1e308", "1e309", "-1e308", "nan", "NaN", "inf", "-inf",
    "Infinity", "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01",
    "2199-12-31", "2200-01-01", "2026-1-1", "20261130", "2026-11-30T00:00", "=1+1", "@SUM(A1)", "+1", "-x", "a>b",
    "F", "M", "H", "B", "G", "X", "jit", "bonded", "ANY", "Bonded", "foo", "1e5", "100000", "100000.0001", "1000000",
    "1000001", "1e9", "1000000001", "9e18", "9223372036854775808", "4294967296", "3000000000", "365", "366",
    "2.5", "1.0", "x" * 200, "x" * 201, "ü", "\t", "a\tb", "a\nb", '"', "0x10", "1_000", " 2 ", "1,5",
]
cells = st.one_of(st.sampled_from(CELLS), st.text(max_size=10), st.floats().map(repr), st.integers().map(str))

shipment_mutation = st.tuples(
    st.sampled_from(["cell", "cell", "cell", "cell", "ragged", "blank", "duplicate", "header", "drop-column",
                     "raw"]),
    st.integers(0, 99),
    st.integers(0, 99),
    cells,
)
RAW = ['"unterminated', "\ufeff", "\x00", ",,,,", "\r", "\n\n\n", "S9,F,M", "\udcff"]


def shipments_text(mutations: list[tuple[str, int, int, str]]) -> bytes:
    header, rows = list(COLUMNS), [list(r) for r in ROWS]
    raw: list[tuple[int, str]] = []
    for op, r, c, value in mutations:
        if op == "cell" and rows:
            row = rows[r % len(rows)]
            if row:
                row[c % len(row)] = value
        elif op == "ragged" and rows:
            row = rows[r % len(rows)]
            if c % 2 and row:
                row.pop()
            else:
                row.append(value)
        elif op == "blank":
            rows.insert(r % (len(rows) + 1), [])
        elif op == "duplicate" and rows:
            rows.append(list(rows[r % len(rows)]))
        elif op == "header":
            header[c % len(header)] = value if c % 3 else header[(c + 1) % len(header)]
        elif op == "drop-column" and header:
            k = c % len(header)
            header.pop(k)
            for row in rows:
                if len(row) > k:
                    row.pop(k)
        elif op == "raw":
            raw.append((r, RAW[c % len(RAW)]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(row)
    text = buf.getvalue()
    for r, piece in raw:
        at = r * len(text) // 100
        text = text[:at] + piece + text[at:]
    return text.encode("utf-8", errors="surrogateescape")


def default_shipments() -> bytes:
    return shipments_text([])


# --------------------------------------------------------------------------- one run


def validator_inputs(net: Path, ships: Path) -> tuple[Path, Path]:
    """The accepted inputs as the independent validator reads them, spelled out per docs/inputs.md:
    integer ids, ``from`` and ``to`` as text; the CSV decoded with its byte-order mark, blank lines
    skipped, cells trimmed. (The validator reads only the plain spelling.)"""
    doc = json.loads(net.read_text()) if net.suffix == ".json" else yaml.safe_load(net.read_text())
    for key in ("nodes", "lanes"):
        for item in doc.get(key) or []:
            for name in ("id", "from", "to"):
                if isinstance(item.get(name), int) and not isinstance(item.get(name), bool):
                    item[name] = str(item[name])
    plain_net = net.with_name("validator-network.yaml")
    plain_net.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with open(ships, encoding="utf-8-sig", newline="") as fh:
        rows = [[cell.strip() for cell in row] for row in csv.reader(fh) if row]
    plain_ships = ships.with_name("validator-shipments.csv")
    with open(plain_ships, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return plain_net, plain_ships


def check_run(kind: str, network_text: str, network_name: str, shipments: bytes) -> None:
    """Write the inputs, run ``routing plan`` in-process, and check its exit, stderr and files."""
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        net = tmp / network_name
        net.write_text(network_text, encoding="utf-8", errors="surrogateescape")
        ships = tmp / "shipments.csv"
        ships.write_bytes(shipments)
        out = tmp / "out"
        argv = ["plan", "--network", str(net), "--shipments", str(ships), "--out", str(out), "--quiet",
                "--time-limit", "5"]
        stdout, stderr = io.StringIO(), io.StringIO()
        COUNTS[kind] += 1
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = exc.code
        err = stderr.getvalue()
        COUNTS[f"{kind}: exit {code}"] += 1
        assert "Traceback" not in err + stdout.getvalue(), err
        assert code in (0, 2, 3, 4), f"exit {code!r}; stderr: {err[-2000:]!r}"
        if code == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith(PREFIX), f"stderr: {err[-2000:]!r}"
            assert not out.exists(), f"a refused run wrote {sorted(p.name for p in out.iterdir())}"
        else:
            assert err == "", err
            assert code == expected_exit(json.loads((out / "summary.json").read_text())), code
            validate_plan(*validator_inputs(net, ships), out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- the properties


@SETTINGS
@given(mutations=st.lists(network_mutation, min_size=1, max_size=3), as_json=st.booleans())
@example(mutations=[("set", "lanes", 1, 6, 1e200)], as_json=False)  # air cost_per_kg
@example(mutations=[("set", "nodes", 3, 10, 1e300)], as_json=False)  # B dwell_days
@example(mutations=[("set", "nodes", 4, 11, 3000000000)], as_json=True)  # M promise_days
@example(mutations=[("set", "nodes", 1, 8, NAN)], as_json=True)  # H capacity: NaN in JSON
@example(mutations=[("set", "lanes", 1, 5, ["fr"])], as_json=False)  # air departures
@example(mutations=[("same-id", "nodes", 0, 1, None)], as_json=False)  # F takes H's id
def test_malformed_network_is_refused_or_planned(mutations: list, as_json: bool) -> None:
    text = dump_network(mutate_network(mutations), as_json)
    if text is None:
        return
    check_run("network", text, "network.json" if as_json else "network.yaml", default_shipments())


@SETTINGS
@given(mutations=st.lists(shipment_mutation, min_size=1, max_size=4))
@example(mutations=[("cell", 0, 4, "1e308")])  # weight_kg
@example(mutations=[("cell", 1, 8, "9e18")])  # quantity
@example(mutations=[("cell", 2, 3, "0000-01-01")])  # order_date
@example(mutations=[("blank", 1, 0, "")])  # a blank line is skipped
@example(mutations=[("raw", 0, 1, "")])  # a byte-order mark
@example(mutations=[("ragged", 3, 0, "extra")])
def test_malformed_shipments_are_refused_or_planned(mutations: list) -> None:
    text = yaml.safe_dump(NETWORK, sort_keys=False)
    check_run("shipments", text, "network.yaml", shipments_text(mutations))


def test_the_unmutated_inputs_plan() -> None:
    """The base of both properties is a valid instance (so a mutation, not the base, decides each case)."""
    check_run("base", yaml.safe_dump(NETWORK, sort_keys=False), "network.yaml", default_shipments())
    assert COUNTS["base: exit 0"] == 1


def test_zz_cases_ran() -> None:
    """How many generated cases ran and how they ended (``pytest -rP`` prints it)."""
    print("fuzz cases:", dict(sorted(COUNTS.items())))
    for kind in ("network", "shipments"):
        if COUNTS[kind]:
            assert COUNTS[f"{kind}: exit 0"] > 0 and COUNTS[f"{kind}: exit 2"] > 0, dict(COUNTS)
