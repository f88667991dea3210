"""SLO alerts: a Prometheus Operator `PrometheusRule` (monitoring.coreos.com/v1) per release
with multi-window, multi-burn-rate alerts for each SLO (targets-k8s.md §4.5; the windows and
factors of the Google SRE workbook, as Sloth and Pyrra emit them: peers.md §1.2).

An SLO measured by a ratio gate (`error-rate`, or a custom query returning a bad/total ratio)
gets one recording rule per window and two alerts: `page` when the budget burns fast (2% in an
hour or 5% in six hours of a 30-day period) and `ticket` when it burns slowly (10% in a day or in
three days). The burn factor is `budget share x period / long window`, so other periods scale.
A latency SLO (a percentile gate) has no ratio to burn: it gets a plain alert when the percentile
stays above the gate's maximum for five minutes.

The queries select the pods that really serve users under each controller, as its delivery
target says: Flagger's `<name>-primary` pods, the stable Service for Argo Rollouts and plain
Deployments.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..artifacts import Artifact
from ..durations import prometheus_duration
from ..model import Release, Slo
from .kubernetes.manifests import object_metadata

NAME = "slo-alerts"
RECORD_PREFIX = "shipgen:slo_error_ratio:rate"
LATENCY_FOR_S = 300  # a percentile above its maximum this long alerts


@dataclass(frozen=True)
class BurnWindow:
    severity: str  # page | ticket
    budget_percent: float  # share of the period's error budget consumed ...
    short_s: int  # ... as seen over the short window (confirms the burn is still going on)
    long_s: int  # ... and over the long window


BURN_WINDOWS = (
    BurnWindow("page", 2, 5 * 60, 3600),
    BurnWindow("page", 5, 30 * 60, 6 * 3600),
    BurnWindow("ticket", 10, 2 * 3600, 86400),
    BurnWindow("ticket", 10, 6 * 3600, 3 * 86400),
)


def applies(release: Release) -> bool:
    return release.platform.kind == "kubernetes" and bool(release.slos)


def render(release: Release, facts) -> list:
    groups = [group for group in (slo_group(release, slo) for slo in measured_slos(release)) if group["rules"]]
    if not groups:
        return []
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": object_metadata(release, f"{release.name}-slos"), "spec": {"groups": groups}}
    return [Artifact("prometheus/prometheusrule.yaml", rule)]


def serving_selector(release: Release) -> dict:
    """How a query finds the pods that serve users once a rollout is done: the delivery target
    says (`serving_query_target`, e.g. Flagger's `<name>-primary`); by default, the Service
    named after the release."""
    from . import delivery_target

    target = delivery_target(release)
    hook = getattr(target, "serving_query_target", None)
    return hook(release) if hook else {"service": release.name}


def burn_factor(window: BurnWindow, period_s: int) -> float:
    return window.budget_percent / 100 * period_s / window.long_s


def measured_slos(release: Release) -> tuple:
    """The SLOs Prometheus can alert on: those measured by a Prometheus gate (a Datadog, CloudWatch
    or New Relic query cannot go into a Prometheus rule)."""
    return tuple(slo for slo in release.slos if release.gate(slo.sli).provider == "prometheus")


def slo_group(release: Release, slo: Slo) -> dict:
    gate = release.gate(slo.sli)
    if gate.metric == "latency":  # no ratio to burn; without a maximum, nothing to alert on
        rules = [latency_alert(release, slo)] if gate.max is not None else []
        return {"name": f"{release.name}-{slo.name}", "rules": rules}
    return {"name": f"{release.name}-{slo.name}", "rules": recording_rules(release, slo) + burn_alerts(release, slo)}


def slo_labels(release: Release, slo: Slo) -> dict:
    return {"namespace": release.namespace, "service": release.name, "slo": slo.name}


def label_selector(labels: dict) -> str:
    inner = ", ".join(f'{key}="{value}"' for key, value in labels.items())
    return "{" + inner + "}"


def recorded_windows() -> list:
    return sorted({seconds for window in BURN_WINDOWS for seconds in (window.short_s, window.long_s)})


def recording_rules(release: Release, slo: Slo) -> list:
    from ..queries import gate_query

    gate = release.gate(slo.sli)
    return [{"record": f"{RECORD_PREFIX}{prometheus_duration(seconds)}",
             "expr": gate_query(release, gate._replace(window_s=seconds), **serving_selector(release)),
             "labels": slo_labels(release, slo)} for seconds in recorded_windows()]


def burn_threshold(window: BurnWindow, slo: Slo) -> str:
    """The error ratio above which `window` burns the SLO's budget too fast, as PromQL writes it."""
    return f"{burn_factor(window, slo.period_s) * (1 - slo.objective / 100):.6g}"


def burn_condition(slo: Slo, severity: str, ratio_over, windows: tuple = BURN_WINDOWS) -> str:
    """The multi-window condition of one severity: for any of its windows, the error ratio above
    the threshold over both the short and the long window. `ratio_over(seconds)` is the PromQL of
    the error ratio over that many seconds (a recorded series, or the query itself)."""
    conditions = []
    for window in (w for w in windows if w.severity == severity):
        threshold = burn_threshold(window, slo)
        conditions.append(f"({ratio_over(window.short_s)} > {threshold} and {ratio_over(window.long_s)} > {threshold})")
    return " or ".join(conditions)


def burn_alerts(release: Release, slo: Slo) -> list:
    selector = label_selector(slo_labels(release, slo))
    alerts = []
    for severity in ("page", "ticket"):
        alerts.append({
            "alert": f"{_camel(release.name)}{_camel(slo.name)}ErrorBudgetBurn",
            "expr": burn_condition(slo, severity,
                                   lambda seconds: f"{RECORD_PREFIX}{prometheus_duration(seconds)}{selector}"),
            "labels": {"severity": severity, "team": release.metadata.team},
            "annotations": {
                "summary": f"{release.name}: {slo.name} SLO ({slo.objective:g}%) is burning its error budget",
                "description": f"The error ratio measured by gate {slo.sli} would exhaust the "
                               f"{prometheus_duration(slo.period_s)} error budget early "
                               f"({'fast burn: act now' if severity == 'page' else 'slow burn: plan a fix'}).",
                "runbook": f"{release.output_dir}/RUNBOOK.md",
            },
        })
    return alerts


def latency_alert(release: Release, slo: Slo) -> dict:
    from ..queries import gate_query

    gate = release.gate(slo.sli)
    limit = f"{gate.max:g}"
    return {
        "alert": f"{_camel(release.name)}{_camel(slo.name)}LatencyHigh",
        "expr": f"({gate_query(release, gate, **serving_selector(release))}) > {limit}",
        "for": prometheus_duration(LATENCY_FOR_S),
        "labels": {"severity": "page", "team": release.metadata.team},
        "annotations": {
            "summary": f"{release.name}: p{gate.percentile:g} latency above {limit} ms ({slo.name} SLO)",
            "description": f"Gate {gate.name} has been above its maximum for {LATENCY_FOR_S // 60} minutes.",
            "runbook": f"{release.output_dir}/RUNBOOK.md",
        },
    }


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
