"""Cloud Monitoring: a dashboard and alert policies from the gates and SLOs, for the GCP
platforms (Cloud Run, Cloud Deploy on Cloud Run or GKE, Traffic Director), opted in with
`platform.gcp.monitoring`.

Emits, as the gcloud commands take them (Cloud Monitoring API: Dashboard v1 for
`gcloud monitoring dashboards create --config-from-file`, AlertPolicy v3 for
`gcloud monitoring policies create --policy-from-file`), every query PromQL on Cloud Monitoring:

- `cloud-monitoring/dashboard.json`: a mosaic layout with, for Cloud Run, the requests per
  revision and response class (the canary and the stable revision side by side; a new revision's
  line starting is the deployment's mark, since dashboards cannot draw Cloud Run deployments as
  annotations); one chart per gate with one series per version (Cloud Run: per `revision_name`;
  Traffic Director: the new and the live backend service; Cloud Deploy on GKE: the `<name>-canary`
  Service Cloud Deploy creates during the phases, and the stable one)
  and the gate's bounds as thresholds; per SLO measured by an error ratio, the burn rate over
  each burn-rate window with the alert factors as thresholds, and a scorecard of the error budget
  remaining over the SLO's period.
- `cloud-monitoring/alert-policy-slo-<slo>-<page|ticket>.json`: the multi-window, multi-burn-rate
  alerts of `slo_alerts` (the same `BURN_WINDOWS` and thresholds), the error ratios inlined (Cloud
  Monitoring has no recording rules).
- `cloud-monitoring/alert-policy-gate-<gate>.json`: the gate's query on the version serving users
  outside its bounds for `slo_alerts.LATENCY_FOR_S`.

The queries are those the rollout judges: Cloud Run's gates from `cloud_run.gate_query`
(`run.googleapis.com/request_count` and `request_latencies`), the others from `queries.gate_query`
with the delivery target's selection. Notification channels come from
`platform.gcp.monitoring.notificationChannels`. Follows `../shared/docs/targets-cloud.md` §9-§10.
"""

from __future__ import annotations

from ...artifacts import JSON, Artifact
from ...durations import human, prometheus_duration
from ...model import Release
from ...procedure import Step
from ...shell import command
from ..gcp_azure.common import gcp_labels

NAME = "gcp-monitoring"
FOLDER = "cloud-monitoring"
COLUMNS = 48  # the mosaic grid's width (1-48)
TILE_WIDTH, TILE_HEIGHT = 24, 16
EVALUATION_INTERVAL_S = 60
SEVERITIES = {"page": "CRITICAL", "ticket": "WARNING"}


def applies(release: Release) -> bool:
    gcp = release.platform.gcp
    return gcp is not None and gcp.monitoring is not None and bool(charted_gates(release) or cloud_run_metrics(release))


def render(release: Release, facts) -> list:
    artifacts = [Artifact(f"{FOLDER}/dashboard.json", dashboard(release), JSON)]
    artifacts += [Artifact(f"{FOLDER}/{name}.json", policy, JSON) for name, policy in alert_policies(release)]
    return artifacts


# ---------------------------------------------------------------------------- what is measured


def cloud_run_metrics(release: Release) -> bool:
    """Cloud Run's own metrics measure the built-in gates (Cloud Run, and Cloud Deploy to Cloud Run)."""
    gcp = release.platform.gcp
    kind = release.platform.kind
    return kind == "gcp-cloud-run" or (kind == "gcp-cloud-deploy" and gcp.cloud_deploy.runtime == "cloud-run")


def measured(release: Release, gate) -> bool:
    if gate.provider != "prometheus":
        return False
    if cloud_run_metrics(release):
        return gate.query is None and gate.metric in ("error-rate", "latency")
    if release.platform.kind == "gcp-traffic-director":  # no built-in metric per backend service
        return gate.query is not None
    return True  # GKE: Managed Service for Prometheus, the Kubernetes queries


def charted_gates(release: Release) -> list:
    return [gate for gate in release.gates if measured(release, gate)]


def ratio_slos(release: Release) -> list:
    """SLOs whose SLI is an error ratio this module can query."""
    gates = {gate.name: gate for gate in charted_gates(release)}
    return [slo for slo in release.slos if slo.sli in gates and gates[slo.sli].metric != "latency"]


def version_series(release: Release, gate) -> list:
    """(legend, PromQL) per version for the dashboard: canary vs stable."""
    from ... import queries
    from . import cloud_run

    if cloud_run_metrics(release):
        return [("${revision_name}", cloud_run.gate_query(release, gate, revision="", by="revision_name"))]
    if release.platform.kind == "gcp-traffic-director":
        director = release.platform.gcp.traffic_director
        return [(f"{service.name} ({label})", queries.gate_query(release, gate, service=service.name))
                for service, label in ((director.new_backend, "new"), (director.live_backend, "live"))]
    # Cloud Deploy on GKE: the phases run `<name>-canary` copies of the Deployment and Service
    return [(f"{release.name}-canary (canary)", queries.gate_query(release, gate, service=f"{release.name}-canary")),
            (f"{release.name} (stable)", serving_query(release, gate, gate.window_s))]


def serving_query(release: Release, gate, window_s: int) -> str:
    """The gate's PromQL over `window_s` on what serves users once the release is done."""
    from ... import queries
    from ..slo_alerts import serving_selector
    from . import cloud_run

    gate = gate._replace(window_s=window_s)
    if cloud_run_metrics(release):
        return cloud_run.gate_query(release, gate, revision="")
    return queries.gate_query(release, gate, **serving_selector(release))


# ---------------------------------------------------------------------------- dashboard


def dashboard(release: Release) -> dict:
    widgets = [intro_widget(release)]
    if cloud_run_metrics(release):
        widgets.append(requests_widget(release))
    widgets += [gate_widget(release, gate) for gate in charted_gates(release)]
    for slo in ratio_slos(release):
        widgets += [burn_rate_widget(release, slo), budget_widget(release, slo)]
    return {"displayName": f"{release.name} ({release.metadata.environment})", "labels": gcp_labels(release),
            "mosaicLayout": {"columns": COLUMNS, "tiles": tiles(widgets)}}


def tiles(widgets: list) -> list:
    per_row = COLUMNS // TILE_WIDTH
    return [{"xPos": (index % per_row) * TILE_WIDTH, "yPos": (index // per_row) * TILE_HEIGHT,
             "width": TILE_WIDTH, "height": TILE_HEIGHT, "widget": widget} for index, widget in enumerate(widgets)]


def intro_widget(release: Release) -> dict:
    lines = [f"**{release.name}** in {release.metadata.environment}, team {release.metadata.team}: the gates that "
             "decide its rollouts and its SLOs, generated by shipgen.", ""]
    lines += [f"- gate `{gate.name}`: {gate_words(gate)}" for gate in charted_gates(release)]
    lines += [f"- SLO `{slo.name}`: {slo.objective:g}% over {human(slo.period_s)}, measured by gate `{slo.sli}`"
              for slo in release.slos]
    lines += ["", f"Alert policies: `{FOLDER}/alert-policy-*.json`; procedure: `RUNBOOK.md`."]
    return {"title": "About", "text": {"content": "\n".join(lines), "format": "MARKDOWN"}}


def gate_words(gate) -> str:
    from ...queries import threshold_text

    what = {"error-rate": "share of 5xx answers", "latency": f"p{gate.percentile:g} latency (ms)"}.get(
        gate.metric, "custom query")
    bounds = threshold_text(gate) if gate.min is not None or gate.max is not None else "no bounds"
    return f"{what}, passes while {bounds}, over {human(gate.window_s)}"


def requests_widget(release: Release) -> dict:
    selector = f'monitored_resource="cloud_run_revision",service_name="{release.name}"'
    query = (f"sum by (revision_name, response_code_class) "
             f"(rate(run_googleapis_com:request_count{{{selector}}}[1m]))")
    return {"title": "Requests per second by revision and response class (a new revision's line is its deployment)",
            "xyChart": {"dataSets": [dataset(query, "${revision_name} ${response_code_class}",
                                             "STACKED_AREA")],
                        "yAxis": {"label": "requests/s", "scale": "LINEAR"}, "chartOptions": {"mode": "COLOR"}}}


def dataset(query: str, legend: str, plot: str = "LINE") -> dict:
    return {"timeSeriesQuery": {"prometheusQuery": query}, "plotType": plot, "legendTemplate": legend,
            "targetAxis": "Y1"}


def threshold(value: float, label: str, direction: str, color: str = "RED") -> dict:
    return {"label": label, "value": value, "color": color, "direction": direction, "targetAxis": "Y1"}


def gate_widget(release: Release, gate) -> dict:
    limits = []
    if gate.max is not None:
        limits.append(threshold(gate.max, f"{gate.name} max", "ABOVE"))
    if gate.min is not None:
        limits.append(threshold(gate.min, f"{gate.name} min", "BELOW"))
    chart = {"dataSets": [dataset(query, legend) for legend, query in version_series(release, gate)],
             "yAxis": {"label": {"error-rate": "5xx ratio", "latency": "ms"}.get(gate.metric, gate.name),
                       "scale": "LINEAR"},
             "chartOptions": {"mode": "COLOR"}}
    if limits:
        chart["thresholds"] = limits
    return {"title": f"Gate {gate.name} per version: {gate_words(gate)}", "xyChart": chart}


def burn_rate_widget(release: Release, slo) -> dict:
    from ..slo_alerts import BURN_WINDOWS, burn_factor, recorded_windows

    gate = release.gate(slo.sli)
    budget = 1 - slo.objective / 100
    sets = [dataset(f"({serving_query(release, gate, seconds)}) / {budget:.6g}", f"over {prometheus_duration(seconds)}")
            for seconds in recorded_windows()]
    factors = sorted({float(f"{burn_factor(window, slo.period_s):.6g}") for window in BURN_WINDOWS}, reverse=True)
    return {"title": f"SLO {slo.name}: burn rate (1 = the budget lasts exactly {human(slo.period_s)})",
            "xyChart": {"dataSets": sets, "thresholds": [threshold(factor, f"{factor:g}x", "ABOVE", "ORANGE")
                                                         for factor in factors],
                        "yAxis": {"label": "burn rate", "scale": "LINEAR"}, "chartOptions": {"mode": "COLOR"}}}


def budget_widget(release: Release, slo) -> dict:
    gate = release.gate(slo.sli)
    budget = 1 - slo.objective / 100
    query = f"100 * (1 - ({serving_query(release, gate, slo.period_s)}) / {budget:.6g})"
    return {"title": f"SLO {slo.name}: error budget remaining (%, last {human(slo.period_s)})",
            "scorecard": {"timeSeriesQuery": {"prometheusQuery": query},
                          "thresholds": [{"value": 25, "color": "YELLOW", "direction": "BELOW", "label": "25%"},
                                         {"value": 0, "color": "RED", "direction": "BELOW", "label": "exhausted"}],
                          "sparkChartView": {"sparkChartType": "SPARK_LINE"}}}


# ---------------------------------------------------------------------------- alert policies


def alert_policies(release: Release) -> list:
    """(file name without .json, AlertPolicy), in a stable order."""
    policies = []
    for slo in ratio_slos(release):
        for severity in SEVERITIES:
            policies.append((f"alert-policy-slo-{slo.name}-{severity}", burn_policy(release, slo, severity)))
    for gate in charted_gates(release):
        if gate.min is not None or gate.max is not None:
            policies.append((f"alert-policy-gate-{gate.name}", gate_policy(release, gate)))
    return policies


def policy(release: Release, name: str, severity: str, condition_name: str, query: str, duration_s: int,
           content: str) -> dict:
    labels = {**gcp_labels(release), "severity": severity}
    result = {
        "displayName": f"{release.name} ({release.metadata.environment}): {name}",
        "documentation": {"content": content + f"\n\nProcedure: `{release.output_dir}/RUNBOOK.md`.",
                          "mimeType": "text/markdown"},
        "userLabels": labels,
        "combiner": "OR",
        "conditions": [{"displayName": name, "conditionPrometheusQueryLanguage": {
            "query": query, "duration": f"{duration_s}s", "evaluationInterval": f"{EVALUATION_INTERVAL_S}s",
            "ruleGroup": release.name.replace("-", "_"), "alertRule": condition_name, "labels": {"severity": severity}}}],
        "severity": SEVERITIES.get(severity, "WARNING"),
        "enabled": True,
    }
    channels = release.platform.gcp.monitoring.notify
    if channels:
        result["notificationChannels"] = list(channels)
    return result


def burn_policy(release: Release, slo, severity: str) -> dict:
    from ..slo_alerts import burn_condition

    gate = release.gate(slo.sli)
    query = burn_condition(slo, severity, lambda seconds: f"({serving_query(release, gate, seconds)})")
    speed = "fast burn: act now" if severity == "page" else "slow burn: plan a fix"
    return policy(release, f"SLO {slo.name} error budget burn ({severity})", severity,
                  f"{_camel(release.name)}{_camel(slo.name)}ErrorBudgetBurn", query, 0,
                  f"The error ratio measured by gate `{slo.sli}` would exhaust the {human(slo.period_s)} error budget "
                  f"of SLO `{slo.name}` ({slo.objective:g}%) early ({speed}).")


def gate_policy(release: Release, gate) -> dict:
    from ..slo_alerts import LATENCY_FOR_S

    query = serving_query(release, gate, gate.window_s)
    outside = [f"({query}) > {gate.max:g}"] if gate.max is not None else []
    outside += [f"({query}) < {gate.min:g}"] if gate.min is not None else []
    return policy(release, f"gate {gate.name} outside its bounds", "page" if gate.name in release.rollback.on
                  else "ticket", f"{_camel(release.name)}{_camel(gate.name)}GateOutOfBounds", " or ".join(outside),
                  LATENCY_FOR_S, f"Gate `{gate.name}` ({gate_words(gate)}) has been outside its bounds for "
                  f"{human(LATENCY_FOR_S)} on the version serving users.")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


# ---------------------------------------------------------------------------- runbook


def runbook_steps(release: Release) -> tuple:
    project = release.platform.gcp.project
    steps = [Step(f"Create the Cloud Monitoring dashboard (requests and gates per version, burn rate, error budget "
                  f"left) once; later releases update it with `gcloud monitoring dashboards update`.",
                  command("gcloud", "monitoring", "dashboards", "create", f"--project={project}",
                          f"--config-from-file={FOLDER}/dashboard.json"))]
    names = [name for name, _ in alert_policies(release)]
    if not names:
        steps.append(Step("No alert policy: no gate or SLO of this release is measured by the metrics Cloud Monitoring "
                          "has for the platform (see the README's monitoring section)."))
    else:
        steps.append(Step("Create the alert policies (SLO burn rates: page and ticket; gates outside their bounds)"
                          + ("" if release.platform.gcp.monitoring.notify else
                             "; add notification channels in the console or in platform.gcp.monitoring") + ".",
                          "\n".join(command("gcloud", "monitoring", "policies", "create", f"--project={project}",
                                            f"--policy-from-file={FOLDER}/{name}.json") for name in names)))
    return tuple(steps)
