"""SLO burn-rate alarms and a CloudWatch dashboard in the release's CloudFormation/SAM template.

For each SLO measured by an error-ratio gate that CloudWatch alarms on (the ALB's or the Lambda
alias's share of errors), every multi-window burn rate of the SRE workbook that fits a
CloudWatch alarm (`slo_alerts.BURN_WINDOWS`, the same data as the Prometheus rules; the 3-day
window is longer than a CloudWatch alarm can look, one day, and is left out) becomes two
metric-math alarms over the long and the short window (`AWS::CloudWatch::Alarm`, period = the
window, one datapoint) and an `AWS::CloudWatch::CompositeAlarm` that fires when both do. The
threshold is the burn factor times the error budget (1 - objective).

`AWS::CloudWatch::Dashboard` `<name>-<environment>`: the alarms' states (rollback alarms and
burn-rate alarms), each gate's metric split by version where CloudWatch keeps one series per
version (the Lambda alias's `ExecutedVersion`, the ALB's target groups: blue and green), and per
SLO the burn rate and the error budget remaining over the SLO period. CloudWatch dashboards
cannot show deployment events as annotations; the alarm widget shows when a deployment was
stopped.
"""

from __future__ import annotations

import json
from dataclasses import replace

from ...model import Release
from . import common

ALARM_MAX_LOOKBACK_S = 86400
ERROR_RATIO_SOURCES = ("alb-error-rate", "lambda-error-rate")
VERSION_SPLIT = {  # source -> (namespace, error metric, the dimensions naming one version)
    "lambda-error-rate": ("AWS/Lambda", "Errors", ("FunctionName", "Resource", "ExecutedVersion")),
    "alb-error-rate": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ("LoadBalancer", "TargetGroup")),
}


def burn_windows() -> tuple:
    from ..slo_alerts import BURN_WINDOWS

    return tuple(window for window in BURN_WINDOWS if window.long_s <= ALARM_MAX_LOOKBACK_S)


def slo_alarms(release: Release) -> list:
    """(slo, gate alarm) for every SLO whose SLI gate is an error ratio CloudWatch alarms on."""
    alarms = {alarm.gate: alarm for alarm in common.settings(release).alarms if not alarm.bound or alarm.bound == "max"}
    return [(slo, alarms[slo.sli]) for slo in release.slos
            if slo.sli in alarms and alarms[slo.sli].source in ERROR_RATIO_SOURCES]


def _logical(*parts) -> str:
    return "".join(common.camel(str(part)) for part in parts)


def add_slo_resources(release: Release, resources: dict, dimensions_for) -> None:
    pairs = slo_alarms(release)
    burn_ids = []
    for slo, alarm in pairs:
        budget = 1 - slo.objective / 100
        for window in burn_windows():
            factor = window.budget_percent / 100 * slo.period_s / window.long_s
            ids = []
            for label, seconds in (("long", window.long_s), ("short", window.short_s)):
                burn = replace(alarm, name=f"{alarm.name}-slo-{slo.name}-burn-{window.long_s}s-{label}",
                               period_s=seconds, evaluation_periods=1, comparison="GreaterThanThreshold",
                               threshold=round(factor * budget, 10), bound="")
                resource = common.alarm_resource(burn, dimensions_for(alarm), common.alarm_what(alarm))
                resource["Properties"]["AlarmDescription"] = (
                    f"shipgen SLO {slo.name} ({slo.objective:g}%): {common.alarm_what(alarm)} over {seconds} s above "
                    f"{factor:g} x the error budget")
                logical = _logical("Slo", slo.name, "Burn", window.long_s, label)
                resources[logical] = resource
                ids.append(logical)
            composite = _logical("Slo", slo.name, "Burn", window.long_s)
            resources[composite] = {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {
                "AlarmName": f"{alarm.name}-slo-{slo.name}-burn-{window.long_s}s",
                "AlarmDescription": f"shipgen SLO {slo.name}: {window.severity}: {window.budget_percent:g}% of the "
                                    f"error budget burnt within {window.long_s // 3600} h, still burning over the last "
                                    f"{window.short_s // 60} min",
                "AlarmRule": {"Fn::Sub": f'ALARM("${{{ids[0]}}}") AND ALARM("${{{ids[1]}}}")'},
            }}
            burn_ids.append(composite)
    dashboard = dashboard_resource(release, pairs, burn_ids, dimensions_for)
    if dashboard is not None:
        resources["Dashboard"] = dashboard


class _Body:
    """Dashboard JSON with CloudFormation values as `${var}`, for one Fn::Sub."""

    def __init__(self):
        self.variables = {}

    def value(self, value) -> str:
        if isinstance(value, str) and "${" not in value:
            return value
        name = f"v{len(self.variables)}"
        self.variables[name] = value
        return "${" + name + "}"

    def metrics(self, queries: list) -> list:
        rows = []
        for query in queries:
            if "Expression" in query:
                rows.append([{"expression": query["Expression"], "id": query["Id"],
                              "label": query.get("Label", query["Id"])}])
                continue
            stat = query["MetricStat"]
            row = [stat["Metric"]["Namespace"], stat["Metric"]["MetricName"]]
            for dimension in stat["Metric"].get("Dimensions", []):
                row += [dimension["Name"], self.value(dimension["Value"])]
            row.append({"id": query["Id"], "stat": stat["Stat"], "visible": False})
            rows.append(row)
        return rows


def dashboard_resource(release: Release, pairs: list, burn_ids: list, dimensions_for) -> dict | None:
    aws = common.settings(release)
    if not aws.alarms:
        return None
    body = _Body()
    region = body.value({"Ref": "AWS::Region"})
    widgets = [{"type": "alarm", "width": 24, "height": 4, "properties": {
        "title": "Rollback and burn-rate alarms (a rollback alarm in ALARM stops the deployment)",
        "alarms": [body.value({"Fn::GetAtt": [logical, "Arn"]})
                   for logical in [common.alarm_logical_id(alarm) for alarm in aws.alarms] + burn_ids]}}]
    for alarm in aws.alarms:
        split = VERSION_SPLIT.get(alarm.source)
        if split is None:
            continue
        namespace, metric, keys = split
        filters = " ".join(f'{dimension["Name"]}="{body.value(dimension["Value"])}"'
                           for dimension in dimensions_for(alarm) if dimension["Name"] in keys)
        search = f"SEARCH('{{{namespace},{','.join(keys)}}} MetricName=\"{metric}\" {filters}', 'Sum', 60)"
        widgets.append({"type": "metric", "width": 12, "height": 6, "properties": {
            "title": f"{alarm.gate}: {metric} per version (canary vs stable)", "region": region, "view": "timeSeries",
            "metrics": [[{"expression": search, "id": "byversion", "label": ""}]], "period": 60}})
    for slo, alarm in pairs:
        budget = 1 - slo.objective / 100
        queries = common.alarm_resource(replace(alarm, period_s=300), dimensions_for(alarm), "")["Properties"]["Metrics"]
        ratio = next(query for query in queries if "Expression" in query)
        rows = body.metrics(queries)
        rows[-1][0]["visible"] = False
        burn = [{"expression": f"{ratio['Id']} / {budget:g}", "id": "burn", "label": "burn rate (1 = on budget)"}]
        factors = sorted({round(window.budget_percent / 100 * slo.period_s / window.long_s, 2)
                          for window in burn_windows()}, reverse=True)
        widgets.append({"type": "metric", "width": 12, "height": 6, "properties": {
            "title": f"SLO {slo.name}: burn rate", "region": region, "view": "timeSeries", "period": 300,
            "metrics": rows + [burn],
            "annotations": {"horizontal": [{"label": f"{factor:g}x", "value": factor} for factor in factors]}}})
        remaining = [{"expression": f"100 * (1 - {ratio['Id']} / {budget:g})", "id": "remaining",
                      "label": "error budget remaining (%)"}]
        widgets.append({"type": "metric", "width": 6, "height": 6, "properties": {
            "title": f"SLO {slo.name}: error budget left ({slo.period_s // 86400} d)", "region": region,
            "view": "singleValue", "setPeriodToTimeRange": True, "start": f"-PT{slo.period_s // 3600}H", "end": "P0D",
            "stat": "Sum", "metrics": rows + [remaining]}})
    text = json.dumps({"widgets": _placed(widgets)}, separators=(",", ":"), sort_keys=False)
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": common.base_name(release),
        "DashboardBody": {"Fn::Sub": [text, body.variables]} if body.variables else text}}


def _placed(widgets: list) -> list:
    """Widgets laid out left to right on CloudWatch's 24-column grid."""
    x = y = row_height = 0
    for widget in widgets:
        if x + widget["width"] > 24:
            x, y, row_height = 0, y + row_height, 0
        widget["x"], widget["y"] = x, y
        x += widget["width"]
        row_height = max(row_height, widget["height"])
    return widgets
