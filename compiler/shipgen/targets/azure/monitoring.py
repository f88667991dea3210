"""Azure Monitor: metric alerts and a workbook from the gates and SLOs, for Container Apps, App
Service and Traffic Manager, opted in with `platform.azure.monitoring`.

Emits `azure-monitor/template.json`, an ARM template of its own (deployed beside the release's
template, never inside it) with:

- `Microsoft.Insights/metricAlerts` (2018-03-01, criteria
  `Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria`, scopes as `resourceId()`
  expressions, `windowSize`/`evaluationFrequency` in ISO 8601):
  * per error-rate gate with a maximum, and per SLO burn-rate window of `slo_alerts.BURN_WINDOWS`
    whose long window is one Azure allows (up to one day: the 3-day window is left out), an alert
    on the count of 5xx answers. A metric alert reads one metric and cannot divide two, so the
    ratio becomes a count: the ratio times the requests the spec expects in the window
    (`service.traffic.requestsPerSecond`); without that figure there are none. An Azure metric
    alert has one window, so a burn-rate alert looks at the long window only (the short window's
    quick reset is lost; `autoMitigate` resolves it once the count falls back).
  * Traffic Manager: an alert when an endpoint of the new color fails its health probe
    (`ProbeAgentCurrentEndpointStateByProfileResourceId`), the signal Traffic Manager itself acts on.
- `Microsoft.Insights/workbooks` (2022-04-01): its `serializedData` is the workbook built as data
  and serialized: requests by status class and by revision (Container Apps), the production site
  and the slot (App Service) or by endpoint (Traffic Manager): canary vs stable; per SLO the error
  budget and the burn factors the alerts use, in words, since a metrics chart cannot divide.

Every spec value in an ARM string goes through `arm_literal`. Follows
`../shared/docs/targets-cloud.md` §11-§13.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ...artifacts import JSON, Artifact
from ...durations import human
from ...model import Release
from ...procedure import Step
from ..gcp_azure.common import arm_deploy_command, arm_literal, arm_template, azure_tags

NAME = "azure-monitor"
FOLDER = "azure-monitor"
ALERTS_API = "2018-03-01"
WORKBOOKS_API = "2022-04-01"
CRITERIA = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
# The windows and frequencies a metric alert accepts (seconds -> ISO 8601).
WINDOW_SIZES = {60: "PT1M", 300: "PT5M", 900: "PT15M", 1800: "PT30M", 3600: "PT1H", 21600: "PT6H",
                43200: "PT12H", 86400: "P1D"}
FREQUENCIES = {60: "PT1M", 300: "PT5M", 900: "PT15M", 1800: "PT30M", 3600: "PT1H"}
SEVERITY = {"page": 1, "ticket": 2}  # 0 critical, 1 error, 2 warning, 3 informational, 4 verbose
PLACEHOLDER = "__SHIPGEN_RESOURCE__"
WORKBOOK_SCHEMA = "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json"


@dataclass(frozen=True)
class Source:
    """Where a platform's request metrics live."""

    resource_type: str
    errors_metric: str  # the count of 5xx answers
    errors_dimensions: tuple  # dimension filters that make a metric the 5xx count


SOURCES = {
    "azure-container-apps": Source("Microsoft.App/containerApps", "Requests",
                                   ({"name": "statusCodeCategory", "operator": "Include", "values": ["5xx"]},)),
    "azure-app-service": Source("Microsoft.Web/sites", "Http5xx", ()),
}
TRAFFIC_MANAGER = "Microsoft.Network/trafficManagerProfiles"


def applies(release: Release) -> bool:
    azure = release.platform.azure
    return azure is not None and azure.monitoring is not None


def render(release: Release, facts) -> list:
    template = arm_template(release, alerts(release) + [workbook(release)])
    template["variables"] = {"resource": resource_id_expression(release)}
    return [Artifact(f"{FOLDER}/template.json", template, JSON)]


# ---------------------------------------------------------------------------- the monitored resource


def arm_string(text: str) -> str:
    """A string literal inside an ARM expression: single quotes doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def resource_name(release: Release) -> str:
    azure = release.platform.azure
    if azure.container_app is not None:
        return release.name
    if azure.app_service is not None:
        return azure.app_service.app
    return azure.traffic_manager.profile


def resource_type(release: Release) -> str:
    source = SOURCES.get(release.platform.kind)
    return source.resource_type if source else TRAFFIC_MANAGER


def resource_id_expression(release: Release) -> str:
    return f"[resourceId({arm_string(resource_type(release))}, {arm_string(resource_name(release))})]"


def number(value: float):
    """A canonical JSON number: an integer when whole, else six significant digits."""
    rounded = float(f"{value:.6g}")
    return int(rounded) if rounded.is_integer() else rounded


def window_at_least(seconds: int) -> int:
    """The shortest window a metric alert accepts that covers `seconds` (at most a day)."""
    return next((size for size in sorted(WINDOW_SIZES) if size >= seconds), max(WINDOW_SIZES))


def frequency_for(window_s: int) -> str:
    """Evaluate at most as often as the window, and at most every hour."""
    return FREQUENCIES[max(size for size in FREQUENCIES if size <= window_s)]


# ---------------------------------------------------------------------------- alerts


def burn_windows() -> tuple:
    from ..slo_alerts import BURN_WINDOWS

    return tuple(window for window in BURN_WINDOWS if window.long_s in WINDOW_SIZES)


def error_gates(release: Release) -> list:
    """Error-rate gates with a maximum the platform's own metrics measure."""
    if release.platform.kind not in SOURCES:
        return []
    return [gate for gate in release.gates
            if gate.metric == "error-rate" and gate.query is None and gate.provider == "prometheus"
            and gate.max is not None]


def ratio_slos(release: Release) -> list:
    names = {gate.name for gate in error_gates(release)}
    return [slo for slo in release.slos if slo.sli in names]


def expected_requests(release: Release, window_s: int) -> float | None:
    rate = release.service.requests_per_second
    return None if not rate else rate * window_s


def alert(release: Release, name: str, description: str, severity: int, window_s: int, frequency: str,
          criterion: dict) -> dict:
    properties = {
        "description": arm_literal(description),
        "severity": severity,
        "enabled": True,
        "scopes": ["[variables('resource')]"],
        "evaluationFrequency": frequency,
        "windowSize": WINDOW_SIZES[window_s],
        "targetResourceType": resource_type(release),
        "criteria": {"odata.type": CRITERIA, "allOf": [criterion]},
        "autoMitigate": True,
    }
    groups = release.platform.azure.monitoring.notify
    if groups:
        properties["actions"] = [{"actionGroupId": arm_literal(group)} for group in groups]
    return {"type": "Microsoft.Insights/metricAlerts", "apiVersion": ALERTS_API,
            "name": arm_literal(f"{resource_name(release)}-{name}"), "location": "global",
            "tags": azure_tags(release), "properties": properties}


def errors_criterion(release: Release, name: str, threshold: float) -> dict:
    source = SOURCES[release.platform.kind]
    criterion = {"name": name, "metricName": source.errors_metric, "metricNamespace": source.resource_type,
                 "operator": "GreaterThan", "threshold": number(threshold), "timeAggregation": "Total",
                 "criterionType": "StaticThresholdCriterion"}
    if source.errors_dimensions:
        criterion["dimensions"] = [dict(dimension) for dimension in source.errors_dimensions]
    return criterion


def alerts(release: Release) -> list:
    result = []
    for gate in error_gates(release):
        window = window_at_least(gate.window_s)
        expected = expected_requests(release, window)
        if expected is None:
            continue
        result.append(alert(
            release, f"gate-{gate.name}",
            f"shipgen gate {gate.name}: more than {gate.max:g} of the {number(expected)} requests expected in "
            f"{human(window)} ({release.service.requests_per_second:g}/s) answered 5xx",
            SEVERITY["page" if gate.name in release.rollback.on else "ticket"], window, frequency_for(window),
            errors_criterion(release, "errors", gate.max * expected)))
    for slo in ratio_slos(release):
        result += burn_alerts(release, slo)
    if release.platform.azure.traffic_manager is not None:
        result.append(endpoint_alert(release))
    return result


def burn_alerts(release: Release, slo) -> list:
    from ..slo_alerts import burn_factor

    budget = 1 - slo.objective / 100
    result = []
    for window in burn_windows():
        expected = expected_requests(release, window.long_s)
        if expected is None:
            continue
        factor = burn_factor(window, slo.period_s)
        result.append(alert(
            release, f"slo-{slo.name}-burn-{window.long_s}s",
            f"shipgen SLO {slo.name} ({slo.objective:g}%): {window.severity}: {window.budget_percent:g}% of the "
            f"{human(slo.period_s)} error budget burnt within {human(window.long_s)} ({factor:g}x the budget rate; "
            f"5xx count against {number(expected)} expected requests)",
            SEVERITY[window.severity], window.long_s, frequency_for(window.short_s),
            errors_criterion(release, "burn", factor * budget * expected)))
    return result


def endpoint_alert(release: Release) -> dict:
    manager = release.platform.azure.traffic_manager
    names = [endpoint.name for endpoint in manager.endpoints_of(manager.new_color)]
    return alert(release, f"{manager.new_color}-endpoint-down",
                 f"shipgen: an endpoint of the new color ({manager.new_color}) fails Traffic Manager's health probe",
                 SEVERITY["page"], 300, "PT1M",
                 {"name": "down", "metricName": "ProbeAgentCurrentEndpointStateByProfileResourceId",
                  "metricNamespace": TRAFFIC_MANAGER, "operator": "LessThan", "threshold": 1,
                  "timeAggregation": "Minimum", "criterionType": "StaticThresholdCriterion",
                  "dimensions": [{"name": "EndpointName", "operator": "Include", "values": names}]})


# ---------------------------------------------------------------------------- workbook


def workbook(release: Release) -> dict:
    content = json.dumps(workbook_data(release), sort_keys=True, separators=(",", ":"))
    return {
        "type": "Microsoft.Insights/workbooks", "apiVersion": WORKBOOKS_API,
        "name": f"[guid(resourceGroup().id, 'shipgen', {arm_string(resource_name(release))})]",
        "location": release.platform.azure.location, "tags": azure_tags(release), "kind": "shared",
        "properties": {
            "displayName": arm_literal(f"{release.name} ({release.metadata.environment}): gates and SLOs"),
            "category": "workbook",
            "sourceId": "[variables('resource')]",
            "serializedData": f"[replace({arm_string(content)}, {arm_string(PLACEHOLDER)}, variables('resource'))]",
        },
    }


def workbook_data(release: Release) -> dict:
    """The workbook as data (the Notebook/1.0 format); the resource ID is filled in at deployment."""
    items = [text_item(intro(release))]
    items += request_items(release)
    for slo in ratio_slos(release):
        items.append(text_item(slo_text(release, slo)))
    return {"version": "Notebook/1.0", "items": items, "isLocked": False, "fallbackResourceIds": [PLACEHOLDER],
            "$schema": WORKBOOK_SCHEMA}


def text_item(markdown: str) -> dict:
    return {"type": 1, "content": {"json": markdown}}


def metrics_item(title: str, namespace: str, metric: str, aggregation: int, split_by: str = "",
                 resources: tuple = (PLACEHOLDER,)) -> dict:
    metric_entry = {"namespace": namespace.lower(), "metric": f"{namespace.lower()}--{metric}",
                    "aggregation": aggregation}
    if split_by:
        metric_entry["splitBy"] = split_by
    return {"type": 10, "content": {"version": "MetricsItem/2.0", "size": 0, "chartType": 2, "title": title,
                                    "resourceType": namespace.lower(), "metricScope": 0,
                                    "resourceIds": list(resources), "timeContext": {"durationMs": 21600000},
                                    "metrics": [metric_entry]}}


TOTAL, MINIMUM = 1, 2  # the workbook's aggregation codes: sum, minimum


def request_items(release: Release) -> list:
    kind = release.platform.kind
    if kind == "azure-container-apps":
        return [metrics_item("Requests by status class", "Microsoft.App/containerApps", "Requests", TOTAL,
                             "statusCodeCategory"),
                metrics_item("Requests by revision (canary vs stable)", "Microsoft.App/containerApps", "Requests",
                             TOTAL, "revisionName")]
    if kind == "azure-app-service":
        slot = f"{PLACEHOLDER}/slots/{release.platform.azure.app_service.slot}"
        return [metrics_item("Production: requests", "Microsoft.Web/sites", "Requests", TOTAL),
                metrics_item("Production: 5xx answers", "Microsoft.Web/sites", "Http5xx", TOTAL),
                metrics_item(f"Slot {release.platform.azure.app_service.slot} (the new version before the swap): "
                             "5xx answers", "Microsoft.Web/sites/slots", "Http5xx", TOTAL, resources=(slot,))]
    return [metrics_item("DNS queries by endpoint (blue vs green)", TRAFFIC_MANAGER, "QpsByEndpoint", TOTAL,
                         "EndpointName"),
            metrics_item("Endpoint health (1 up, 0 down)", TRAFFIC_MANAGER,
                         "ProbeAgentCurrentEndpointStateByProfileResourceId", MINIMUM, "EndpointName")]


def intro(release: Release) -> str:
    lines = [f"## {release.name} ({release.metadata.environment})", "",
             f"Team {release.metadata.team}. Generated by shipgen: the metric alerts of this template watch the "
             "gates and SLOs below; the procedure is in RUNBOOK.md."]
    if error_gates(release) and not release.service.requests_per_second:
        lines += ["", "No error-rate alert: Azure metric alerts cannot divide two metrics, and the spec gives no "
                      "service.traffic.requestsPerSecond to turn a ratio into a count."]
    if release.platform.kind == "azure-traffic-manager":
        lines += ["", "Traffic Manager measures DNS answers and endpoint health, not errors: the gates are "
                      "watched on the endpoints' own platforms."]
    return "\n".join(lines)


def slo_text(release: Release, slo) -> str:
    from ..slo_alerts import burn_factor

    budget = 1 - slo.objective / 100
    rows = [f"### SLO {slo.name}: {slo.objective:g}% over {human(slo.period_s)}", "",
            f"Error budget: {budget:.6g} of requests may fail (gate {slo.sli}). Burn rate = the error ratio / "
            f"{budget:.6g}; a burn rate of 1 spends the budget in exactly {human(slo.period_s)}.", "",
            "| alert | window | burn rate above | 5xx share above |", "| --- | --- | --- | --- |"]
    for window in burn_windows():
        factor = burn_factor(window, slo.period_s)
        rows.append(f"| {window.severity} | {human(window.long_s)} | {factor:g} | {factor * budget:.6g} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- runbook


def runbook_steps(release: Release) -> tuple:
    return (Step("Deploy the Azure Monitor alerts and workbook (requests by status and version, error budget, burn "
                 "rates) beside the release's own template"
                 + ("" if release.platform.azure.monitoring.notify else
                    "; the alerts notify no action group until platform.azure.monitoring.actionGroups names one")
                 + ".", arm_deploy_command(release, f"{FOLDER}/template.json")),)
