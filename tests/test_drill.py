"""The rollback drill (`drill/` in every release folder, `shipgen drill SPEC`): its timing comes
from the plan's simulation, the script is shellcheck-clean, and run against stub platform CLIs it
tells "rolled back" from "did not roll back" by distinct exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, release_from
from tools_support import tool

EXAMPLES = sorted(path for path in (ROOT / "examples").glob("*.yaml"))
GOLDEN = ROOT / "golden"
FLAGGER = ROOT / "examples" / "flagger-canary-istio.yaml"  # storefront, production, namespace shop
LAMBDA = ROOT / "examples" / "aws-lambda-sam.yaml"


def _golden_folder(spec: Path) -> Path:
    release = release_from(spec)
    return GOLDEN / release.output_dir


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda path: path.stem)
def test_every_golden_release_has_the_drill_that_shipgen_drill_prints(spec, run_shipgen):
    folder = _golden_folder(spec) / "drill"
    page = run_shipgen("drill", spec)
    script = run_shipgen("drill", spec, "--script")
    assert page.exit_code == 0 and script.exit_code == 0, page.output + script.output
    assert page.stdout == (folder / "DRILL.md").read_text()
    assert script.stdout == (folder / "drill.sh").read_text()
    assert os.access(folder / "drill.sh", os.X_OK)


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda path: path.stem)
def test_timeout_is_the_simulated_fail_from_start_rollback_plus_margin(spec, run_shipgen):
    """Read back from `shipgen plan --format json`, not from the drill's own code."""
    plan = json.loads(run_shipgen("plan", spec, "--scenario", "fail-from-start", "--format", "json").stdout)
    script = (_golden_folder(spec) / "drill" / "drill.sh").read_text()
    timeout = int(re.search(r'timeout_s="\$\{DRILL_TIMEOUT_S:-([0-9]+)\}"', script).group(1))
    if plan["outcome"] == "rolled-back":
        expected = plan["rolled_back_at_s"]
        assert f"expected_s={expected}  #" in script
        assert timeout == expected + max(120, expected // 2)
        assert "wait_for_verdict \"$timeout_s\"\n" in script
    else:  # nothing rolls the failing version back by itself: the drill runs the person's rollback
        assert "expected_s=" not in script
        assert timeout == 120
        assert "\nroll_back\n" in script


def test_drill_page_snapshot(run_shipgen, snapshot):
    assert run_shipgen("drill", FLAGGER).stdout == snapshot(name="flagger-page")
    assert run_shipgen("drill", LAMBDA, "--script").stdout == snapshot(name="lambda-script")


def test_drill_takes_exactly_one_release(run_shipgen):
    """examples/ holds every release of golden/ (test_golden): the refusal names each of them."""
    releases = sorted(f"{path.parent.parent.name}/{path.parent.name}" for path in GOLDEN.glob("*/*/PLAN.md"))
    result = run_shipgen("drill", ROOT / "examples")
    assert result.exit_code == 2
    assert len(releases) > len(EXAMPLES)  # examples/ has folders of specs too
    assert f"give one release spec (found {len(releases)}: {', '.join(releases)})" in result.stderr


def test_drill_reports_a_bad_spec_as_a_located_error(write_spec, run_shipgen):
    path = write_spec("apiVersion: shipgen.dev/v1alpha1\nkind: Release\nmetadata: {name: 7}\n")
    result = run_shipgen("drill", path)
    assert result.exit_code == 2
    assert re.search(r"release\.yaml:\d+:\d+: error", result.stderr)


def test_drill_scripts_are_shellcheck_clean_at_every_severity():
    scripts = sorted(GOLDEN.glob("*/*/drill/drill.sh"))
    assert len(scripts) == len(list(GOLDEN.glob("*/*/PLAN.md"))) >= len(EXAMPLES)
    result = subprocess.run([tool("shellcheck"), "--severity=style", *map(str, scripts)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout


# --------------------------------------------------------------------- running drill.sh on stubs

KUBECTL = r"""#!/usr/bin/env bash
# A Flagger cluster in a file: $STATE/primary (image serving), $STATE/phase, $STATE/calls.
echo "kubectl $*" >>"$STATE/log"
args="$*"
case "$args" in
  *"set image deployment/storefront "*)
    echo "${args##*=}" >"$STATE/canary"
    echo Progressing >"$STATE/phase" ;;
  *"get deployment storefront-primary"*) cat "$STATE/primary" ;;
  *"get canary storefront"*)
    calls=$(( $(cat "$STATE/calls" 2>/dev/null || echo 0) + 1 ))
    echo "$calls" >"$STATE/calls"
    if [ "$(cat "$STATE/phase")" = Progressing ] && [ "$calls" -ge 3 ]; then
      case "$OUTCOME" in
        rollback) echo Failed >"$STATE/phase" ;;
        promote) echo Succeeded >"$STATE/phase"; cp "$STATE/canary" "$STATE/primary" ;;
        rollback-wrong) echo Failed >"$STATE/phase"; echo other:1 >"$STATE/primary" ;;
      esac
    fi
    cat "$STATE/phase" ;;
  *) echo "unexpected kubectl $args" >&2; exit 1 ;;
esac
"""


def _run_drill(script: Path, tmp_path: Path, stub_name: str, stub: str, outcome: str, **env):
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / stub_name).write_text(stub)
    (stubs / stub_name).chmod(0o755)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    environment = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", STATE=str(state), OUTCOME=outcome,
                       DRILL_POLL_S="0", DRILL_LOG=str(tmp_path / "drill.log"), **env)
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=environment, timeout=60), state


def _flagger_drill(tmp_path, outcome, **env):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "primary").write_text("registry.example.com/storefront:old\n")
    (tmp_path / "state" / "phase").write_text("Succeeded\n")
    script = _golden_folder(FLAGGER) / "drill" / "drill.sh"
    settings = {"DRILL_NAMESPACE": "shop-drill", "DRILL_IMAGE": "registry.example.com/storefront:broken"}
    settings.update(env)
    return _run_drill(script, tmp_path, "kubectl", KUBECTL, outcome, **settings)


def test_flagger_drill_passes_when_flagger_rolls_back(tmp_path):
    result, state = _flagger_drill(tmp_path, "rollback")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "drill: PASSED: rolled back" in result.stdout
    assert re.search(r'lastTested: "\d{4}-\d{2}-\d{2}"', result.stdout)
    log = (state / "log").read_text()
    assert "kubectl --namespace shop-drill set image deployment/storefront *=registry.example.com/storefront:broken" in log
    assert "--namespace shop " not in log  # never the production namespace


def test_flagger_drill_fails_when_the_failing_version_is_promoted(tmp_path):
    result, _ = _flagger_drill(tmp_path, "promote")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "failing version was promoted" in result.stderr
    assert "lastTested" not in result.stdout


def test_flagger_drill_times_out_when_nothing_happens(tmp_path):
    result, _ = _flagger_drill(tmp_path, "none", DRILL_TIMEOUT_S="1")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no rollback within 1s (simulated: 480s)" in result.stderr


def test_flagger_drill_fails_when_the_old_version_does_not_serve_again(tmp_path):
    result, _ = _flagger_drill(tmp_path, "rollback-wrong", DRILL_SETTLE_S="1")
    assert result.returncode == 6, result.stdout + result.stderr


def test_drill_that_cannot_tell_what_serves_stops_before_deploying(tmp_path):
    """Exit 2 (not started), not the failing CLI's own code, which could read as another outcome."""
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "primary").mkdir()  # `cat` of it fails: kubectl cannot answer
    script = _golden_folder(FLAGGER) / "drill" / "drill.sh"
    result, state = _run_drill(script, tmp_path, "kubectl", KUBECTL, "rollback", DRILL_NAMESPACE="shop-drill",
                               DRILL_IMAGE="registry.example.com/storefront:broken")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot tell what serves now" in result.stderr
    assert "set image" not in (state / "log").read_text()


def test_drill_refuses_the_production_namespace_before_deploying(tmp_path):
    result, state = _flagger_drill(tmp_path, "rollback", DRILL_NAMESPACE="shop")
    assert result.returncode == 2
    assert "where the release runs in production" in result.stderr
    assert not (state / "log").exists()


AWS = r"""#!/usr/bin/env bash
# CodeDeploy on a Lambda alias in a file: $STATE/version (alias version), $STATE/deployment.
echo "aws $*" >>"$STATE/log"
args="$*"
case "$args" in
  "deploy list-deployments"*) cat "$STATE/deployment" ;;
  "cloudwatch set-alarm-state"*) echo ALARM >"$STATE/alarm" ;;
  "deploy get-deployment --deployment-id d-NEW"*)
    if [ ! -f "$STATE/alarm" ]; then echo InProgress
    elif [ "$OUTCOME" = rollback ]; then echo Stopped
    else echo 2 >"$STATE/version"; echo Succeeded
    fi ;;
  "lambda get-alias"*) cat "$STATE/version" ;;
  *) echo "unexpected aws $args" >&2; exit 1 ;;
esac
"""


def _lambda_drill(tmp_path, outcome):
    state = tmp_path / "state"
    state.mkdir()
    (state / "version").write_text("1\tNone\n")
    (state / "deployment").write_text("d-OLD\n")
    build = tmp_path / "build" / "aws"
    build.mkdir(parents=True)
    (build / "deploy.sh").write_text(f'#!/usr/bin/env bash\necho d-NEW >"{state}/deployment"\n')
    (build / "deploy.sh").chmod(0o755)
    script = _golden_folder(LAMBDA) / "drill" / "drill.sh"
    return _run_drill(script, tmp_path, "aws", AWS, outcome, DRILL_ENVIRONMENT="staging",
                      DRILL_BUILD=str(tmp_path / "build"))


def test_lambda_drill_forces_the_alarms_and_passes_on_the_rollback(tmp_path):
    result, state = _lambda_drill(tmp_path, "rollback")
    assert result.returncode == 0, result.stdout + result.stderr
    log = (state / "log").read_text()
    alarms = re.findall(r"set-alarm-state --alarm-name (\S+) --state-value ALARM", log)
    assert alarms and all(name.startswith("thumbnails-staging-") for name in alarms)
    assert "--application-name thumbnails-staging --deployment-group-name thumbnails-staging" in log


def test_lambda_drill_fails_when_codedeploy_completes_the_bad_deployment(tmp_path):
    result, _ = _lambda_drill(tmp_path, "promote")
    assert result.returncode == 4, result.stdout + result.stderr


# --------------------------------------------------------------------- drills whose controller is a shipgen script

SCRIPT_DRILLS = sorted(path for path in GOLDEN.glob("*/*/drill/drill.sh")
                       if '/rollout.sh" start' in path.read_text())
SERVING = '#!/usr/bin/env bash\necho "$* " >>"$STATE/log"\ncat "$STATE/serving"\n'


@pytest.mark.parametrize("outcome", ["rolled-back", "promoted"])
@pytest.mark.parametrize("script", SCRIPT_DRILLS, ids=lambda path: path.parent.parent.name)
def test_a_rollout_script_that_exits_non_zero_is_a_verdict_not_the_end_of_the_drill(script, outcome, tmp_path):
    """The rollout script's failure is what the drill expects: under `set -e` it must still record
    its exit status, so the drill tells the rollback apart instead of timing out."""
    assert len(SCRIPT_DRILLS) >= 4  # Cloud Run, Container Apps, App Service, Traffic Manager
    folder = re.search(r'"\$DRILL_BUILD/([a-z-]+)/rollout\.sh" start', script.read_text()).group(1)
    build = tmp_path / "build" / folder
    build.mkdir(parents=True)
    body = ('echo "rolling back: smoke tests failed"; exit 1' if outcome == "rolled-back" else
            'echo "done"; exit 0')
    (build / "rollout.sh").write_text(f"#!/usr/bin/env bash\n{body}\n")
    (build / "rollout.sh").chmod(0o755)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "serving").write_text("old\n")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name in ("gcloud", "az"):
        (stubs / name).write_text(SERVING)
        (stubs / name).chmod(0o755)
    environment = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", STATE=str(tmp_path / "state"),
                       DRILL_POLL_S="0.1", DRILL_LOG=str(tmp_path / "drill.log"), DRILL_TIMEOUT_S="5",
                       DRILL_BUILD=str(tmp_path / "build"), DRILL_PROJECT="drill-project",
                       DRILL_RESOURCE_GROUP="drill-group")
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=environment, timeout=60)
    if outcome == "rolled-back":
        assert result.returncode == 0, result.stdout + result.stderr
        assert "drill: PASSED: rolled back" in result.stdout
    else:
        assert result.returncode == 4, result.stdout + result.stderr
