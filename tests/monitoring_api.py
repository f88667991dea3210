"""The documented API fields of the monitoring files shipgen emits for GCP and Azure, and checkers
that return every problem they find (an empty list: the document is well formed):

- Cloud Monitoring **Dashboard v1** (`gcloud monitoring dashboards create --config-from-file`):
  `displayName` (required), exactly one layout; `mosaicLayout.columns` 1-48, tiles inside the grid
  (`xPos + width <= columns`) and not overlapping; a widget has one content (xyChart, scorecard,
  text, ...); `xyChart.dataSets` required, each with a `timeSeriesQuery` holding exactly one of
  `timeSeriesFilter`, `timeSeriesFilterRatio`, `timeSeriesQueryLanguage`, `prometheusQuery`;
  `plotType` LINE / STACKED_AREA / STACKED_BAR / HEATMAP; thresholds with `color`
  (GREY BLUE GREEN YELLOW ORANGE RED), `direction` (ABOVE BELOW), `targetAxis` (Y1 Y2); axis
  `scale` LINEAR / LOG10; `chartOptions.mode` COLOR / X_RAY / STATS; a scorecard's spark chart
  SPARK_LINE / SPARK_BAR; text `format` MARKDOWN / RAW.
- Cloud Monitoring **AlertPolicy v3** (`gcloud monitoring policies create --policy-from-file`):
  `displayName`, 1-6 `conditions`, each with `displayName` and exactly one condition type;
  `combiner` AND / OR / AND_WITH_MATCHING_RESOURCE; `severity` CRITICAL / ERROR / WARNING;
  `documentation.mimeType` text/markdown; `userLabels` keys and values of at most 63 lower-case
  letters, digits, `_` and `-` (keys start with a letter); `notificationChannels` as
  `projects/P/notificationChannels/ID`; `conditionPrometheusQueryLanguage`: `query` required,
  `duration` a non-negative and `evaluationInterval` a positive multiple of 30 s (protobuf
  Duration strings `<n>s`), `alertRule` and `ruleGroup` valid Prometheus label names.
- Azure **Microsoft.Insights/metricAlerts 2018-03-01**: `location`, `properties.severity` 0-4,
  `enabled`, `scopes` (at least one), `evaluationFrequency` PT1M/PT5M/PT15M/PT30M/PT1H and
  `windowSize` PT1M ... P1D (never shorter than the frequency), criteria `odata.type`
  `Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria` with 1-5 `allOf` criteria, each
  with `name`, `metricName`, `operator` (Equals, GreaterThan, GreaterThanOrEqual, LessThan,
  LessThanOrEqual), `threshold`, `timeAggregation` (Average, Count, Minimum, Maximum, Total),
  dimensions `{name, operator: Include|Exclude, values}`; `actions[].actionGroupId`.
- Azure **Microsoft.Insights/workbooks 2022-04-01**: `kind` shared, `location`, the name a GUID
  (here: a `guid()` expression), `properties.displayName`, `category`, `serializedData` (a
  string; shipgen's is an ARM `replace()` over the serialized workbook, whose `version` is
  `Notebook/1.0` and whose items are text (type 1) or metrics (type 10)).

Written by hand from the API references (the oracle has no validator for these files); it is NOT
the service: a file it accepts may still be refused (a metric that does not exist, a query the
Prometheus engine rejects at run time).
"""

from __future__ import annotations

import json
import re

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
USER_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
USER_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
CHANNEL = re.compile(r"^projects/[^/]+/notificationChannels/[^/]+$")
DURATION = re.compile(r"^([0-9]+)(\.[0-9]{1,9})?s$")

DASHBOARD = {"name": str, "displayName": str, "etag": str, "gridLayout": dict, "mosaicLayout": dict,
             "rowLayout": dict, "columnLayout": dict, "dashboardFilters": list, "labels": dict, "annotations": dict}
LAYOUTS = ("gridLayout", "mosaicLayout", "rowLayout", "columnLayout")
MOSAIC = {"columns": int, "tiles": list}
TILE = {"xPos": int, "yPos": int, "width": int, "height": int, "widget": dict}
WIDGET_CONTENTS = ("xyChart", "scorecard", "text", "blank", "alertChart", "timeSeriesTable", "collapsibleGroup",
                   "logsPanel", "incidentList", "pieChart", "errorReportingPanel", "sectionHeader", "singleViewGroup")
WIDGET = {"title": str, "id": str, "visibility": dict, **{content: dict for content in WIDGET_CONTENTS}}
XY_CHART = {"dataSets": list, "timeshiftDuration": str, "thresholds": list, "xAxis": dict, "yAxis": dict,
            "y2Axis": dict, "chartOptions": dict}
DATA_SET = {"timeSeriesQuery": dict, "plotType": str, "legendTemplate": str, "minAlignmentPeriod": str,
            "targetAxis": str, "breakdowns": list, "dimensions": list, "measures": list, "sort": list}
QUERY_KINDS = ("timeSeriesFilter", "timeSeriesFilterRatio", "timeSeriesQueryLanguage", "prometheusQuery",
               "opsAnalyticsQuery")
TIME_SERIES_QUERY = {"timeSeriesFilter": dict, "timeSeriesFilterRatio": dict, "timeSeriesQueryLanguage": str,
                     "prometheusQuery": str, "opsAnalyticsQuery": dict, "unitOverride": str,
                     "outputFullDuration": bool}
THRESHOLD = {"label": str, "value": (int, float), "color": str, "direction": str, "targetAxis": str}
AXIS = {"label": str, "scale": str}
CHART_OPTIONS = {"mode": str, "displayHorizontal": bool}
SCORECARD = {"timeSeriesQuery": dict, "gaugeView": dict, "sparkChartView": dict, "blankView": dict,
             "thresholds": list, "dimensions": list, "measures": list, "breakdowns": list}
SPARK_CHART = {"sparkChartType": str, "minAlignmentPeriod": str}
TEXT = {"content": str, "format": str, "style": dict}
PLOT_TYPES = {"LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"}
COLORS = {"GREY", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED"}
DIRECTIONS = {"ABOVE", "BELOW"}
AXES = {"Y1", "Y2"}
SCALES = {"LINEAR", "LOG10"}
MODES = {"COLOR", "X_RAY", "STATS"}
SPARK_TYPES = {"SPARK_LINE", "SPARK_BAR"}
TEXT_FORMATS = {"MARKDOWN", "RAW"}

ALERT_POLICY = {"name": str, "displayName": str, "documentation": dict, "userLabels": dict, "conditions": list,
                "combiner": str, "enabled": bool, "validity": dict, "notificationChannels": list,
                "alertStrategy": dict, "severity": str}
DOCUMENTATION = {"content": str, "mimeType": str, "subject": str, "links": list}
CONDITION_KINDS = ("conditionThreshold", "conditionAbsent", "conditionMatchedLog", "conditionMonitoringQueryLanguage",
                   "conditionPrometheusQueryLanguage", "conditionSql")
CONDITION = {"name": str, "displayName": str, **{kind: dict for kind in CONDITION_KINDS}}
PROMQL_CONDITION = {"query": str, "duration": str, "evaluationInterval": str, "labels": dict, "ruleGroup": str,
                    "alertRule": str, "disableMetricValidation": bool}
COMBINERS = {"AND", "OR", "AND_WITH_MATCHING_RESOURCE"}
SEVERITIES = {"CRITICAL", "ERROR", "WARNING"}

METRIC_ALERT = {"type": str, "apiVersion": str, "name": str, "location": str, "tags": dict, "properties": dict,
                "dependsOn": list}
METRIC_ALERT_PROPERTIES = {"description": str, "severity": int, "enabled": bool, "scopes": list,
                           "evaluationFrequency": str, "windowSize": str, "targetResourceType": str,
                           "targetResourceRegion": str, "criteria": dict, "autoMitigate": bool, "actions": list}
SINGLE_RESOURCE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
CRITERIA = {"odata.type": str, "allOf": list}
CRITERION = {"name": str, "metricName": str, "metricNamespace": str, "operator": str, "threshold": (int, float),
             "timeAggregation": str, "dimensions": list, "skipMetricValidation": bool, "criterionType": str}
DIMENSION = {"name": str, "operator": str, "values": list}
ACTION = {"actionGroupId": str, "webHookProperties": dict}
FREQUENCIES = {"PT1M": 60, "PT5M": 300, "PT15M": 900, "PT30M": 1800, "PT1H": 3600}
WINDOWS = {**FREQUENCIES, "PT6H": 21600, "PT12H": 43200, "P1D": 86400}
OPERATORS = {"Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"}
AGGREGATIONS = {"Average", "Count", "Minimum", "Maximum", "Total"}

WORKBOOK = {"type": str, "apiVersion": str, "name": str, "location": str, "tags": dict, "kind": str,
            "properties": dict, "identity": dict, "dependsOn": list}
WORKBOOK_PROPERTIES = {"displayName": str, "category": str, "serializedData": str, "sourceId": str,
                       "description": str, "version": str, "storageUri": str}
WORKBOOK_KINDS = {"shared"}


def _fields(document, fields: dict, where: str, required=()) -> list:
    if not isinstance(document, dict):
        return [f"{where}: expected an object, got {type(document).__name__}"]
    problems = [f"{where}.{key}: unknown field" for key in document if key not in fields]
    for key, kind in fields.items():
        if key in document:
            value = document[key]
            if isinstance(value, bool) and kind is not bool:
                problems.append(f"{where}.{key}: expected {kind}, got a boolean")
            elif not isinstance(value, kind):
                problems.append(f"{where}.{key}: expected {kind}, got {type(value).__name__} {value!r}")
    problems += [f"{where}.{key}: required" for key in required if key not in document]
    return problems


def _enum(problems: list, where: str, value, allowed: set):
    if value is not None and value not in allowed:
        problems.append(f"{where}: {value!r} is not one of {sorted(allowed)}")


def _one_of(problems: list, where: str, document: dict, keys: tuple):
    present = [key for key in keys if key in document]
    if len(present) != 1:
        problems.append(f"{where}: exactly one of {', '.join(keys)} (found {present or 'none'})")


# ---------------------------------------------------------------------------- Dashboard v1


def dashboard_problems(document) -> list:
    problems = _fields(document, DASHBOARD, "dashboard", required=("displayName",))
    if not isinstance(document, dict):
        return problems
    _one_of(problems, "dashboard", document, LAYOUTS)
    for key, value in document.get("labels", {}).items():
        if not isinstance(value, str):
            problems.append(f"dashboard.labels.{key}: values are strings")
    mosaic = document.get("mosaicLayout")
    if isinstance(mosaic, dict):
        problems += _mosaic(mosaic)
    return problems


def _mosaic(mosaic: dict) -> list:
    problems = _fields(mosaic, MOSAIC, "mosaicLayout")
    columns = mosaic.get("columns", 12)
    if isinstance(columns, int) and not 1 <= columns <= 48:
        problems.append(f"mosaicLayout.columns: {columns} is outside 1..48")
    taken = {}
    for index, tile in enumerate(mosaic.get("tiles", [])):
        where = f"mosaicLayout.tiles[{index}]"
        problems += _fields(tile, TILE, where, required=("width", "height", "widget"))
        if not isinstance(tile, dict):
            continue
        x, y, width, height = (tile.get(key, 0) for key in ("xPos", "yPos", "width", "height"))
        if any(not isinstance(value, int) or value < 0 for value in (x, y, width, height)):
            continue
        if x + width > columns:
            problems.append(f"{where}: xPos + width = {x + width} is beyond the {columns} columns")
        for cell in ((cx, cy) for cx in range(x, x + width) for cy in range(y, y + height)):
            if cell in taken:
                problems.append(f"{where}: overlaps tile {taken[cell]}")
                break
            taken[cell] = index
        if isinstance(tile.get("widget"), dict):
            problems += _widget(tile["widget"], where + ".widget")
    return problems


def _widget(widget: dict, where: str) -> list:
    problems = _fields(widget, WIDGET, where)
    _one_of(problems, where, widget, WIDGET_CONTENTS)
    if isinstance(widget.get("xyChart"), dict):
        problems += _xy_chart(widget["xyChart"], where + ".xyChart")
    if isinstance(widget.get("scorecard"), dict):
        problems += _scorecard(widget["scorecard"], where + ".scorecard")
    if isinstance(widget.get("text"), dict):
        problems += _fields(widget["text"], TEXT, where + ".text")
        _enum(problems, where + ".text.format", widget["text"].get("format"), TEXT_FORMATS)
    return problems


def _query(query, where: str) -> list:
    problems = _fields(query, TIME_SERIES_QUERY, where)
    if isinstance(query, dict):
        _one_of(problems, where, query, QUERY_KINDS)
    return problems


def _thresholds(thresholds: list, where: str) -> list:
    problems = []
    for index, threshold in enumerate(thresholds):
        here = f"{where}[{index}]"
        problems += _fields(threshold, THRESHOLD, here)
        if isinstance(threshold, dict):
            _enum(problems, here + ".color", threshold.get("color"), COLORS)
            _enum(problems, here + ".direction", threshold.get("direction"), DIRECTIONS)
            _enum(problems, here + ".targetAxis", threshold.get("targetAxis"), AXES)
    return problems


def _xy_chart(chart: dict, where: str) -> list:
    problems = _fields(chart, XY_CHART, where, required=("dataSets",))
    if not chart.get("dataSets"):
        problems.append(f"{where}.dataSets: at least one data set")
    for index, data in enumerate(chart.get("dataSets", [])):
        here = f"{where}.dataSets[{index}]"
        problems += _fields(data, DATA_SET, here, required=("timeSeriesQuery",))
        if isinstance(data, dict):
            problems += _query(data.get("timeSeriesQuery", {}), here + ".timeSeriesQuery")
            _enum(problems, here + ".plotType", data.get("plotType"), PLOT_TYPES)
            _enum(problems, here + ".targetAxis", data.get("targetAxis"), AXES)
    problems += _thresholds(chart.get("thresholds", []), where + ".thresholds")
    for axis in ("xAxis", "yAxis", "y2Axis"):
        if axis in chart:
            problems += _fields(chart[axis], AXIS, f"{where}.{axis}")
            _enum(problems, f"{where}.{axis}.scale", chart[axis].get("scale"), SCALES)
    if "chartOptions" in chart:
        problems += _fields(chart["chartOptions"], CHART_OPTIONS, where + ".chartOptions")
        _enum(problems, where + ".chartOptions.mode", chart["chartOptions"].get("mode"), MODES)
    return problems


def _scorecard(card: dict, where: str) -> list:
    problems = _fields(card, SCORECARD, where, required=("timeSeriesQuery",))
    problems += _query(card.get("timeSeriesQuery", {}), where + ".timeSeriesQuery")
    problems += _thresholds(card.get("thresholds", []), where + ".thresholds")
    if "sparkChartView" in card:
        problems += _fields(card["sparkChartView"], SPARK_CHART, where + ".sparkChartView",
                            required=("sparkChartType",))
        _enum(problems, where + ".sparkChartView.sparkChartType", card["sparkChartView"].get("sparkChartType"),
              SPARK_TYPES)
    return problems


def dashboard_queries(document) -> list:
    """Every PromQL query of a dashboard."""
    found = []
    for tile in document["mosaicLayout"]["tiles"]:
        widget = tile["widget"]
        for data in widget.get("xyChart", {}).get("dataSets", []):
            found.append(data["timeSeriesQuery"]["prometheusQuery"])
        if "scorecard" in widget:
            found.append(widget["scorecard"]["timeSeriesQuery"]["prometheusQuery"])
    return found


# ---------------------------------------------------------------------------- AlertPolicy v3


def _seconds(text, where: str, problems: list):
    match = DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        problems.append(f"{where}: {text!r} is not a Duration (`<seconds>s`)")
        return None
    return float(match.group(1) + (match.group(2) or ""))


def alert_policy_problems(document) -> list:
    problems = _fields(document, ALERT_POLICY, "alertPolicy", required=("displayName", "conditions", "combiner"))
    if not isinstance(document, dict):
        return problems
    _enum(problems, "alertPolicy.combiner", document.get("combiner"), COMBINERS)
    _enum(problems, "alertPolicy.severity", document.get("severity"), SEVERITIES)
    if "documentation" in document:
        problems += _fields(document["documentation"], DOCUMENTATION, "alertPolicy.documentation")
        _enum(problems, "alertPolicy.documentation.mimeType", document["documentation"].get("mimeType"),
              {"text/markdown"})
    for key, value in document.get("userLabels", {}).items():
        if not USER_LABEL_KEY.match(key) or not isinstance(value, str) or not USER_LABEL_VALUE.match(value):
            problems.append(f"alertPolicy.userLabels: {key!r}: {value!r} is not a valid user label")
    for channel in document.get("notificationChannels", []):
        if not isinstance(channel, str) or not CHANNEL.match(channel):
            problems.append(f"alertPolicy.notificationChannels: {channel!r} is not projects/P/notificationChannels/ID")
    conditions = document.get("conditions", [])
    if isinstance(conditions, list) and not 1 <= len(conditions) <= 6:
        problems.append(f"alertPolicy.conditions: {len(conditions)} conditions (1-6)")
    for index, condition in enumerate(conditions if isinstance(conditions, list) else []):
        where = f"alertPolicy.conditions[{index}]"
        problems += _fields(condition, CONDITION, where, required=("displayName",))
        if not isinstance(condition, dict):
            continue
        _one_of(problems, where, condition, CONDITION_KINDS)
        if isinstance(condition.get("conditionPrometheusQueryLanguage"), dict):
            problems += _promql_condition(condition["conditionPrometheusQueryLanguage"],
                                          where + ".conditionPrometheusQueryLanguage")
    return problems


def _promql_condition(condition: dict, where: str) -> list:
    problems = _fields(condition, PROMQL_CONDITION, where, required=("query",))
    if "duration" in condition:
        _seconds(condition["duration"], where + ".duration", problems)
    if "evaluationInterval" in condition:
        interval = _seconds(condition["evaluationInterval"], where + ".evaluationInterval", problems)
        if interval is not None and (interval <= 0 or interval % 30):
            problems.append(f"{where}.evaluationInterval: {interval:g} s is not a positive multiple of 30 s")
    for key in ("alertRule", "ruleGroup"):
        if isinstance(condition.get(key), str) and condition[key] and not LABEL_NAME.match(condition[key]):
            problems.append(f"{where}.{key}: {condition[key]!r} is not a valid Prometheus label name")
    for key in condition.get("labels", {}):
        if not LABEL_NAME.match(key):
            problems.append(f"{where}.labels: {key!r} is not a valid Prometheus label name")
    return problems


# ---------------------------------------------------------------------------- Azure


def metric_alert_problems(resource) -> list:
    problems = _fields(resource, METRIC_ALERT, "metricAlert", required=("type", "apiVersion", "name", "location",
                                                                        "properties"))
    if not isinstance(resource, dict):
        return problems
    if resource.get("apiVersion") != "2018-03-01":
        problems.append(f"metricAlert.apiVersion: {resource.get('apiVersion')!r} is not 2018-03-01")
    properties = resource.get("properties", {})
    where = "metricAlert.properties"
    problems += _fields(properties, METRIC_ALERT_PROPERTIES, where,
                        required=("severity", "enabled", "scopes", "evaluationFrequency", "windowSize", "criteria"))
    if not isinstance(properties, dict):
        return problems
    if isinstance(properties.get("severity"), int) and not 0 <= properties["severity"] <= 4:
        problems.append(f"{where}.severity: {properties['severity']} is outside 0..4")
    if not properties.get("scopes"):
        problems.append(f"{where}.scopes: at least one resource")
    _enum(problems, where + ".evaluationFrequency", properties.get("evaluationFrequency"), set(FREQUENCIES))
    _enum(problems, where + ".windowSize", properties.get("windowSize"), set(WINDOWS))
    frequency = FREQUENCIES.get(properties.get("evaluationFrequency"))
    window = WINDOWS.get(properties.get("windowSize"))
    if frequency and window and window < frequency:
        problems.append(f"{where}: windowSize {properties['windowSize']} is shorter than evaluationFrequency "
                        f"{properties['evaluationFrequency']}")
    criteria = properties.get("criteria", {})
    problems += _fields(criteria, CRITERIA, where + ".criteria", required=("odata.type", "allOf"))
    if isinstance(criteria, dict):
        _enum(problems, where + ".criteria.odata.type", criteria.get("odata.type"), {SINGLE_RESOURCE})
        all_of = criteria.get("allOf", [])
        if isinstance(all_of, list) and not 1 <= len(all_of) <= 5:
            problems.append(f"{where}.criteria.allOf: {len(all_of)} criteria (1-5)")
        for index, criterion in enumerate(all_of if isinstance(all_of, list) else []):
            here = f"{where}.criteria.allOf[{index}]"
            problems += _fields(criterion, CRITERION, here,
                                required=("name", "metricName", "operator", "threshold", "timeAggregation"))
            if not isinstance(criterion, dict):
                continue
            _enum(problems, here + ".operator", criterion.get("operator"), OPERATORS)
            _enum(problems, here + ".timeAggregation", criterion.get("timeAggregation"), AGGREGATIONS)
            for number, dimension in enumerate(criterion.get("dimensions", [])):
                problems += _fields(dimension, DIMENSION, f"{here}.dimensions[{number}]",
                                    required=("name", "operator", "values"))
                if isinstance(dimension, dict):
                    _enum(problems, f"{here}.dimensions[{number}].operator", dimension.get("operator"),
                          {"Include", "Exclude"})
    for index, action in enumerate(properties.get("actions", [])):
        problems += _fields(action, ACTION, f"{where}.actions[{index}]", required=("actionGroupId",))
    return problems


def workbook_problems(resource) -> list:
    problems = _fields(resource, WORKBOOK, "workbook", required=("type", "apiVersion", "name", "location", "kind",
                                                                 "properties"))
    if not isinstance(resource, dict):
        return problems
    _enum(problems, "workbook.kind", resource.get("kind"), WORKBOOK_KINDS)
    name = resource.get("name", "")
    if not (isinstance(name, str) and (name.startswith("[guid(") or re.match(r"^[0-9a-f-]{36}$", name))):
        problems.append(f"workbook.name: {name!r} is not a GUID")
    properties = resource.get("properties", {})
    problems += _fields(properties, WORKBOOK_PROPERTIES, "workbook.properties",
                        required=("displayName", "category", "serializedData"))
    if isinstance(properties, dict) and isinstance(properties.get("serializedData"), str):
        try:
            content = workbook_content(properties["serializedData"])
        except ValueError as error:
            problems.append(f"workbook.properties.serializedData: {error}")
        else:
            if content.get("version") != "Notebook/1.0":
                problems.append("workbook.properties.serializedData: version is not Notebook/1.0")
            for index, item in enumerate(content.get("items", [])):
                if item.get("type") not in (1, 10) or not isinstance(item.get("content"), dict):
                    problems.append(f"workbook item {index}: neither text (1) nor metrics (10)")
    return problems


ARM_LITERAL = re.compile(r"^\[replace\('((?:[^']|'')*)', '((?:[^']|'')*)', variables\('[A-Za-z]+'\)\)\]$", re.S)


def workbook_content(serialized: str) -> dict:
    """The workbook JSON inside shipgen's `[replace('<json>', '<placeholder>', variables(...))]`."""
    match = ARM_LITERAL.match(serialized)
    text = match.group(1).replace("''", "'") if match else serialized
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None


def arm_monitoring_problems(template: dict) -> list:
    """Every resource of shipgen's azure-monitor template, by type."""
    problems = []
    for index, resource in enumerate(template.get("resources", [])):
        kind = resource.get("type") if isinstance(resource, dict) else None
        if kind == "Microsoft.Insights/metricAlerts":
            problems += [f"resources[{index}]: {problem}" for problem in metric_alert_problems(resource)]
        elif kind == "Microsoft.Insights/workbooks":
            problems += [f"resources[{index}]: {problem}" for problem in workbook_problems(resource)]
        else:
            problems.append(f"resources[{index}]: unexpected type {kind!r}")
    return problems
