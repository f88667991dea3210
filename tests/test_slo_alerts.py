"""SLO alerts: burn-rate thresholds follow from the objective and period, and the queries judge
the pods that serve users under each controller."""

from __future__ import annotations

import pytest

from conftest import MINIMAL_SPEC, release_from
from shipgen.facts import compute_facts
from shipgen.targets import slo_alerts

SLO_SPEC = MINIMAL_SPEC + """\
gates:
  - {name: errors, metric: error-rate, max: 0.01}
  - {name: slow, metric: latency, percentile: 95, max: 250}
slos:
  - {name: availability, objective: 99.5, sli: errors, period: 28d}
  - {name: speed, objective: 99, sli: slow}
"""


def _rule(write_spec, text):
    release = release_from(write_spec(text))
    (artifact,) = slo_alerts.render(release, compute_facts(release))
    return artifact.content


def test_burn_thresholds_follow_from_objective_and_period(write_spec):
    rule = _rule(write_spec, SLO_SPEC)
    availability = rule["spec"]["groups"][0]
    alerts = {a["labels"]["severity"]: a["expr"] for a in availability["rules"] if "alert" in a}
    budget = 0.005  # 1 - 99.5%
    period_h = 28 * 24
    # page: 2% of the budget in 1 h, 5% in 6 h; ticket: 10% in 1 d and in 3 d
    for severity, percent, long_h in (("page", 2, 1), ("page", 5, 6), ("ticket", 10, 24), ("ticket", 10, 72)):
        threshold = percent / 100 * period_h / long_h * budget
        assert f"> {threshold:.6g}" in alerts[severity]
    records = [r["record"] for r in availability["rules"] if "record" in r]
    assert records == [f"shipgen:slo_error_ratio:rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")]


def test_latency_slo_alerts_on_the_gate_maximum(write_spec):
    rule = _rule(write_spec, SLO_SPEC)
    (alert,) = rule["spec"]["groups"][1]["rules"]
    assert alert["expr"].endswith(") > 250") and "histogram_quantile(0.95" in alert["expr"]
    assert alert["for"] == "5m"


@pytest.mark.parametrize("controller, strategy, provider, selects", [
    ("deployment", "rolling", "kubernetes", 'service="web"'),
    ("flagger", "blue-green", "kubernetes", "web-primary"),
    ("flagger", "canary", "istio", 'destination_workload="web-primary"'),
    ("argo-rollouts", "canary", "kubernetes", 'service="web"'),
])
def test_alerts_judge_the_pods_that_serve(write_spec, controller, strategy, provider, selects):
    spec = SLO_SPEC + (f"platform: {{controller: {controller}, traffic: {{provider: {provider}}}}}\n"
                       f"strategy: {{type: {strategy}}}\n")
    rule = _rule(write_spec, spec)
    record = rule["spec"]["groups"][0]["rules"][0]["expr"]
    assert selects in record
    if controller == "flagger":
        assert 'service="web"' not in record and '"web"' not in record.replace('"web-primary"', "")


def test_no_slos_no_rule(write_spec):
    release = release_from(write_spec(MINIMAL_SPEC))
    assert not slo_alerts.applies(release)


def test_slos_measured_outside_prometheus_get_no_prometheus_rule(write_spec):
    spec = MINIMAL_SPEC + """\
gates:
  - {name: errors, metric: error-rate, max: 0.01}
  - {name: dd-errors, provider: datadog, query: "sum:trace.http.request.errors{service:web}", max: 5}
slos:
  - {name: availability, objective: 99.5, sli: errors}
  - {name: dd-availability, objective: 99, sli: dd-errors}
"""
    rule = _rule(write_spec, spec)
    assert [group["name"] for group in rule["spec"]["groups"]] == ["web-availability"]
    assert "trace.http" not in str(rule)
    only_datadog = spec.replace("  - {name: availability, objective: 99.5, sli: errors}\n", "")
    release = release_from(write_spec(only_datadog))
    assert slo_alerts.render(release, compute_facts(release)) == []
