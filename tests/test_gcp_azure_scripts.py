"""The generated rollout.sh scripts (Cloud Run, Container Apps, App Service, Traffic Manager):
run them against stub `gcloud`/`az`/`curl`/`sleep` commands and check what they do, step by step;
check that spec values cannot escape their quotes; and that shellcheck finds nothing."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import release_from
from shipgen.serialize import serialize
from shipgen.targets.azure import app_service as azure_app_service
from shipgen.targets.azure import container_apps as azure_container_apps
from shipgen.targets.azure import traffic_manager as azure_traffic_manager
from shipgen.targets.gcp import cloud_run as gcp_cloud_run
import tools_support

# URL characters only (the schema's rule), and still a command substitution if a script let it expand
HOSTILE_PATH = "/q?x='1'&y=$(touch$IFS'pwned')"

CLOUD_RUN = f"""\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {{name: catalog, team: shop}}
service:
  image: registry.example.com/catalog:2.4.0
  ports: [{{port: 8080}}]
platform:
  kind: gcp-cloud-run
  gcp:
    project: shop-prod
    region: europe-west1
    cloudRun: {{previousRevision: catalog-v2-3-1}}
strategy: {{type: canary, steps: [10, 40], interval: 30s}}
rollback: {{maxFailedChecks: 1}}
smoke:
  - name: hostile
    http: {{path: "{HOSTILE_PATH}"}}
"""

CONTAINER_APPS = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: profiles, team: accounts}
service:
  image: contoso.azurecr.io/profiles:5.0.1
  ports: [{port: 8080}]
platform:
  kind: azure-container-apps
  azure:
    resourceGroup: accounts-prod
    subscription: "Prod Subscription"
    containerApp: {environment: accounts-env, previousRevision: profiles--v5-0-0}
strategy: {type: canary, steps: [20], interval: 1m}
smoke:
  - {name: ready, http: {path: /ready}}
"""

APP_SERVICE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web-portal, team: portal}
service:
  image: contoso.azurecr.io/portal/web:12.3.0
  ports: [{port: 3000}]
  health: {readiness: /health}
platform:
  kind: azure-app-service
  azure: {resourceGroup: portal-prod}
strategy: {type: canary, steps: [25], interval: 1m}
smoke:
  - {name: health, http: {path: /health}}
"""

TRAFFIC_MANAGER = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: edge, team: shop}
service:
  image: contoso.azurecr.io/edge:9.0.0
  ports: [{port: 8080}]
  health: {readiness: /healthz}
platform:
  kind: azure-traffic-manager
  azure:
    resourceGroup: shop-global
    trafficManager:
      live: green
      endpoints:
        - {name: green-weu, color: green, host: green-weu.example.net}
        - {name: blue-weu, color: blue, host: blue-weu.example.net}
        - {name: blue-eus, color: blue, host: blue-eus.example.net}
strategy: {type: canary, steps: [50], interval: 1m}
smoke:
  - {name: home, http: {path: /}}
"""

# Stubs: every call is logged; `curl` answers 500 once the new version has FAIL_FROM percent or
# more of the traffic (the stubs of the platform CLIs record the share in $STATE).
# The metric stubs answer a 5xx share of 0.5 (Cloud Monitoring's PromQL API through `curl`, Azure
# Monitor through `az monitor metrics list`) once the new version has GATE_FAIL_FROM percent or more
# of the traffic, else 0.0005; Cloud Run's p95 latency is 120 ms.
STUBS = {
    "sleep": 'echo "sleep $*" >> "$LOG"',
    "curl": textwrap.dedent("""\
        echo "curl $*" >> "$LOG"
        share="$(cat "$STATE" 2>/dev/null || echo 0)"
        case "$*" in
          *monitoring.googleapis.com*)
            value=0.0005
            if [ "$share" -ge "${GATE_FAIL_FROM:-101}" ]; then value=0.5; fi
            case "$*" in *histogram_quantile*) value=120 ;; esac
            printf '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764921600,"%s"]}]}}' "$value"
            exit 0 ;;
        esac
        if [ "$share" -ge "${FAIL_FROM:-101}" ]; then printf 500; else printf 200; fi
        """),
    "gcloud": textwrap.dedent("""\
        echo "gcloud $*" >> "$LOG"
        case "$*" in
          *"auth print-identity-token"*) echo token ;;
          *"auth print-access-token"*) echo access-token ;;
          *"services describe"*) echo "https://catalog-abc-ew.a.run.app" ;;
          *"--to-revisions=catalog-v2-3-1=100"*) echo 0 > "$STATE" ;;
          *"--to-revisions=catalog-v2-4-0="*) all="$*"; share="${all#*--to-revisions=catalog-v2-4-0=}"; echo "${share%%,*}" > "$STATE" ;;
        esac
        """),
    "az": textwrap.dedent("""\
        echo "az $*" >> "$LOG"
        share="$(cat "$STATE" 2>/dev/null || echo 0)"
        case "$*" in
          *"monitor metrics list"*"statusCodeCategory eq '5xx'"*)
            if [ "$share" -ge "${GATE_FAIL_FROM:-101}" ]; then echo 500.0; else echo 1.0; fi ;;
          *"monitor metrics list"*) echo 2000.0 ;;
          *"containerapp show"*) echo "profiles.blue-sea-123.westeurope.azurecontainerapps.io" ;;
          *"webapp show"*) echo "web-portal-staging.azurewebsites.net" ;;
          *"config show"*) echo "DOCKER|contoso.azurecr.io/portal/web:12.3.0" ;;
          *"endpoint show"*) echo "Enabled" ;;
          *"preview="*) all="$*"; share="${all#*preview=}"; echo "${share%% *}" > "$STATE" ;;
          *"--distribution staging="*) all="$*"; share="${all#*staging=}"; echo "${share%% *}" > "$STATE" ;;
          *"slot swap"*) echo 100 > "$STATE" ;;
        esac
        """),
}


def _write_release(write_spec, tmp_path, text, target):
    release = release_from(write_spec(text))
    folder = tmp_path / "out"
    for artifact in target.render(release, None):
        path = folder / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(serialize(artifact, release.source))
        if artifact.format == "shell":
            path.chmod(0o755)
    (script,) = folder.glob("*/rollout.sh")
    return release, script


def _run(script: Path, tmp_path: Path, *args, fail_from=None, gate_fail_from=None):
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/usr/bin/env bash\n" + body)
        (stubs / name).chmod(0o755)
    log, state = tmp_path / "calls.log", tmp_path / "share"
    log.write_text("")
    state.write_text("0")
    env = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", LOG=str(log), STATE=str(state))
    if fail_from is not None:
        env["FAIL_FROM"] = str(fail_from)
    if gate_fail_from is not None:
        env["GATE_FAIL_FROM"] = str(gate_fail_from)
    result = subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    return result, log.read_text().splitlines()


def _platform_calls(lines, prefix):
    return [line for line in lines if line.startswith(prefix)]


def test_cloud_run_script_walks_the_plan_and_quotes_the_smoke_path(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, CLOUD_RUN, gcp_cloud_run)
    result, calls = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    traffic = [line.split("--to-revisions=")[1].split()[0] for line in calls if "update-traffic" in line]
    assert traffic == ["catalog-v2-4-0=10,catalog-v2-3-1=90", "catalog-v2-4-0=40,catalog-v2-3-1=60",
                       "catalog-v2-4-0=100,catalog-v2-3-1=0"]
    assert _platform_calls(calls, "gcloud run services replace")[0].split()[4].endswith("cloud-run/service.yaml")
    # the hold at each step: 30 s at 10 % and at 40 %, checked every interval (30 s)
    assert [line for line in calls if line.startswith("sleep")] == ["sleep 30", "sleep 30"]
    urls = [line.split("--request GET ", 1)[1] for line in calls if line.startswith("curl")]
    assert urls and set(urls) == {"https://preview---catalog-abc-ew.a.run.app" + HOSTILE_PATH}
    assert not (tmp_path / "pwned").exists()


def test_cloud_run_script_rolls_back_after_the_tolerated_failures(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, CLOUD_RUN, gcp_cloud_run)
    result, calls = _run(script, tmp_path, fail_from=40)
    assert result.returncode == 1
    traffic = [line.split("--to-revisions=")[1].split()[0] for line in calls if "update-traffic" in line]
    assert traffic == ["catalog-v2-4-0=10,catalog-v2-3-1=90", "catalog-v2-4-0=40,catalog-v2-3-1=60",
                       "catalog-v2-3-1=100"]  # never reached 100 %
    checks_at_40 = [line for line in calls[calls.index(next(c for c in calls if "=40," in c)):] if line.startswith("curl")]
    assert len(checks_at_40) == 2  # maxFailedChecks 1: the second failure in a row rolls back
    assert "rolling back" in result.stderr


def test_container_apps_script_moves_revision_weights(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, CONTAINER_APPS, azure_container_apps)
    result, calls = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    # by label: the template's stable (previous revision) and preview (new revision) entries
    weights = [line.split("--label-weight ")[1].split(" --subscription")[0] for line in calls
               if "--label-weight" in line]
    assert weights == ["stable=80 preview=20", "stable=0 preview=100"]
    assert not any("--revision-weight" in line for line in calls)
    assert all(line.endswith("--subscription Prod Subscription") for line in _platform_calls(calls, "az "))
    assert any(line.endswith("https://profiles---preview.blue-sea-123.westeurope.azurecontainerapps.io/ready")
               for line in calls if line.startswith("curl"))
    assert "sleep 30" in calls and calls[-1].startswith("az containerapp revision deactivate")  # scaleDownDelay 30 s


def test_app_service_script_routes_then_swaps(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, APP_SERVICE, azure_app_service)
    result, calls = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    steps = [line for line in calls if "traffic-routing" in line or "slot swap" in line]
    assert steps[0].startswith("az webapp traffic-routing set --distribution staging=25")
    assert steps[1].startswith("az webapp traffic-routing clear")
    assert steps[2].startswith("az webapp deployment slot swap --slot staging --target-slot production")
    assert len(steps) == 3


def test_app_service_rollback_swaps_back_when_production_runs_the_new_version(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, APP_SERVICE, azure_app_service)
    result, calls = _run(script, tmp_path, "rollback")
    assert result.returncode == 0, result.stderr
    assert any("slot swap --slot staging --target-slot production" in line for line in calls)


def test_traffic_manager_script_sets_the_computed_weights(write_spec, tmp_path):
    release, script = _write_release(write_spec, tmp_path, TRAFFIC_MANAGER, azure_traffic_manager)
    result, calls = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    updates = [line.split("--name ")[1].split(" --type")[0] + ":" + (line.split("--weight ")[1].split()[0]
               if "--weight" in line else "off") for line in calls if "endpoint update" in line]
    # 50 %: blue (new) 2 endpoints x 250 vs green (live) 1 x 500; 100 %: blue 2 x 500, green disabled
    assert updates == ["blue-weu:250", "blue-eus:250", "green-weu:500", "blue-weu:500", "blue-eus:500", "green-weu:off"]


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
@pytest.mark.parametrize("text,target", [(CLOUD_RUN, gcp_cloud_run), (CONTAINER_APPS, azure_container_apps),
                                         (APP_SERVICE, azure_app_service), (TRAFFIC_MANAGER, azure_traffic_manager)])
def test_scripts_are_shellcheck_clean_at_every_severity(write_spec, tmp_path, text, target):
    _, script = _write_release(write_spec, tmp_path, text, target)
    result = subprocess.run(["shellcheck", "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ---------------------------------------------------------------------------- metric gates (issue 13 item 6)

GATES = """\
gates:
  - {name: errors, metric: error-rate, max: 0.01, window: 1m}
  - {name: slow, metric: latency, percentile: 95, max: 500, window: 1m}
"""
CLOUD_RUN_GATED = CLOUD_RUN + GATES
CONTAINER_APPS_GATED = CONTAINER_APPS.replace("strategy: {type: canary, steps: [20], interval: 1m}",
                                              "strategy: {type: canary, steps: [20, 60], interval: 1m}") + \
    "rollback: {maxFailedChecks: 1}\n" + GATES


def _traffic(calls):
    return [line.split("--to-revisions=")[1].split()[0] for line in calls if "update-traffic" in line]


def _monitoring(calls):
    return [line for line in calls if line.startswith("curl") and "monitoring.googleapis.com" in line]


def test_cloud_run_gates_pass_and_the_rollout_completes(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, CLOUD_RUN_GATED, gcp_cloud_run)
    result, calls = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert _traffic(calls) == ["catalog-v2-4-0=10,catalog-v2-3-1=90", "catalog-v2-4-0=40,catalog-v2-3-1=60",
                               "catalog-v2-4-0=100,catalog-v2-3-1=0"]
    # both gates read once while 10 % and once while 40 % is held (30 s each, checked every 30 s)
    queries = _monitoring(calls)
    assert len(queries) == 4
    assert all("/v1/projects/shop-prod/location/global/prometheus/api/v1/query" in line for line in queries)
    errors = [line for line in queries if "request_count" in line]
    assert len(errors) == 2 and all('revision_name="catalog-v2-4-0"' in line and 'response_code_class="5xx"' in line
                                    and "[60s]" in line for line in errors)
    assert all("histogram_quantile(0.95," in line for line in queries if "request_latencies_bucket" in line)
    assert "gate errors: 0.0005" in result.stdout and "gate slow: 120" in result.stdout


def test_cloud_run_failing_error_rate_at_step_2_rolls_back(write_spec, tmp_path):
    # the test that failed before the fix: the smoke tests pass throughout and only the errors gate
    # fails, from 40 % on; it used to promote to 100 % and exit 0
    _, script = _write_release(write_spec, tmp_path, CLOUD_RUN_GATED, gcp_cloud_run)
    result, calls = _run(script, tmp_path, gate_fail_from=40)
    assert _traffic(calls) == ["catalog-v2-4-0=10,catalog-v2-3-1=90", "catalog-v2-4-0=40,catalog-v2-3-1=60",
                               "catalog-v2-3-1=100"]  # never 100 %: back to the previous revision
    assert result.returncode == 1, result.stderr  # rollout.EXIT_ROLLED_BACK, as the runbook says
    at_40 = calls[calls.index(next(line for line in calls if "=40," in line)):]
    assert len([line for line in _monitoring(at_40) if "request_count" in line]) == 2  # maxFailedChecks 1
    assert "gate errors: 0.5 is outside any..0.01" in result.stderr
    assert "rolling back: the new version failed 2 gate checks in a row at 40% of traffic" in result.stderr
    from shipgen.targets.gcp_azure.rollout import EXIT_ROLLED_BACK

    assert EXIT_ROLLED_BACK == 1 and "; 1 when a check failed beyond rollback.maxFailedChecks and all traffic went back" in gcp_cloud_run.notes(release_from(
        write_spec(CLOUD_RUN_GATED)))[-1]


def test_cloud_run_gate_failure_without_automatic_rollback_stops(write_spec, tmp_path):
    from shipgen.targets.gcp_azure.rollout import EXIT_STOPPED

    text = CLOUD_RUN_GATED.replace("rollback: {maxFailedChecks: 1}", "rollback: {maxFailedChecks: 1, automatic: false}")
    _, script = _write_release(write_spec, tmp_path, text, gcp_cloud_run)
    result, calls = _run(script, tmp_path, gate_fail_from=10)
    assert result.returncode == EXIT_STOPPED == 3, result.stderr
    assert _traffic(calls) == ["catalog-v2-4-0=10,catalog-v2-3-1=90"]  # stopped where it was, nothing rolled back


def test_container_apps_failing_error_rate_at_step_2_rolls_back(write_spec, tmp_path):
    _, script = _write_release(write_spec, tmp_path, CONTAINER_APPS_GATED, azure_container_apps)
    healthy, calls = _run(script, tmp_path)
    assert healthy.returncode == 0, healthy.stderr
    metrics = [line for line in calls if line.startswith("az monitor metrics list")]
    assert len(metrics) == 4  # the errors gate at 20 % and at 60 %: all requests, then the 5xx ones
    assert all("--resource profiles --resource-group accounts-prod --resource-type Microsoft.App/containerApps "
               "--metrics Requests --aggregation Total" in line and "--offset 60s" in line for line in metrics)
    assert "--filter revisionName eq 'profiles--v5-0-1' and statusCodeCategory eq '5xx'" in metrics[1]
    assert "gate errors: 0.0005" in healthy.stdout
    # Azure Monitor has no latency percentile for Container Apps: the slow gate is not read
    assert "gate slow" not in healthy.stdout

    result, calls = _run(script, tmp_path, gate_fail_from=60)
    assert result.returncode == 1, result.stderr
    weights = [line.split("--label-weight ")[1].split(" --subscription")[0] for line in calls
               if "--label-weight" in line]
    assert weights == ["stable=80 preview=20", "stable=40 preview=60", "stable=100 preview=0"]
    assert "gate errors: 0.25 is outside any..0.01" in result.stderr


def test_the_gate_table_follows_what_the_script_judges(write_spec):
    from shipgen.targets import runbook
    from shipgen.targets.gcp.rollout import rollout

    text = CLOUD_RUN_GATED + "  - {name: saturation, query: 'sum(up)', max: 1}\n"
    release = release_from(write_spec(text))
    model = rollout(release)
    views = {gate.name: runbook.gate_view(release, gate, gcp_cloud_run, model) for gate in release.gates}
    assert views["errors"]["rolls_back"] == views["slow"]["rolls_back"] == "yes, by itself"
    assert views["errors"]["measured_by"].startswith("rollout.sh: Cloud Monitoring run.googleapis.com/request_count")
    assert views["saturation"]["rolls_back"] == "no: a person rolls back (rollback.on)"
    sentence = gcp_cloud_run.automatic_rollback(release)
    assert "judges gates errors, slow" in sentence and "gates saturation are not evaluated" in sentence
    assert "exits 1" in sentence
    script = gcp_cloud_run.render(release, None)[1].content
    assert "gate saturation" not in script and "gate errors '' 0.01 promql" in script


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
@pytest.mark.parametrize("text,target", [(CLOUD_RUN_GATED, gcp_cloud_run), (CONTAINER_APPS_GATED, azure_container_apps)])
def test_scripts_with_gates_are_shellcheck_clean_at_every_severity(write_spec, tmp_path, text, target):
    _, script = _write_release(write_spec, tmp_path, text, target)
    result = subprocess.run(["shellcheck", "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
