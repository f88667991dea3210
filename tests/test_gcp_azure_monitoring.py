"""Issue 11 item 5 for GCP and Azure: the opt-in Cloud Monitoring dashboard and alert policies
(`platform.gcp.monitoring`) and the Azure Monitor metric alerts and workbook
(`platform.azure.monitoring`).

The oracle has no validator for these files, so they stay out of examples/ and golden/ and are
checked here against the documented API fields (`monitoring_api.py`, whose mutation tests below
show it catches mistakes); every PromQL query is parsed by promtool, and the fast-burn policy is
evaluated by `promtool test rules` on synthetic Cloud Run series; the Azure template's shell is
validated by the oracle's ARM template-shell schema; the burn-rate windows and thresholds are
those of `slo_alerts.BURN_WINDOWS`; the runbook names the exact commands."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import monitoring_api
import tools_support
from conftest import ROOT
from shipgen.pipeline import build
from shipgen.targets.slo_alerts import BURN_WINDOWS, burn_factor, burn_threshold

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
ARM_SHELL_SCHEMA = ROOT.parent / "shared" / "oracle" / "schemas" / "arm-deployment-template.schema.json"


def _load(path: Path) -> dict:
    """A spec as data (ruamel: YAML 1.2, as shipgen reads it)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _with(spec: Path, platform_key: str, monitoring: dict, change=None) -> str:
    data = _load(spec)
    data["platform"][platform_key]["monitoring"] = monitoring
    if change:
        change(data)
    return yaml.safe_dump(data, sort_keys=False)


def _add_slo(data):
    data["slos"] = [{"name": "availability", "objective": 99.9, "sli": "errors"}]


VARIANTS = {  # name -> (base spec, platform key, monitoring settings, change)
    "cloud-run": (HOSTILE / "gcp-cloud-run-monitoring.yaml", "gcp", None, None),
    "cloud-run-plain": (ROOT / "examples" / "gcp-cloud-run-canary.yaml", "gcp", {}, None),
    "cloud-deploy-run": (ROOT / "examples" / "gcp-cloud-deploy-canary.yaml", "gcp", {}, None),
    "cloud-deploy-gke": (ROOT / "examples" / "gcp-cloud-deploy-mesh.yaml", "gcp", {}, None),
    "traffic-director": (HOSTILE / "gcp-traffic-director-weights.yaml", "gcp", {}, _add_slo),
    "container-apps": (HOSTILE / "azure-container-apps-monitoring.yaml", "azure", None, None),
    "app-service": (ROOT / "examples" / "azure-app-service-blue-green.yaml", "azure", {}, None),
    "traffic-manager": (ROOT / "examples" / "azure-traffic-manager-blue-green.yaml", "azure", {}, None),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{variant: {path in the release folder: bytes}} and the releases' folders."""
    root = tmp_path_factory.mktemp("monitoring")
    shutil.copytree(ROOT / "examples", root / "examples")
    shutil.copytree(HOSTILE, root / "hostile")
    results = {}
    for name, (base, key, monitoring, change) in VARIANTS.items():
        folder = root / ("hostile" if base.parent == HOSTILE else "examples")
        spec = folder / f"zz-{name}.yaml"
        spec.write_text(base.read_text(encoding="utf-8") if monitoring is None and change is None
                        else _with(base, key, monitoring, change), encoding="utf-8")
        result = build([spec])
        assert [d for d in result.diagnostics if d.severity == "error"] == [], name
        (prefix,) = {path.rsplit("/", 1)[0] for path in result.files if path.endswith("RUNBOOK.md")}
        results[name] = {path[len(prefix) + 1:]: content for path, content in result.files.items()}
        spec.unlink()
    return results


def _json(files: dict, suffix: str) -> dict:
    return {path: json.loads(content) for path, content in files.items() if path.startswith(suffix)}


GCP = [name for name, (_, key, _, _) in VARIANTS.items() if key == "gcp"]
AZURE = [name for name, (_, key, _, _) in VARIANTS.items() if key == "azure"]


# ---------------------------------------------------------------------------- opt-in only


def test_nothing_is_emitted_without_the_opt_in():
    golden = [path for path in (ROOT / "golden").rglob("*") if "monitoring" in path.parts
              or "cloud-monitoring" in path.parts or "azure-monitor" in path.parts]
    assert golden == []
    examples = [path for path in (ROOT / "examples").rglob("*.yaml") if "ci" not in path.parts
                and any("monitoring" in (_load(path).get("platform", {}).get(key) or {}) for key in ("gcp", "azure"))]
    assert examples == []
    result = build([ROOT / "examples" / "gcp-cloud-run-canary.yaml"])
    assert not [path for path in result.files if "/cloud-monitoring/" in path]


@pytest.mark.parametrize("name", GCP)
def test_gcp_files_fit_the_documented_dashboard_and_alert_policy_fields(built, name):
    files = built[name]
    dashboards = _json(files, "cloud-monitoring/dashboard.json")
    policies = _json(files, "cloud-monitoring/alert-policy-")
    assert list(dashboards) == ["cloud-monitoring/dashboard.json"]
    assert policies, name
    assert monitoring_api.dashboard_problems(dashboards["cloud-monitoring/dashboard.json"]) == []
    for path, document in policies.items():
        assert monitoring_api.alert_policy_problems(document) == [], path


@pytest.mark.parametrize("name", AZURE)
def test_azure_template_fits_the_documented_fields_and_the_arm_shell(built, name):
    templates = _json(built[name], "azure-monitor/")
    assert list(templates) == ["azure-monitor/template.json"]
    template = templates["azure-monitor/template.json"]
    assert monitoring_api.arm_monitoring_problems(template) == []
    assert not [path for path in built[name] if path.endswith("template.json") and "azure-monitor" not in path
                and b"Microsoft.Insights" in built[name][path]], "the alerts stay out of the release's template"
    if not ARM_SHELL_SCHEMA.is_file():
        tools_support.missing(f"the oracle's ARM shell schema is not at {ARM_SHELL_SCHEMA}")
    import jsonschema

    schema = json.loads(ARM_SHELL_SCHEMA.read_text(encoding="utf-8"))
    errors = [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(template)]
    assert errors == []


# ---------------------------------------------------------------------------- PromQL


def _queries(files: dict) -> list:
    found = []
    for path, document in _json(files, "cloud-monitoring/").items():
        if path.endswith("dashboard.json"):
            found += monitoring_api.dashboard_queries(document)
        else:
            found += [condition["conditionPrometheusQueryLanguage"]["query"] for condition in document["conditions"]]
    return found


def test_every_promql_query_parses_with_promtool(built, tmp_path):
    promtool = tools_support.tool("promtool")
    queries = sorted({query for name in GCP for query in _queries(built[name])})
    assert len(queries) > 20
    rules = {"groups": [{"name": "shipgen", "rules": [{"alert": f"Q{index}", "expr": query}
                                                      for index, query in enumerate(queries)]}]}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_catches_a_broken_query(tmp_path):
    promtool = tools_support.tool("promtool")
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "Q", "expr": "sum(rate(x[5m]) /"}]}]}))
    assert subprocess.run([promtool, "check", "rules", str(path)], capture_output=True).returncode != 0


def _series(errors_per_minute: int, total_per_minute: int) -> list:
    selector = 'monitored_resource="cloud_run_revision",service_name="catalog",revision_name="catalog-release-7"'
    return [{"series": f'run_googleapis_com:request_count{{{selector},response_code_class="5xx"}}',
             "values": f"0+{errors_per_minute}x480"},
            {"series": f'run_googleapis_com:request_count{{{selector},response_code_class="2xx"}}',
             "values": f"0+{total_per_minute - errors_per_minute}x480"}]


@pytest.mark.parametrize("errors, fires", [(20, True), (1, False)])
def test_the_fast_burn_policy_fires_on_a_fast_burn_and_stays_silent_on_budget(built, tmp_path, errors, fires):
    """2% of requests failing burns a 99.9% budget 20x too fast (above the page factor 14.4):
    after 70 minutes both the 5-minute and the 1-hour windows are above the threshold. 0.1% is
    exactly on budget: silent."""
    promtool = tools_support.tool("promtool")
    policy = json.loads(built["cloud-run"]["cloud-monitoring/alert-policy-slo-availability-page.json"])
    condition = policy["conditions"][0]["conditionPrometheusQueryLanguage"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": condition["ruleGroup"], "rules": [
        {"alert": condition["alertRule"], "expr": condition["query"], "labels": condition["labels"]}]}]}))
    alerts = [{"exp_labels": {"severity": "page"}}] if fires else []
    tests = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": _series(errors, 1000),
        "alert_rule_test": [{"eval_time": "70m", "alertname": condition["alertRule"], "exp_alerts": alerts}]}]}
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- one definition of the burn rates


def test_gcp_burn_policies_use_the_shared_windows_and_thresholds(built):
    files = built["cloud-run"]
    for severity in ("page", "ticket"):
        query = json.loads(files[f"cloud-monitoring/alert-policy-slo-availability-{severity}.json"])[
            "conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
        windows = [window for window in BURN_WINDOWS if window.severity == severity]
        slo = type("Slo", (), {"objective": 99.9, "period_s": 30 * 86400})()
        for window in windows:
            assert f"[{window.short_s}s]" in query and f"[{window.long_s}s]" in query
            assert f"> {burn_threshold(window, slo)} and" in query
        assert query.count(" and ") == len(windows)


def test_azure_burn_alerts_use_the_shared_windows_that_fit_a_metric_alert(built):
    template = json.loads(built["container-apps"]["azure-monitor/template.json"])
    burns = {resource["name"]: resource["properties"] for resource in template["resources"]
             if "-slo-" in resource["name"]}
    expected = [window for window in BURN_WINDOWS if window.long_s <= 86400]
    assert sorted(burns) == sorted(f"profiles-slo-availability-burn-{window.long_s}s" for window in expected)
    for window in expected:
        properties = burns[f"profiles-slo-availability-burn-{window.long_s}s"]
        threshold = burn_factor(window, 30 * 86400) * 0.001 * 80 * window.long_s  # 80 requests/s in the spec
        assert properties["criteria"]["allOf"][0]["threshold"] == pytest.approx(threshold, rel=1e-5)
        assert properties["severity"] == {"page": 1, "ticket": 2}[window.severity]
        assert monitoring_api.WINDOWS[properties["windowSize"]] == window.long_s
        assert properties["actions"] == [{"actionGroupId": "/subscriptions/00000000-0000-0000-0000-000000000000/"
                                          "resourceGroups/accounts-prod/providers/Microsoft.Insights/actionGroups/"
                                          "accounts-oncall"}]


def test_without_an_expected_request_rate_azure_has_no_error_count_alert(tmp_path):
    text = _with(HOSTILE / "azure-container-apps-monitoring.yaml", "azure", {},
                 lambda data: data["service"].pop("traffic"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    files = build([spec]).files
    (path,) = [path for path in files if path.endswith("azure-monitor/template.json")]
    template = json.loads(files[path])
    assert [r["type"] for r in template["resources"]] == ["Microsoft.Insights/workbooks"]
    content = monitoring_api.workbook_content(template["resources"][0]["properties"]["serializedData"])
    assert "requestsPerSecond" in content["items"][0]["content"]["json"]


# ---------------------------------------------------------------------------- canary vs stable


def test_the_dashboards_show_each_version(built):
    cloud_run = json.loads(built["cloud-run"]["cloud-monitoring/dashboard.json"])
    assert any("by (revision_name" in query for query in monitoring_api.dashboard_queries(cloud_run))
    director = json.loads(built["traffic-director"]["cloud-monitoring/dashboard.json"])
    queries = monitoring_api.dashboard_queries(director)
    assert any('backend_service="payments-green"' in query for query in queries)
    assert any('backend_service="payments-blue"' in query for query in queries)
    gke = monitoring_api.dashboard_queries(json.loads(built["cloud-deploy-gke"]["cloud-monitoring/dashboard.json"]))
    assert any('service="inventory-canary"' in query for query in gke)
    assert any('service="inventory"' in query for query in gke)
    titles = [tile["widget"]["title"] for tile in cloud_run["mosaicLayout"]["tiles"]]
    assert any("burn rate" in title for title in titles) and any("error budget remaining" in title for title in titles)
    workbook = json.loads(built["container-apps"]["azure-monitor/template.json"])["resources"][-1]
    items = monitoring_api.workbook_content(workbook["properties"]["serializedData"])["items"]
    assert {item["content"]["metrics"][0].get("splitBy") for item in items if item["type"] == 10} == {
        "revisionName", "statusCodeCategory"}


# ---------------------------------------------------------------------------- runbook


@pytest.mark.parametrize("name", GCP + AZURE)
def test_the_runbook_says_how_to_create_them(built, name):
    runbook = built[name]["RUNBOOK.md"].decode()
    if name in GCP:
        project = _load(VARIANTS[name][0])["platform"]["gcp"]["project"]
        assert (f"gcloud monitoring dashboards create --project={project} "
                "--config-from-file=cloud-monitoring/dashboard.json") in runbook
        for path in built[name]:
            if path.startswith("cloud-monitoring/alert-policy-"):
                assert f"gcloud monitoring policies create --project={project} --policy-from-file={path}" in runbook
    else:
        assert "--template-file azure-monitor/template.json" in runbook


# ---------------------------------------------------------------------------- the checker catches mistakes


def _mutated(document: dict, change) -> dict:
    result = copy.deepcopy(document)
    change(result)
    return result


def _tile(document):
    return document["mosaicLayout"]["tiles"][2]


DASHBOARD_MUTATIONS = {
    "unknown top-level field": lambda d: d.update(title="x"),
    "no layout": lambda d: d.pop("mosaicLayout"),
    "two layouts": lambda d: d.update(gridLayout={}),
    "too many columns": lambda d: d["mosaicLayout"].update(columns=49),
    "tile beyond the grid": lambda d: _tile(d).update(xPos=30),
    "overlapping tiles": lambda d: _tile(d).update(yPos=0),
    "widget with two contents": lambda d: _tile(d)["widget"].update(text={"content": "x"}),
    "no data sets": lambda d: _tile(d)["widget"]["xyChart"].update(dataSets=[]),
    "two query kinds": lambda d: _tile(d)["widget"]["xyChart"]["dataSets"][0]["timeSeriesQuery"].update(
        timeSeriesQueryLanguage="fetch x"),
    "bad plot type": lambda d: _tile(d)["widget"]["xyChart"]["dataSets"][0].update(plotType="AREA"),
    "bad threshold color": lambda d: _tile(d)["widget"]["xyChart"]["thresholds"][0].update(color="PURPLE"),
    "bad threshold direction": lambda d: _tile(d)["widget"]["xyChart"]["thresholds"][0].update(direction="UP"),
    "bad axis scale": lambda d: _tile(d)["widget"]["xyChart"]["yAxis"].update(scale="LOG"),
    "text format": lambda d: d["mosaicLayout"]["tiles"][0]["widget"]["text"].update(format="HTML"),
    "missing display name": lambda d: d.pop("displayName"),
}

POLICY_MUTATIONS = {
    "bad combiner": lambda p: p.update(combiner="ANY"),
    "bad severity": lambda p: p.update(severity="PAGE"),
    "no conditions": lambda p: p.update(conditions=[]),
    "condition with two kinds": lambda p: p["conditions"][0].update(conditionThreshold={}),
    "no query": lambda p: p["conditions"][0]["conditionPrometheusQueryLanguage"].pop("query"),
    "interval not a multiple of 30 s": lambda p: p["conditions"][0]["conditionPrometheusQueryLanguage"].update(
        evaluationInterval="45s"),
    "duration not a Duration": lambda p: p["conditions"][0]["conditionPrometheusQueryLanguage"].update(
        duration="5m"),
    "rule group not a label name": lambda p: p["conditions"][0]["conditionPrometheusQueryLanguage"].update(
        ruleGroup="my-app"),
    "upper-case user label": lambda p: p["userLabels"].update(Team="x"),
    "bad channel": lambda p: p.update(notificationChannels=["my-channel"]),
    "bad mime type": lambda p: p["documentation"].update(mimeType="text/html"),
    "unknown field": lambda p: p.update(alertRule="x"),
}

ALERT_MUTATIONS = {
    "severity 5": lambda r: r["properties"].update(severity=5),
    "window not allowed": lambda r: r["properties"].update(windowSize="P3D"),
    "frequency not allowed": lambda r: r["properties"].update(evaluationFrequency="PT2M"),
    "window shorter than frequency": lambda r: r["properties"].update(windowSize="PT1M",
                                                                      evaluationFrequency="PT5M"),
    "no scopes": lambda r: r["properties"].update(scopes=[]),
    "bad criteria type": lambda r: r["properties"]["criteria"].update(
        **{"odata.type": "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria"}),
    "bad operator": lambda r: r["properties"]["criteria"]["allOf"][0].update(operator="Above"),
    "bad aggregation": lambda r: r["properties"]["criteria"]["allOf"][0].update(timeAggregation="Sum"),
    "bad dimension operator": lambda r: r["properties"]["criteria"]["allOf"][0]["dimensions"][0].update(
        operator="Equals"),
    "missing threshold": lambda r: r["properties"]["criteria"]["allOf"][0].pop("threshold"),
    "wrong api version": lambda r: r.update(apiVersion="2024-03-01"),
}

WORKBOOK_MUTATIONS = {
    "kind": lambda r: r.update(kind="user"),
    "name not a GUID": lambda r: r.update(name="profiles"),
    "serialized data not JSON": lambda r: r["properties"].update(serializedData="{not json"),
    "no display name": lambda r: r["properties"].pop("displayName"),
}


@pytest.mark.parametrize("mutation", DASHBOARD_MUTATIONS)
def test_the_dashboard_checker_catches(built, mutation):
    document = json.loads(built["cloud-run"]["cloud-monitoring/dashboard.json"])
    assert monitoring_api.dashboard_problems(_mutated(document, DASHBOARD_MUTATIONS[mutation])) != []


@pytest.mark.parametrize("mutation", POLICY_MUTATIONS)
def test_the_alert_policy_checker_catches(built, mutation):
    document = json.loads(built["cloud-run"]["cloud-monitoring/alert-policy-slo-availability-page.json"])
    assert monitoring_api.alert_policy_problems(_mutated(document, POLICY_MUTATIONS[mutation])) != []


@pytest.mark.parametrize("mutation", ALERT_MUTATIONS)
def test_the_metric_alert_checker_catches(built, mutation):
    resource = json.loads(built["container-apps"]["azure-monitor/template.json"])["resources"][0]
    assert monitoring_api.metric_alert_problems(_mutated(resource, ALERT_MUTATIONS[mutation])) != []


@pytest.mark.parametrize("mutation", WORKBOOK_MUTATIONS)
def test_the_workbook_checker_catches(built, mutation):
    resource = json.loads(built["container-apps"]["azure-monitor/template.json"])["resources"][-1]
    assert monitoring_api.workbook_problems(_mutated(resource, WORKBOOK_MUTATIONS[mutation])) != []


def test_a_cloud_run_release_without_gates_gets_the_requests_dashboard_and_no_policy(write_spec):
    spec = write_spec("""\
        apiVersion: shipgen.dev/v1alpha1
        kind: Release
        metadata: {name: plain, namespace: shop, team: shop, environment: staging}
        service: {image: europe-docker.pkg.dev/shop-prod/images/plain:1.0.0, ports: [{port: 8080}]}
        platform:
          kind: gcp-cloud-run
          gcp: {project: shop-prod, region: europe-west1, cloudRun: {previousRevision: plain-v0-9-0}, monitoring: {}}
        strategy: {type: canary, steps: [10, 50], interval: 1m}
        """)
    files = build([spec]).files
    monitoring = sorted(path for path in files if "/cloud-monitoring/" in path)
    assert monitoring == ["staging/plain/cloud-monitoring/dashboard.json"]
    document = json.loads(files[monitoring[0]])
    assert monitoring_api.dashboard_problems(document) == []
    assert len(document["mosaicLayout"]["tiles"]) == 2  # about, and requests per revision
    assert "No alert policy" in files["staging/plain/RUNBOOK.md"].decode()


def _warnings(spec: Path) -> list:
    from shipgen.pipeline import check_specs

    return [d for d in check_specs([spec]).diagnostics if d.severity == "warning"]


def test_a_gate_the_monitoring_cannot_watch_is_a_located_warning(tmp_path):
    director = tmp_path / "director.yaml"
    director.write_text(_with(HOSTILE / "gcp-traffic-director-weights.yaml", "gcp", {},
                              lambda data: data["gates"].append({"name": "latency", "metric": "latency", "max": 300})))
    (warning,) = [d for d in _warnings(director) if "no request metric per backend service" in d.message]
    assert "latency" in warning.message and "errors" not in warning.message.split("gates ")[1].split(" have")[0]
    assert warning.line == next(number for number, line in enumerate(director.read_text().splitlines(), 1)
                                if line.strip().startswith("monitoring"))
    apps = tmp_path / "apps.yaml"
    apps.write_text(_with(HOSTILE / "azure-container-apps-monitoring.yaml", "azure", {},
                          lambda data: data["service"].pop("traffic")))
    assert [d.code for d in _warnings(apps) if "requestsPerSecond" in d.message] == ["SG004"]
    with_rate = tmp_path / "rate.yaml"
    with_rate.write_text(_with(HOSTILE / "azure-container-apps-monitoring.yaml", "azure", {}))
    assert [d for d in _warnings(with_rate) if "requestsPerSecond" in d.message] == []
