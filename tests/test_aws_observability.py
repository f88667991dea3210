"""CloudWatch SLO burn-rate alarms and the dashboard in the AWS templates (golden output)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import ROOT
from shipgen.targets.slo_alerts import BURN_WINDOWS


def _template(path):
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load(path.read_text(), Loader=Loader)


TEMPLATES = {"thumbnails": ROOT / "golden/production/thumbnails/aws/template.yaml",
             "ledger-batch": ROOT / "golden/production/ledger-batch/aws/cloudformation.yaml"}
OBJECTIVES = {"thumbnails": 99.0, "ledger-batch": 99.5}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_burn_rate_alarms_follow_the_workbook_windows(name):
    resources = _template(TEMPLATES[name])["Resources"]
    budget = 1 - OBJECTIVES[name] / 100
    windows = [window for window in BURN_WINDOWS if window.long_s <= 86400]
    assert len(windows) == 3  # the 3-day window cannot be a CloudWatch alarm (one-day lookback)
    composites = {key: value for key, value in resources.items() if value["Type"] == "AWS::CloudWatch::CompositeAlarm"}
    assert len(composites) == len(windows)
    for window in windows:
        factor = window.budget_percent / 100 * 30 * 86400 / window.long_s
        long_alarm = next(v for k, v in resources.items() if k.endswith(f"Burn{window.long_s}Long"))
        short_alarm = next(v for k, v in resources.items() if k.endswith(f"Burn{window.long_s}Short"))
        for alarm, period in ((long_alarm, window.long_s), (short_alarm, window.short_s)):
            properties = alarm["Properties"]
            assert properties["Threshold"] == pytest.approx(factor * budget)
            assert properties["EvaluationPeriods"] == 1
            periods = {query["MetricStat"]["Period"] for query in properties["Metrics"] if "MetricStat" in query}
            assert periods == {period}
        rule = next(v for k, v in composites.items() if k.endswith(f"Burn{window.long_s}"))["Properties"]["AlarmRule"]
        referenced = re.findall(r'ALARM\("\$\{(\w+)\}"\)', rule["Fn::Sub"])
        assert sorted(referenced) == sorted(k for k in resources if re.fullmatch(rf"\w+Burn{window.long_s}(Long|Short)", k))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_dashboard_body_is_json_on_the_grid_with_every_alarm(name):
    resources = _template(TEMPLATES[name])["Resources"]
    body = resources["Dashboard"]["Properties"]["DashboardBody"]
    text, variables = body["Fn::Sub"] if isinstance(body, dict) else (body, {})
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(variables)
    dashboard = json.loads(text)
    for widget in dashboard["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24
    alarm_widget = dashboard["widgets"][0]
    arns = [variables[re.fullmatch(r"\$\{(\w+)\}", arn).group(1)]["Fn::GetAtt"][0] for arn in
            alarm_widget["properties"]["alarms"]]
    alarms = [k for k, v in resources.items() if v["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
              and not re.search(r"Burn\d+(Long|Short)$", k)]
    assert sorted(arns) == sorted(alarms)
    titles = [widget["properties"].get("title", "") for widget in dashboard["widgets"]]
    assert any("burn rate" in title for title in titles)
    assert any("error budget left" in title for title in titles)
    if name == "thumbnails":  # the alias's versions are separate series: canary vs stable
        assert any("ExecutedVersion" in json.dumps(widget) for widget in dashboard["widgets"])
