"""Grafana dashboard: panels show the gates as the serving pods see them, with the gates'
thresholds, and the SLO burn-rate recording rules the SLO alerts write; ids, uid and grid are
valid for Grafana."""

from __future__ import annotations

import json
import re

import pytest

from conftest import MINIMAL_SPEC, release_from
from shipgen.artifacts import JSON
from shipgen.facts import compute_facts
from shipgen.queries import gate_query
from shipgen.serialize import serialize
from shipgen.targets import SUPPORTING, grafana, slo_alerts

GATES_SPEC = MINIMAL_SPEC + """\
gates:
  - {name: errors, metric: error-rate, max: 0.02}
  - {name: slow, metric: latency, percentile: 95, max: 250}
  - {name: throughput, metric: custom, query: 'sum(rate(jobs_total{service="{{service}}"}[{{window}}]))', min: 5}
  - {name: dd, metric: custom, provider: datadog, query: 'avg:errors{service:web}', max: 1}
slos:
  - {name: availability, objective: 99.5, sli: errors, period: 28d}
  - {name: speed, objective: 99, sli: slow}
"""

FLAGGER = "platform: {controller: flagger, traffic: {provider: istio}}\nstrategy: {type: canary}\n"


def _release(write_spec, text):
    return release_from(write_spec(text))


def _dashboard(release):
    (artifact,) = grafana.render(release, compute_facts(release))
    assert artifact.path == "grafana/dashboard.json" and artifact.format == JSON
    return artifact.content


def _timeseries(dashboard):
    return {panel["title"].split(":")[0]: panel for panel in dashboard["panels"] if panel["type"] == "timeseries"}


@pytest.mark.parametrize("platform, selects, judged", [
    ("", 'service="web"', None),
    (FLAGGER, 'destination_workload="web-primary"', "web-canary"),
    ("platform: {controller: flagger, traffic: {provider: kubernetes}}\nstrategy: {type: blue-green}\n",
     'service="web-primary"', "web-canary"),
])
def test_gate_panels_query_the_serving_pods(write_spec, platform, selects, judged):
    release = _release(write_spec, GATES_SPEC + platform)
    panels = _timeseries(_dashboard(release))
    for name in ("errors", "slow"):
        (target,) = panels[f"Gate {name}"]["targets"]
        assert selects in target["expr"]
        assert target["expr"] == gate_query(release, release.gate(name), **slo_alerts.serving_selector(release))
        if judged:  # never the canary the rollout judges
            assert judged not in target["expr"]
    (custom,) = panels["Gate throughput"]["targets"]
    serving = "web-primary" if platform else "web"
    assert custom["expr"] == f'sum(rate(jobs_total{{service="{serving}"}}[1m]))'


def test_thresholds_are_the_gates_limits(write_spec):
    panels = _timeseries(_dashboard(_release(write_spec, GATES_SPEC)))

    def steps(title):
        defaults = panels[title]["fieldConfig"]["defaults"]
        assert defaults["custom"]["thresholdsStyle"]["mode"] == "line"
        return [(step["color"], step["value"]) for step in defaults["thresholds"]["steps"]]

    assert steps("Gate errors") == [("green", None), ("red", 0.02)]
    assert steps("Gate slow") == [("green", None), ("red", 250)]
    assert steps("Gate throughput") == [("red", None), ("green", 5)]
    assert panels["Gate errors"]["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert panels["Gate slow"]["fieldConfig"]["defaults"]["unit"] == "ms"


def test_gate_with_min_and_max_is_green_between(write_spec):
    spec = MINIMAL_SPEC + "gates:\n  - {name: band, metric: custom, query: 'up', min: 1, max: 3}\n"
    (panel,) = _timeseries(_dashboard(_release(write_spec, spec))).values()
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "red", "value": None}, {"color": "green", "value": 1}, {"color": "red", "value": 3}]


def test_only_prometheus_gates_and_ratio_slos_are_drawn(write_spec):
    panels = _timeseries(_dashboard(_release(write_spec, GATES_SPEC)))
    assert sorted(panels) == ["Gate errors", "Gate slow", "Gate throughput", "SLO availability"]


def test_slo_panel_reads_the_recorded_burn_rates(write_spec):
    release = _release(write_spec, GATES_SPEC + FLAGGER)
    panel = _timeseries(_dashboard(release))["SLO availability"]
    (rule,) = slo_alerts.render(release, compute_facts(release))
    recorded = [r for r in rule.content["spec"]["groups"][0]["rules"] if "record" in r]
    expected = []
    for record in recorded:
        labels = ", ".join(f'{key}="{value}"' for key, value in record["labels"].items())
        expected.append(f"{record['record']}{{{labels}}}")
    assert [target["expr"] for target in panel["targets"]] == expected
    assert expected[0] == 'shipgen:slo_error_ratio:rate5m{namespace="default", service="web", slo="availability"}'
    ref_ids = [target["refId"] for target in panel["targets"]]
    assert len(set(ref_ids)) == len(ref_ids)
    # 28-day budget 0.5%: ticket at 10% of it in 3 days, page at 2% of it in 1 hour
    steps = [step["value"] for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, pytest.approx(0.1 * 28 / 3 * 0.005), pytest.approx(0.02 * 28 * 24 * 0.005)]


def test_ids_unique_and_grid_within_24_columns(write_spec):
    dashboard = _dashboard(_release(write_spec, GATES_SPEC))
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids)
    cells = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["w"] >= 1 and grid["x"] + grid["w"] <= 24
        covered = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not covered & cells, f"panel {panel['title']} overlaps another"
        cells |= covered
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    assert dashboard["templating"]["list"][0]["query"] == "prometheus"
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"] if "datasource" in panel)
    assert dashboard["title"] == "web (production)" and dashboard["tags"] == ["shipgen", "web-team"]
    assert isinstance(dashboard["schemaVersion"], int)


@pytest.mark.parametrize("environment, name", [
    ("production", "web"),
    ("a-long-environment-name-for-qa", "a-service-name-that-is-quite-long-too"),
])
def test_uid_is_valid_and_stable(write_spec, environment, name):
    spec = GATES_SPEC.replace("{name: web, team: web-team}", f"{{name: {name}, team: web-team, environment: {environment}}}")
    release = _release(write_spec, spec)
    uid = _dashboard(release)["uid"]
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", uid)
    assert uid == _dashboard(_release(write_spec, spec))["uid"]
    assert uid.startswith(f"{environment}-{name}"[:20])


def test_uid_tells_environment_and_name_apart(write_spec):
    def uid(environment, name):
        spec = GATES_SPEC.replace("{name: web, team: web-team}",
                                  f"{{name: {name}, team: web-team, environment: {environment}}}")
        return _dashboard(_release(write_spec, spec))["uid"]

    assert uid("a-b", "c") != uid("a", "b-c")
    assert uid("staging", "web") != uid("production", "web")


def test_no_gates_no_dashboard(write_spec):
    assert not grafana.applies(_release(write_spec, MINIMAL_SPEC))
    datadog_only = MINIMAL_SPEC + "gates:\n  - {name: dd, metric: custom, provider: datadog, query: 'avg:x', max: 1}\n"
    assert not grafana.applies(_release(write_spec, datadog_only))


def test_not_on_other_platforms(write_spec):
    spec = GATES_SPEC + "platform: {kind: gcp-cloud-run, gcp: {project: shop-prod, region: europe-west1}}\n"
    release = _release(write_spec, spec)
    assert release.platform.kind != "kubernetes"
    assert not grafana.applies(release)


def test_registered_before_the_runbook():
    assert SUPPORTING.index("grafana") < SUPPORTING.index("runbook") == len(SUPPORTING) - 1


def test_snapshot(write_spec, snapshot):
    release = _release(write_spec, GATES_SPEC + FLAGGER)
    (artifact,) = grafana.render(release, compute_facts(release))
    text = serialize(artifact, release.source).decode()
    assert json.loads(text) == json.loads(json.dumps(artifact.content))
    assert text == snapshot


def test_runbook_points_at_the_dashboard_only_when_there_is_one(write_spec):
    from shipgen.targets import runbook

    def page(text):
        release = _release(write_spec, text)
        (artifact,) = runbook.render(release, compute_facts(release))
        return artifact.content

    assert "`production/web/grafana/dashboard.json`" in page(GATES_SPEC)
    assert "grafana" not in page(MINIMAL_SPEC).lower()
