"""Traffic Director (issue 11 item 4): the backend services and URL maps, checked against the
documented Compute Engine API fields (`compute_api.py`: the oracle has no validator for them, so
this target stays out of examples/ and golden/); the generated rollout.sh run against stub
`gcloud`/`curl`/`sleep` commands (a failing smoke test or gate rolls the weights back to 100/0,
a healthy run reaches 100 %); shellcheck; the runbook, the plan and the drill reading the same
rollout model; and the spec errors this platform adds."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compute_api
import tools_support
from conftest import ROOT, release_from
from shipgen.durations import human
from shipgen.pipeline import build, check_specs
from shipgen.serialize import serialize
from shipgen.targets import rollout_of
from shipgen.targets.gcp import traffic_director

FIXTURE = ROOT / "tests" / "fixtures" / "hostile" / "gcp-traffic-director-weights.yaml"
SPEC = FIXTURE.read_text(encoding="utf-8")
URL = "https://www.googleapis.com/compute/v1/projects/pay-prod/global/backendServices/"
BLUE, GREEN = URL + "payments-blue", URL + "payments-green"


def _artifacts(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    return release, {artifact.path: artifact.content for artifact in traffic_director.render(release, None)}


def _errors(write_spec, text):
    return [d for d in check_specs([write_spec(text)]).diagnostics if d.severity == "error"]


# ---------------------------------------------------------------------------- the documented API fields


def test_every_backend_service_and_url_map_has_the_documented_fields(write_spec):
    _, artifacts = _artifacts(write_spec)
    assert sorted(artifacts) == ["traffic-director/backend-service-blue.yaml",
                                 "traffic-director/backend-service-green.yaml", "traffic-director/rollout.sh",
                                 "traffic-director/url-map-0.yaml", "traffic-director/url-map-10.yaml",
                                 "traffic-director/url-map-100.yaml", "traffic-director/url-map-50.yaml"]
    for path, content in artifacts.items():
        if "backend-service" in path:
            assert compute_api.backend_service_problems(content) == [], path
        elif "url-map" in path:
            assert compute_api.url_map_problems(content) == [], path


def test_the_serialized_yaml_is_what_the_checker_saw(write_spec):
    # what gcloud reads is the file: parse the bytes shipgen writes, not the dicts
    release, artifacts = _artifacts(write_spec)
    for artifact in traffic_director.render(release, None):
        if artifact.format == "yaml":
            parsed = yaml.safe_load(serialize(artifact, release.source))
            assert parsed == artifact.content
            problems = (compute_api.url_map_problems if "url-map" in artifact.path
                        else compute_api.backend_service_problems)(parsed)
            assert problems == [], artifact.path


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["pathMatchers"][0]["routeRules"][1]["routeAction"]["weightedBackendServices"][0].update(weight="90"),
     "expected <class 'int'>"),
    (lambda d: d["pathMatchers"][0]["routeRules"][1]["routeAction"]["weightedBackendServices"][0].update(weight=1001),
     "outside 0..1000"),
    (lambda d: d["pathMatchers"][0]["routeRules"][1].update(priority=1), "priorities must be unique"),
    (lambda d: d["hostRules"][0].update(pathMatcher="other"), "names no path matcher"),
    (lambda d: d.update(kind="compute#urlMap"), "unknown field"),
    (lambda d: d["pathMatchers"][0]["routeRules"][1].update(service=BLUE), "exactly one of service"),
    (lambda d: d["pathMatchers"][0]["routeRules"][1]["routeAction"]["weightedBackendServices"][1].pop("weight"),
     "weight: required"),
])
def test_the_checker_finds_what_the_reference_forbids_in_a_url_map(write_spec, mutate, expected):
    _, artifacts = _artifacts(write_spec)
    document = artifacts["traffic-director/url-map-10.yaml"]
    mutate(document)
    assert any(expected in problem for problem in compute_api.url_map_problems(document))


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.update(loadBalancingScheme="INTERNAL_SELF"), "is not one of"),
    (lambda d: d["backends"][0].update(group="zones/europe-west1-b/instanceGroups/x"), "fully-qualified"),
    (lambda d: d["backends"][0].update(capacityScaler=0.05), "neither 0 nor"),
    (lambda d: d["connectionDraining"].update(drainingTimeoutSec=4000), "outside 0..3600"),
    (lambda d: d["outlierDetection"]["interval"].update(seconds="5"), "expected <class 'int'>"),
    (lambda d: d["outlierDetection"].update(enforcingConsecutiveErrors=101), "outside 0..100"),
    (lambda d: d["circuitBreakers"].update(maxConnection=5), "unknown field"),
    (lambda d: d.update(protocol="TCP"), "route HTTP"),
])
def test_the_checker_finds_what_the_reference_forbids_in_a_backend_service(write_spec, mutate, expected):
    _, artifacts = _artifacts(write_spec)
    document = artifacts["traffic-director/backend-service-blue.yaml"]
    mutate(document)
    assert any(expected in problem for problem in compute_api.backend_service_problems(document))


def test_each_url_map_gives_its_share_and_the_weights_sum_to_100(write_spec):
    _, artifacts = _artifacts(write_spec)
    for percent in (0, 10, 50, 100):
        document = artifacts[f"traffic-director/url-map-{percent}.yaml"]
        assert compute_api.weights(document) == {BLUE: 100 - percent, GREEN: percent}
        assert sum(compute_api.weights(document).values()) == 100
        # the preview route reaches the new color at any share; everything else follows the split
        preview = document["pathMatchers"][0]["routeRules"][0]
        assert preview["service"] == GREEN
        assert preview["matchRules"][0]["headerMatches"] == [{"headerName": "x-shipgen-backend",
                                                              "exactMatch": "payments-green"}]
        assert document["hostRules"] == [{"hosts": ["payments.internal", "payments.internal:8080"],
                                          "pathMatcher": "routes"}]
        assert document["defaultService"] == (GREEN if percent == 100 else BLUE)
    assert artifacts["traffic-director/url-map-0.yaml"]["name"] == "payments-mesh"


def test_backend_services_carry_outlier_detection_circuit_breakers_and_draining(write_spec):
    _, artifacts = _artifacts(write_spec)
    blue = artifacts["traffic-director/backend-service-blue.yaml"]
    green = artifacts["traffic-director/backend-service-green.yaml"]
    for document in (blue, green):
        assert document["loadBalancingScheme"] == "INTERNAL_SELF_MANAGED"
        assert document["connectionDraining"] == {"drainingTimeoutSec": 20}  # service.drain
        assert document["outlierDetection"] == {"consecutiveErrors": 3, "enforcingConsecutiveErrors": 100,
                                                "interval": {"seconds": 5}, "baseEjectionTime": {"seconds": 60},
                                                "maxEjectionPercent": 30}
        assert document["circuitBreakers"] == {"maxConnections": 1000, "maxPendingRequests": 200,
                                               "maxRequests": 1000, "maxRetries": 3}
        assert document["healthChecks"] == ["https://www.googleapis.com/compute/v1/projects/pay-prod/global/"
                                            "healthChecks/payments-ready"]
    assert [b["balancingMode"] for b in blue["backends"]] == ["RATE", "RATE"]  # NEGs
    assert blue["backends"][0]["maxRatePerEndpoint"] == 50
    assert [b["balancingMode"] for b in green["backends"]] == ["UTILIZATION"]  # an instance group


def test_defaults_without_the_optional_settings(write_spec):
    text = SPEC.replace("      outlierDetection: {consecutiveErrors: 3, interval: 5s, baseEjectionTime: 1m, "
                        "maxEjectionPercent: 30}\n", "")
    text = text.replace("      circuitBreakers: {maxConnections: 1000, maxPendingRequests: 200, maxRequests: 1000, "
                        "maxRetries: 3}\n", "").replace("      urlMap: payments-mesh\n", "")
    assert text.count("outlierDetection") == 0 and "circuitBreakers" not in text
    _, artifacts = _artifacts(write_spec, text)
    blue = artifacts["traffic-director/backend-service-blue.yaml"]
    assert blue["outlierDetection"] == {"consecutiveErrors": 5, "enforcingConsecutiveErrors": 100,
                                        "interval": {"seconds": 10}, "baseEjectionTime": {"seconds": 30},
                                        "maxEjectionPercent": 50}
    assert "circuitBreakers" not in blue
    assert artifacts["traffic-director/url-map-0.yaml"]["name"] == "payments"  # metadata.name
    assert compute_api.backend_service_problems(blue) == []


STEPS = st.lists(st.integers(min_value=1, max_value=99), min_size=1, max_size=5, unique=True).map(sorted)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, blue_green=st.booleans())
def test_any_plan_gives_one_valid_url_map_per_share(write_spec, steps, blue_green):
    strategy = ("strategy: {type: blue-green, interval: 1m}" if blue_green else
                f"strategy:\n  type: canary\n  steps: {steps}\n  interval: 1m")
    text = SPEC.split("strategy:\n")[0] + strategy + "\n" + "gates:" + SPEC.split("\ngates:", 1)[1]
    release, artifacts = _artifacts(write_spec, text)
    expected = [0, 100] if blue_green else [0, *steps, 100]
    maps = {int(path.rsplit("-", 1)[1].split(".")[0]): content for path, content in artifacts.items()
            if "/url-map-" in path}
    assert sorted(maps) == expected
    for percent, document in maps.items():
        assert compute_api.url_map_problems(document) == []
        assert compute_api.weights(document) == {BLUE: 100 - percent, GREEN: percent}
    # the rollout model's shares are the URL maps' shares (one fact, one place)
    assert {phase.weight for phase in rollout_of(release).phases} <= set(maps)


# ---------------------------------------------------------------------------- rollout.sh against stubs

# Every call is logged. `gcloud compute url-maps import` records the share of the URL map file it
# imports in $STATE (url-map-<percent>.yaml); `curl` answers 500 once the new color has FAIL_FROM
# percent or more, and Cloud Monitoring's PromQL API answers a 5xx share of 0.5 once it has
# GATE_FAIL_FROM percent or more, else 0.0005.
STUBS = {
    "sleep": 'echo "sleep $*" >> "$LOG"',
    "gcloud": textwrap.dedent("""\
        echo "gcloud $*" >> "$LOG"
        case "$*" in
          *"auth print-access-token"*) echo access-token ;;
          *"url-maps import"*)
            all="$*"; source="${all#*--source=}"; source="${source%% *}"
            share="${source##*url-map-}"; echo "${share%.yaml}" > "$STATE"
            echo "$source" >> "$IMPORTS" ;;
        esac
        """),
    "curl": textwrap.dedent("""\
        echo "curl $*" >> "$LOG"
        share="$(cat "$STATE")"
        case "$*" in
          *monitoring.googleapis.com*)
            value=0.0005
            if [ "$share" -ge "${GATE_FAIL_FROM:-101}" ]; then value=0.5; fi
            printf '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764921600,"%s"]}]}}' "$value"
            exit 0 ;;
        esac
        if [ "$share" -ge "${FAIL_FROM:-101}" ]; then printf 500; else printf 200; fi
        """),
}


def _write(write_spec, tmp_path, text=SPEC) -> Path:
    result = build([write_spec(text)])
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    folder = tmp_path / "out"
    for name, content in result.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if name.endswith(".sh"):
            path.chmod(0o755)
    (script,) = folder.glob("*/*/traffic-director/rollout.sh")
    return script


def _run(script: Path, tmp_path: Path, *args, fail_from=None, gate_fail_from=None):
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/usr/bin/env bash\n" + body)
        (stubs / name).chmod(0o755)
    log, state, imports = tmp_path / "calls.log", tmp_path / "share", tmp_path / "imports"
    for path in (log, imports):
        path.write_text("")
    state.write_text("0")
    env = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", LOG=str(log), STATE=str(state), IMPORTS=str(imports))
    for key, value in (("FAIL_FROM", fail_from), ("GATE_FAIL_FROM", gate_fail_from)):
        if value is not None:
            env[key] = str(value)
    result = subprocess.run(["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    return result, log.read_text().splitlines(), [Path(line) for line in imports.read_text().splitlines()]


def _weights_of(path: Path) -> dict:
    return compute_api.weights(yaml.safe_load(path.read_text()))


def test_a_healthy_rollout_steps_the_weights_to_100(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    result, calls, imports = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [path.name for path in imports] == ["url-map-0.yaml", "url-map-10.yaml", "url-map-50.yaml",
                                               "url-map-100.yaml"]
    assert _weights_of(imports[-1]) == {BLUE: 0, GREEN: 100}
    backend_imports = [line for line in calls if "backend-services import" in line]
    assert [line.split()[4] for line in backend_imports] == ["payments-blue", "payments-green"]
    assert all(line.endswith("--global --project=pay-prod --quiet") for line in backend_imports)
    # 2 min at 10 % and at 50 %, checked every minute; smoke tests carry the preview header
    assert [line for line in calls if line.startswith("sleep")] == ["sleep 60"] * 4
    smoke = [line for line in calls if line.startswith("curl") and "monitoring" not in line]
    assert smoke and all("--header x-shipgen-backend: payments-green" in line and
                         line.endswith("http://payments.internal/healthz") for line in smoke)
    # the errors gate: read twice at each held share, with {{service}} = the new backend service
    queries = [line for line in calls if "monitoring.googleapis.com" in line]
    assert len(queries) == 4
    assert all('backend_service="payments-green"' in line and "/v1/projects/pay-prod/location/global/prometheus/"
               in line for line in queries)
    assert "done: payments-green serves 100% of traffic" in result.stdout


def test_a_failing_smoke_test_rolls_the_weights_back_to_100_0(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    result, _, imports = _run(script, tmp_path, fail_from=50)
    assert result.returncode == 1, result.stderr  # EXIT_ROLLED_BACK
    assert [path.name for path in imports] == ["url-map-0.yaml", "url-map-10.yaml", "url-map-50.yaml",
                                               "url-map-0.yaml"]
    assert _weights_of(imports[-1]) == {BLUE: 100, GREEN: 0}
    assert "rolling back: the new version failed 2 checks in a row at 50% of traffic" in result.stderr
    assert "rolled back: payments-blue serves 100% of traffic, payments-green 0%" in result.stdout


def test_a_failing_gate_rolls_back(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    result, _, imports = _run(script, tmp_path, gate_fail_from=10)
    assert result.returncode == 1, result.stderr
    assert [path.name for path in imports] == ["url-map-0.yaml", "url-map-10.yaml", "url-map-0.yaml"]
    assert _weights_of(imports[-1]) == {BLUE: 100, GREEN: 0}
    assert "gate errors: 0.5 is outside any..0.01" in result.stderr
    assert "failed 2 gate checks in a row at 10% of traffic" in result.stderr


def test_without_automatic_rollback_a_failure_stops_where_it_is(write_spec, tmp_path):
    text = SPEC.replace("rollback: {maxFailedChecks: 1,", "rollback: {maxFailedChecks: 1, automatic: false,")
    script = _write(write_spec, tmp_path, text)
    result, _, imports = _run(script, tmp_path, fail_from=10)
    assert result.returncode == 3, result.stderr  # EXIT_STOPPED
    assert [path.name for path in imports] == ["url-map-0.yaml", "url-map-10.yaml"]


def test_an_approval_stops_before_promotion_and_continue_finishes(write_spec, tmp_path):
    text = SPEC.replace("  interval: 1m\n", "  interval: 1m\n  approval: {before: promotion, timeout: 1h, "
                        "onTimeout: rollback}\n", 1)
    script = _write(write_spec, tmp_path, text)
    result, _, imports = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [path.name for path in imports] == ["url-map-0.yaml", "url-map-10.yaml", "url-map-50.yaml"]
    assert "approval needed before promotion" in result.stdout
    result, _, imports = _run(script, tmp_path, "continue")
    assert result.returncode == 0, result.stderr
    assert [path.name for path in imports] == ["url-map-100.yaml"]


def test_a_rolling_release_switches_all_traffic_once_the_new_color_is_up(write_spec, tmp_path):
    text = SPEC.replace("  type: canary\n  steps: [{weight: 10, pause: 2m}, {weight: 50, pause: 2m}]\n  interval: 1m\n",
                        "  type: rolling\n")
    script = _write(write_spec, tmp_path, text)
    assert sorted(path.name for path in script.parent.glob("url-map-*")) == ["url-map-0.yaml", "url-map-100.yaml"]
    result, _, imports = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [path.name for path in imports] == ["url-map-100.yaml"]
    result, _, imports = _run(script, tmp_path, fail_from=100)
    assert result.returncode == 1 and [path.name for path in imports] == ["url-map-100.yaml", "url-map-0.yaml"]


def test_rollback_and_url_subcommands(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    result, _, imports = _run(script, tmp_path, "rollback")
    assert result.returncode == 0 and [path.name for path in imports] == ["url-map-0.yaml"]
    result, _, _ = _run(script, tmp_path, "url")
    assert result.stdout == "http://payments.internal\n"


@pytest.mark.skipif(tools_support.absent("shellcheck"), reason="shellcheck is not installed")
def test_the_scripts_are_shellcheck_clean_at_every_severity(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    for path in (script, script.parent.parent / "drill" / "drill.sh"):
        result = subprocess.run(["shellcheck", "--severity=style", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_spec_values_stay_quoted_in_the_script(write_spec, tmp_path):
    script = _write(write_spec, tmp_path)
    text = script.read_text()
    assert "preview_header='x-shipgen-backend: payments-green'" in text
    assert "smoke_url=http://payments.internal\n" in text


# ---------------------------------------------------------------------------- one rollout model


def test_runbook_plan_and_drill_read_the_same_rollout_model(write_spec, tmp_path):
    from shipgen.rollout.plan import release_plans
    from shipgen.rollout.simulate import FAIL_FROM_START, HEALTHY, Scenario

    release = release_from(write_spec(SPEC))
    rollout = rollout_of(release)
    assert rollout.controller == "Traffic Director canary: URL map weights (rollout.sh)"
    assert [phase.weight for phase in rollout.phases] == [0, 0, 10, 50, 100]
    healthy, failing = release_plans(release, (Scenario(HEALTHY), Scenario(FAIL_FROM_START))).plans
    assert healthy.outcome == "promoted" and healthy.end_s == 240  # 2 min at 10 %, 2 min at 50 %
    assert failing.outcome == "rolled-back"
    files = build([write_spec(SPEC)]).files
    runbook = next(content for name, content in files.items() if name.endswith("RUNBOOK.md")).decode()
    plan = next(content for name, content in files.items() if name.endswith("PLAN.md")).decode()
    drill = next(content for name, content in files.items() if name.endswith("drill/DRILL.md")).decode()
    assert "fully rolled out after 4 min" in runbook and "| Healthy | fully rolled out after 4 min |" in plan
    assert f"| Expected rollback (`shipgen plan`) | {human(failing.end_s)} from the start to full rollback" in drill
    assert "/traffic-director/rollout.sh\" start" in next(content for name, content in files.items()
                                                       if name.endswith("drill/drill.sh")).decode()
    assert "Traffic Director (shipgen rollout script)" in drill
    # the gate table and the script judge the same query
    assert 'backend_service="payments-green"' in runbook
    assert "judges gates errors (Managed Service for Prometheus" in traffic_director.automatic_rollback(release)


def test_the_runbook_commands_import_the_generated_files(write_spec):
    release = release_from(write_spec(SPEC))
    procedure = traffic_director.procedure(release, None)
    commands = "\n".join(step.command for step in procedure.deploy + procedure.rollback)
    for name in ("url-map-0.yaml", "url-map-10.yaml", "url-map-50.yaml", "url-map-100.yaml",
                 "backend-service-blue.yaml", "backend-service-green.yaml"):
        assert f"--source=traffic-director/{name}" in commands
    assert procedure.rollback[0].command.endswith("--source=traffic-director/url-map-0.yaml --global --quiet "
                                                  "--project=pay-prod")
    assert ("gcloud compute health-checks create http payments-ready --global --port=8080 --request-path=/healthz"
            in procedure.deploy[0].command)


# ---------------------------------------------------------------------------- spec errors


def test_gates_without_a_query_are_not_evaluated_and_say_so(write_spec):
    text = SPEC.split("gates:\n")[0] + ("gates:\n- {name: errors, metric: error-rate, max: 0.01, window: 1m}\n"
                                        "rollback: {maxFailedChecks: 1, lastTested: '2026-11-20'}\n"
                                        "smoke:\n- {name: health, http: {path: /healthz}}\n")
    diagnostics = check_specs([write_spec(text)]).diagnostics
    assert any("Traffic Director cannot evaluate metric gates errors" in d.message
               and "PromQL query over Managed Service for Prometheus" in d.fix for d in diagnostics)
    release = release_from(write_spec(text))
    assert release.platform.gcp.rollout.gates == ()
    script = traffic_director.render(release, None)[-1].content
    assert "metric_gates" not in script and "promql" not in script


@pytest.mark.parametrize("old, new, message", [
    ("backendService: payments-green", "backendService: payments-blue", "name the same backend service"),
    ("instanceGroups/payments-green-b", "networkEndpointGroups/payments-blue-b", "serves both colors"),
    ("hosts: [payments.internal,", "hosts: ['*.internal',", "is a wildcard"),
    ("ports: [{name: http, port: 8080}]", "ports: [{name: http, port: 8080, protocol: tcp}]", "no weighted routes"),
    ("drain: 20s", "drain: 2h", "at most 3600 s"),
    ("live: blue", "live: red", "is not one of"),
    ("groups:\n        - https://www.googleapis.com/compute/v1/projects/pay-prod/zones/europe-west1-b/instanceGroups",
     "groups:\n        - zones/europe-west1-b/instanceGroups", "does not match"),
    ("kind: gcp-traffic-director", "kind: gcp-cloud-run", "applies to platform.kind gcp-traffic-director"),
    ("  type: canary\n  steps: [{weight: 10, pause: 2m}, {weight: 50, pause: 2m}]", "  type: shadow",
     "splits traffic by percentage only (it generates no header routes"),
])
def test_what_traffic_director_cannot_do_is_a_located_error(write_spec, old, new, message):
    assert old in SPEC
    errors = _errors(write_spec, SPEC.replace(old, new, 1))
    assert errors and all(error.line >= 1 for error in errors)
    assert any(message in error.message for error in errors), [error.message for error in errors]


def test_the_platform_needs_its_settings(write_spec):
    text = SPEC.split("    trafficDirector:\n")[0] + "strategy:" + SPEC.split("\nstrategy:", 1)[1]
    errors = _errors(write_spec, text)
    assert any("needs platform.gcp.trafficDirector" in error.message for error in errors)
    cloud_run = text.replace("    region: europe-west1\n", "    region: europe-west1\n    cloudRun: {previewTag: x}\n")
    assert any("platform.gcp.cloudRun applies to" in error.message for error in _errors(write_spec, cloud_run))


def test_the_release_train_reads_the_rollout_and_the_rollback_from_the_procedure():
    """The train's CI job runs what the runbook's procedure marks (procedure.py roles): the whole
    rollout (rollout.sh, whose exit status is the verdict) and, on failure, all traffic back."""
    release = release_from(FIXTURE)
    procedure = traffic_director.procedure(release, None)
    director = release.platform.gcp.traffic_director
    assert procedure.commands("apply") == ("traffic-director/rollout.sh",)
    assert procedure.commands("rollback") == (traffic_director.import_url_map_command(release, 0),)
    assert "url-map-0.yaml" in procedure.commands("rollback")[0] and director.url_map in procedure.commands("rollback")[0]
