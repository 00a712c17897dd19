"""The Grafana dashboard (deploy/grafana/sluice.json) against the metrics a server emits.

Grafana is not packaged in Debian 12, so the dashboard is not rendered here; Prometheus is
(Debian's `prometheus`), so its queries are run for real:

  * test_dashboard_queries_on_a_live_server: a server plays the demo path to a live viewer
    (sluice-load, WHEP).
    1. Its /metrics is scraped; every metric name in every dashboard expression and
       template query must be in it, with every label the expression selects or groups by
       (Prometheus' own `instance`/`job` aside).
    2. Debian's Prometheus scrapes it with deploy/prometheus/prometheus.yml (target and
       interval pointed at the test server); every panel expression, with Grafana's
       variables filled in ($instance, $path = all, $__rate_interval = 5s), evaluates
       without error to a non-empty result, and every template variable has values.
    The dashboard covers what issue 11 asks for: paths ready, viewers per path, egress
    Mbit/s and packets, NACK retransmissions, source loss, CPU/RSS/threads.
  * test_dashboard_layout: unique panel ids, a grid without overlaps, every query on the
    dashboard's datasource variable, every panel described.
  * test_provisioning_and_scrape_example: the Grafana provisioning files and the
    Prometheus example point at each other and at the dashboard as compose.yml mounts them;
    `promtool check config` accepts the example.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sluice_e2e as e2e  # noqa: E402

DEPLOY = e2e.SOURCE_DIR / "deploy"
DASHBOARD = DEPLOY / "grafana" / "sluice.json"
LOAD_BIN = Path(os.environ.get("SLUICE_LOAD") or e2e.BUILD_DIR / "bench" / "sluice-load")
PROMETHEUS_LABELS = {"instance", "job"}  # added by Prometheus at scrape time
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan"}


# --------------------------------------------------------------------------------------
# The dashboard's expressions


def dashboard_queries(doc: dict) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and template variable query."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((f"panel {p.get('title')!r} {t.get('refId')}", t["expr"]))
            walk(p.get("panels", []))

    walk(doc.get("panels", []))
    for v in doc.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") == "query" and q:
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q.strip())
            assert m, f"variable {v['name']}: unexpected query {q!r}"
            out.append((f"variable {v['name']}", f"group by ({m.group(2)}) ({m.group(1)})"))
    return out


def metrics_and_labels(expr: str) -> tuple[dict[str, set[str]], set[str]]:
    """The metric names of a PromQL expression, each with the label names its selectors
    match on; and the label names of its by/without/on/ignoring clauses."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals (label values, $vars)
    e = re.sub(r"\[[^\]]*\]", "", e)  # range selectors, [$__rate_interval]
    grouping: set[str] = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        grouping |= {x.strip() for x in m.group(1).split(",") if x.strip()}
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    metrics: dict[str, set[str]] = {}
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", e):
        metrics.setdefault(m.group(1), set()).update(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", m.group(2)))
    bare = re.sub(r"\{[^}]*\}", " ", e)
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\b(\s*\()?", bare):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in PROMQL_WORDS:
            continue  # a function or a keyword
        metrics.setdefault(name, set())
    return metrics, grouping


def test_expression_parser_on_known_cases():
    m, g = metrics_and_labels('sum by (name) (rate(paths_outbound_bytes{instance=~"$i",name=~"$p"}[$__rate_interval])) * 8 / 1e6')
    assert m == {"paths_outbound_bytes": {"instance", "name"}} and g == {"name"}
    m, g = metrics_and_labels('count(paths{state="ready"}) or vector(0)')
    assert m == {"paths": {"state"}} and g == set()
    m, _ = metrics_and_labels("sum(rate(a_total[5m])) / sum(rate(b_total[5m]))")
    assert set(m) == {"a_total", "b_total"}


# --------------------------------------------------------------------------------------
# What the server emits


def parse_exposition(text: str) -> dict[str, set[str]]:
    """metric name -> label names seen on its samples."""
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})? \S+$", line)
        assert m, f"malformed metrics line {line!r}"
        out.setdefault(m.group(1), set()).update(re.findall(r'(\w+)="', m.group(2) or ""))
    return out


def grafana_to_promql(expr: str) -> str:
    """A panel expression as Grafana sends it with every server and path selected."""
    return expr.replace("$__rate_interval", "5s").replace("$instance", ".*").replace("$path", ".*")


def prometheus_checks(doc: dict, metrics_port: int, tmp_path: Path, attach_log) -> None:
    """Debian's Prometheus scrapes the server with the shipped example config and runs
    every dashboard query."""
    import yaml  # noqa: PLC0415
    if not shutil.which("prometheus"):
        pytest.fail("prometheus is missing: scripts/install-deps.sh test installs Debian's prometheus")
    conf = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    conf["global"].update({"scrape_interval": "1s", "scrape_timeout": "1s"})
    conf["scrape_configs"][0]["static_configs"] = [{"targets": [f"{e2e.LOOPBACK}:{metrics_port}"]}]
    conf_path = tmp_path / "prometheus.yml"
    conf_path.write_text(yaml.safe_dump(conf))
    port = e2e.free_port()
    prom = e2e.Proc("prometheus", ["prometheus", f"--config.file={conf_path}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                   f"--web.listen-address={e2e.LOOPBACK}:{port}", "--log.level=warn"],
                    tmp_path / "prometheus.log").start()
    attach_log("prometheus log", prom.log_path)
    api = f"http://{e2e.LOOPBACK}:{port}/api/v1"

    def query(q: str) -> dict:
        r = requests.get(f"{api}/query", params={"query": q}, timeout=5)
        doc = r.json()
        assert r.status_code == 200 and doc.get("status") == "success", f"{q}: HTTP {r.status_code} {doc}"
        return doc["data"]

    try:
        # Until 6 s of scrapes are stored (rate() over 5 s needs two samples).
        samples = 0
        for _ in e2e.deadline_loop(30, 0.5):
            assert prom.alive(), e2e.tail(prom.log_path)
            try:
                res = query('count_over_time(up{job="sluice"}[10s])')["result"]
            except (requests.RequestException, ValueError):
                continue
            samples = int(float(res[0]["value"][1])) if res else 0
            if samples >= 6:
                break
        assert samples >= 6, f"Prometheus stored {samples} scrapes of the server in 30 s"
        assert query('up{job="sluice"}')["result"][0]["value"][1] == "1"

        problems = []
        for where, expr in dashboard_queries(doc):
            if where.startswith("variable"):
                continue
            q = grafana_to_promql(expr)
            try:
                result = query(q)["result"]
            except AssertionError as e:
                problems.append(f"{where}: {e}")
                continue
            if not result:
                problems.append(f"{where}: {q} returned nothing")
        for v in doc["templating"]["list"]:
            if v.get("type") != "query":
                continue
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", v["query"]["query"].strip())
            r = requests.get(f"{api}/label/{m.group(2)}/values", params={"match[]": grafana_to_promql(m.group(1))},
                             timeout=5).json()
            if r.get("status") != "success" or not r.get("data"):
                problems.append(f"variable {v['name']}: {v['query']['query']} has no values ({r})")
        assert not problems, "\n".join(problems)
    finally:
        prom.stop(grace=5)


@pytest.mark.skipif(not LOAD_BIN.exists(), reason=f"{LOAD_BIN} is not built (target sluice-load)")
def test_dashboard_queries_on_a_live_server(server_factory, tmp_path, attach_log):
    doc = json.loads(DASHBOARD.read_text())
    assert doc.get("uid") == "sluice" and doc.get("title") == "Sluice"
    queries = dashboard_queries(doc)
    titles = " | ".join(p.get("title", "") for p in doc["panels"]).lower()
    for topic in ("paths ready", "viewers per path", "egress mbit/s", "egress packets/s", "nack",
                  "source packet loss", "cpu", "resident memory", "threads"):
        assert topic in titles, f"the dashboard has no panel about {topic!r}: {titles}"

    metrics_port = e2e.free_port()
    srv = server_factory({"demo": {"source": "demo"}}, log_level="info",
                         extra={"metrics": True, "metricsAddress": f"{e2e.LOOPBACK}:{metrics_port}"})
    srv.wait_path("demo", True, 20)
    viewer = e2e.Proc("viewer", [LOAD_BIN, "--url", srv.url("/demo/whep"), "--sessions", "1", "--seconds", "60",
                                 "--json", tmp_path / "viewer.json"], tmp_path / "viewer.log").start()
    attach_log("viewer log", viewer.log_path)
    try:
        emitted: dict[str, set[str]] = {}
        for _ in e2e.deadline_loop(15, 0.5):
            srv.assert_alive()
            r = requests.get(f"http://{e2e.LOOPBACK}:{metrics_port}/metrics", timeout=5)
            assert r.status_code == 200, r.text[:500]
            emitted = parse_exposition(r.text)
            if "webrtc_sessions_inbound_rtcp_packets" in emitted and re.search(
                    r'^paths_readers\{name="demo",readerType="webRTCSession",state="ready"\} 1$', r.text, re.M):
                break
        else:
            pytest.fail(f"no live viewer in /metrics within 15 s:\n{r.text[:4000]}")
        check_names(doc, queries, emitted)
        prometheus_checks(doc, metrics_port, tmp_path, attach_log)
    finally:
        viewer.stop(grace=3)


def check_names(doc: dict, queries: list[tuple[str, str]], emitted: dict[str, set[str]]) -> None:
    problems = []
    used = set()
    for where, expr in queries:
        metrics, grouping = metrics_and_labels(expr)
        assert metrics, f"{where}: no metric found in {expr!r}"
        for name, labels in metrics.items():
            used.add(name)
            if name not in emitted:
                problems.append(f"{where}: metric {name!r} is not emitted")
                continue
            for label in labels - PROMETHEUS_LABELS:
                if label not in emitted[name]:
                    problems.append(f"{where}: {name} has no label {label!r} (has {sorted(emitted[name])})")
        have = set().union(*(emitted.get(n, set()) for n in metrics)) | PROMETHEUS_LABELS
        for label in grouping - have:
            problems.append(f"{where}: groups by {label!r}, which none of {sorted(metrics)} carries")
    assert not problems, "\n".join(problems)
    print(f"{len(queries)} dashboard queries over {len(used)} metrics, all emitted: {sorted(used)}")


def test_dashboard_layout():
    """What Grafana needs to lay the dashboard out as written: unique panel ids, every
    panel inside the 24-column grid, no two panels on the same cells, every query on the
    dashboard's Prometheus datasource variable."""
    doc = json.loads(DASHBOARD.read_text())
    panels = []

    def walk(ps):
        for p in ps:
            panels.append(p)
            walk(p.get("panels", []))

    walk(doc["panels"])
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {ids}"
    cells = {}
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24 and g["h"] > 0, (p["title"], g)
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps {cells[(x, y)]!r} at {(x, y)}"
                cells[(x, y)] = p["title"]
        if p["type"] != "row":
            assert p.get("description"), f"panel {p['title']!r} has no description"
            for t in p["targets"]:
                assert t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (p["title"], t)
    names = [v["name"] for v in doc["templating"]["list"]]
    assert names == ["datasource", "instance", "path"], names


def test_provisioning_and_scrape_example():
    import yaml  # noqa: PLC0415  (python3-yaml, scripts/install-deps.sh test)
    compose = yaml.safe_load((DEPLOY / "container" / "compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"sluice", "prometheus", "grafana"}
    mounts = {s: [v.split(":")[:2] for v in svc.get("volumes", []) if v.startswith(".")] for s, svc in services.items()}
    base = DEPLOY / "container"
    for svc, pairs in mounts.items():
        for src, _ in pairs:
            assert (base / src).resolve().exists(), f"{svc} mounts {src}, which does not exist"
    dash_dir = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/sluice.yml").read_text())["providers"][0]["options"]["path"]
    assert [str(DASHBOARD), f"{dash_dir}/sluice.json"] in [[str((base / s).resolve()), d] for s, d in mounts["grafana"]]
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"][0]
    assert ds["type"] == "prometheus" and ds["url"].endswith(":9090")
    prom = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    job = prom["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["127.0.0.1:9998"], "compose runs Sluice's default metricsAddress"
    conf = (DEPLOY / "package" / "sluice.yml").read_text()
    assert re.search(r"^metricsAddress: :9998$", conf, re.M) and re.search(r"^metrics: yes$", conf, re.M)
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "config", str(DEPLOY / "prometheus/prometheus.yml")],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr
