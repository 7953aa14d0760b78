"""`routing report` and `routing plan --report`: one self-contained HTML file with every section, nothing
fetched, the same bytes either way; refusals in one line; the charts from Python; rendered by headless
Chromium (screenshot, DOM, no console message, no request from the page)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from routing.cli import main
from routing.report.charts import CHARTS, figures, flow_map
from routing.report.report_data import ReportData

from .helpers import FIXTURES, plan, write_instance
from .test_rules import network, ship

SECTIONS = ("headline", "markets", "costs", "lanes", "nodes", "stock", "flows", "binding", "reasons")
MAX_BYTES = 5_000_000
CHROMIUM = shutil.which("chromium")
COORDS = {"F": (22.6, 114.0), "H": (22.6, 113.8), "G": (50.0, 8.6), "B": (50.6, 5.4), "M": (51.2, 10.4)}  # X: none


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "routing.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The bundled example planned once with `routing plan --report` (about 7 s)."""
    out = tmp_path_factory.mktemp("example") / "plan"
    code = main(["plan", "--network", str(FIXTURES / "network.yaml"),
                 "--shipments", str(FIXTURES / "example" / "shipments.csv"),
                 "--inventory", str(FIXTURES / "example" / "inventory.csv"), "--out", str(out), "--report", "--quiet"])
    assert code == 0
    return out


def small_network() -> dict:
    """The rules' network with lat/lon on every node but market X, and a tight air lane."""
    net = network(lane_air={"capacity_kg_per_departure": 2.0})
    for node in net["nodes"]:
        if node["id"] in COORDS:
            node["lat"], node["lon"] = COORDS[node["id"]]
    return net


@pytest.fixture
def small(tmp_path):
    ships = [ship(f"s{i}", sku="A" if i % 2 else "B", weight_kg=1.5) for i in range(6)]
    ships += [ship("nowhere", destination="X"), ship("bonded_only", channel="bonded", sku="Z")]
    return write_instance(tmp_path, small_network(), ships, [{"node": "B", "sku": "A", "units": 2},
                                                             {"node": "B", "sku": "B", "units": 1}])


class _Ids(HTMLParser):
    """Every id in a page, the tags met, and the ids of the sections with their first heading."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: set[str] = set()
        self.headed: dict[str, str] = {}
        self._section: str | None = None
        self._heading = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "section":
            self._section = a.get("id")
        self._heading = tag == "h2" and self._section is not None and self._section not in self.headed

    def handle_data(self, data):
        if self._heading and data.strip():
            self.headed[self._section] = data.strip()
            self._heading = False


def parse(html: str) -> _Ids:
    p = _Ids()
    p.feed(html)
    return p


def assert_self_contained(html: str) -> None:
    """No script, nothing to fetch: every src/href is a fragment or a data: URI, no url() or @import
    elsewhere, and no http(s) address but the SVG namespace declarations."""
    assert "<script" not in html.lower()
    for tag in ("<link", "<iframe", "<object", "<embed", "<base", "@import"):
        assert tag not in html.lower(), tag
    refs = re.findall(r"""\b(?:src|href|srcset|poster|action|xlink:href)\s*=\s*["']([^"']*)["']""", html, re.I)
    assert refs, "the page links its sections"
    bad = [r for r in refs if not (r.startswith("#") or r.startswith("data:"))]
    assert not bad, bad[:5]
    urls = re.findall(r"url\(\s*['\"]?([^)'\"]*)", html)
    assert all(u.startswith("#") or u.startswith("data:") for u in urls), urls[:5]
    without_ns = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", html)
    assert "http://" not in without_ns and "https://" not in without_ns
    assert not re.search(r"""["'(]\s*//""", without_ns)  # no protocol-relative address either


def test_plan_report_writes_a_self_contained_page_with_every_section(example):
    page = example / "report.html"
    html = page.read_text(encoding="utf-8")
    summary = json.loads((example / "summary.json").read_text())
    assert "report.html" not in summary["files"]  # derived from the plan's files, not one of them
    assert page.stat().st_size <= MAX_BYTES
    found = parse(html)
    for section in SECTIONS:
        assert section in found.headed, f"section {section} missing or without its heading"
    assert len(found.ids) == len(set(found.ids)), "ids are unique across the inlined charts"
    assert {f"chart-{name}" for name in CHARTS} <= set(found.ids)
    assert_self_contained(html)
    # the figures of the plan are in it
    assert f"{summary['objective']:,.2f}" in html
    for market in summary["markets"]:
        assert f"<td>{market}</td>" in html
    for reason in summary["reasons"]:
        assert f"<code>{reason}</code>" in html
    assert "SZX-LHR-air" in html  # a binding lane departure of the example, with its shadow price


def test_report_command_writes_the_same_bytes_as_plan_report(example, tmp_path):
    out = tmp_path / "again.html"
    proc = run("report", str(example), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out}"
    assert "report:" in proc.stderr and "MB" in proc.stderr  # the progress line
    assert out.read_bytes() == (example / "report.html").read_bytes()


@pytest.mark.parametrize("case", ["missing", "no_summary", "out_is_dir", "out_dir_missing"])
def test_report_refuses_in_one_line(tmp_path, example, case):
    target, extra = {
        "missing": (tmp_path / "nope", []),
        "no_summary": (tmp_path, []),
        "out_is_dir": (example, ["--out", str(tmp_path)]),
        "out_dir_missing": (example, ["--out", str(tmp_path / "no" / "r.html")]),
    }[case]
    before = sorted(tmp_path.rglob("*"))
    proc = run("report", str(target), *extra)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("routing: error: "), proc.stderr
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, no directory created


def test_small_plan_report_parquet_unplaced_node_and_stale_report(small):
    out = small.dir / "plan"
    args = ["plan", "--network", str(small.network), "--shipments", str(small.shipments), "--inventory",
            str(small.inventory), "--out", str(out), "--format", "parquet", "--gap", "0", "--quiet"]
    assert main([*args, "--report"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    found = parse(html)
    assert set(SECTIONS) <= set(found.headed)
    assert_self_contained(html)
    assert "1 node without lat/lon not drawn (X)" in html  # the flow map says what it left out
    assert "<code>no_route</code>" in html and "nowhere" in html  # the reason with its example id
    assert "<code>sku_not_stocked</code>" in html and "bonded_only" in html
    # a plan written again replaces its report, or removes the stale one
    assert main(args) == 0
    assert not (out / "report.html").exists()


def test_report_without_the_network_still_reports_and_says_why(small, tmp_path):
    plan(small, out="plan")
    summary = json.loads((small.dir / "plan" / "summary.json").read_text())
    assert "inputs" not in summary  # Result.write without inputs: the network is not known
    out = tmp_path / "r.html"
    assert main(["report", str(small.dir / "plan"), "--out", str(out), "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "does not record the network file" in html
    assert set(SECTIONS) <= set(parse(html).headed)


def test_charts_from_python(small, tmp_path):
    result = plan(small, out="plan")
    figs = result.charts()
    assert list(figs) == list(CHARTS)
    for name, fig in figs.items():
        assert isinstance(fig, Figure), name
        assert fig.axes, name
        fig.savefig(tmp_path / f"{name}.png")  # draws without pyplot
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    # the flow map places the nodes with lat/lon and names the one without
    title = figs["flows"].axes[0].get_title()
    assert "1 node without lat/lon not drawn (X)" in title
    # from a plan directory too, kg as the width, and a Result without its network
    assert main(["plan", "--network", str(small.network), "--shipments", str(small.shipments), "--out",
                 str(tmp_path / "dir"), "--quiet"]) == 0
    assert list(figures(tmp_path / "dir")) == list(CHARTS)
    assert "by kg" in flow_map(ReportData.of(tmp_path / "dir"), weight="kg").axes[0].get_title()
    bare = figures(result.without_warm_start())["flows"]
    assert "network is not at hand" in bare.axes[0].texts[0].get_text()
    with pytest.raises(TypeError):
        figures(42)


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", f"--user-data-dir={profile}", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=120)


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked the network for (its requests carry the file:// page as their site),
    from Chromium's net log; the browser's own background requests are not the page's."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"] if e["type"] == start
            and "file://" in e["params"].get("network_isolation_key", "")
            and not e["params"]["url"].startswith("file:")]


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "net::ERR" in line]


def _render(page: Path, tmp_path: Path) -> tuple[Path, list[str], list[str], str]:
    """Screenshot (1400 × 5000), console lines and page requests of ``page``, then its DOM."""
    shot, netlog = tmp_path / "shot.png", tmp_path / "net.json"
    proc = _chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,5000",
                     f"--log-net-log={netlog}", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = _chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    return shot, _console(proc.stderr + dom.stderr), _page_requests(netlog), dom.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (headless) on PATH; .ci/run installs it")
def test_chromium_renders_the_report(example, tmp_path):
    from PIL import Image

    shot, console, requests, dom = _render(example / "report.html", tmp_path)
    assert console == [], console
    assert requests == [], requests
    with Image.open(shot) as img:
        assert img.size == (1400, 5000)
        small = img.convert("RGB").resize((140, 500))
    colours = small.getcolors(maxcolors=140 * 500)
    assert len(colours) > 50  # charts and tables, not a blank or single-colour page
    white = {rgb: count for count, rgb in colours}.get((255, 255, 255), 0)
    assert white < 0.95 * 140 * 500
    found = parse(dom)
    assert set(SECTIONS) <= set(found.headed)
    assert sum(1 for i in found.ids if i.startswith("chart-")) == len(CHARTS)
    assert "svg" in found.tags


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (headless) on PATH; .ci/run installs it")
def test_chromium_checks_catch_a_console_error_and_a_request(tmp_path):
    """The two checks above are not vacuous: a page with a script error and an image to fetch trips both."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                    '<script>console.error("canary"); undefinedFunction();</script></body></html>')
    _, console, requests, _ = _render(page, tmp_path)
    assert any("canary" in line for line in console)
    assert any("Uncaught" in line for line in console)
    assert requests == ["http://127.0.0.1:9/x.png"]
