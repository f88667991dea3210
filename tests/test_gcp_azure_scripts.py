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
STUBS = {
    "sleep": 'echo "sleep $*" >> "$LOG"',
    "curl": textwrap.dedent("""\
        echo "curl $*" >> "$LOG"
        share="$(cat "$STATE" 2>/dev/null || echo 0)"
        if [ "$share" -ge "${FAIL_FROM:-101}" ]; then printf 500; else printf 200; fi
        """),
    "gcloud": textwrap.dedent("""\
        echo "gcloud $*" >> "$LOG"
        case "$*" in
          *"auth print-identity-token"*) echo token ;;
          *"services describe"*) echo "https://catalog-abc-ew.a.run.app" ;;
          *"--to-revisions=catalog-v2-3-1=100"*) echo 0 > "$STATE" ;;
          *"--to-revisions=catalog-v2-4-0="*) all="$*"; share="${all#*--to-revisions=catalog-v2-4-0=}"; echo "${share%%,*}" > "$STATE" ;;
        esac
        """),
    "az": textwrap.dedent("""\
        echo "az $*" >> "$LOG"
        case "$*" in
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


def _run(script: Path, tmp_path: Path, *args, fail_from=None):
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
