"""Azure Container Apps: the ARM template's revision mode, traffic weights and labels, the
revision template, the runbook's weight commands, and the warnings and errors."""

from __future__ import annotations

from conftest import release_from
from shipgen.pipeline import check_specs
from shipgen.targets.azure import container_apps as azure_container_apps

SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: profiles, team: accounts}
service:
  image: contoso.azurecr.io/accounts/profiles:5.1.0
  replicas: 2
  autoscaling: {maxReplicas: 8, cpuUtilization: 60}
  ports: [{port: 8080, protocol: http2}]
  env: {BANNER: "[concat('not', 'an expression')]"}
  health:
    startup: {path: /started, period: 2s, failureThreshold: 30}
    readiness: /ready
  resources: {cpu: 500m, memory: 1Gi}
platform:
  kind: azure-container-apps
  azure:
    resourceGroup: accounts-prod
    location: westeurope
    containerApp: {environment: accounts-env, previousRevision: profiles--v5-0-0}
strategy: {type: canary, steps: [10, {weight: 60, pause: 5m}], interval: 2m}
"""


def _app(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    artifacts = {artifact.path: artifact.content for artifact in azure_container_apps.render(release, None)}
    (resource,) = artifacts["container-apps/template.json"]["resources"]
    return release, resource, artifacts


def _diagnostics(write_spec, text):
    return check_specs([write_spec(text)]).diagnostics


def test_multiple_revision_mode_keeps_the_previous_revision_at_100(write_spec):
    _, app, _ = _app(write_spec)
    configuration = app["properties"]["configuration"]
    assert configuration["activeRevisionsMode"] == "Multiple"
    assert configuration["ingress"] == {
        "external": True, "targetPort": 8080, "transport": "http2",
        "traffic": [{"revisionName": "profiles--v5-0-0", "weight": 100, "label": "stable"},
                    {"latestRevision": True, "weight": 0, "label": "preview"}]}
    assert app["properties"]["environmentId"] == "[resourceId('Microsoft.App/managedEnvironments', 'accounts-env')]"
    assert app["location"] == "westeurope"


def test_revision_template_follows_the_service(write_spec):
    _, app, _ = _app(write_spec)
    template = app["properties"]["template"]
    assert template["revisionSuffix"] == "v5-1-0"
    (container,) = template["containers"]
    assert container["resources"] == {"cpu": "[json('0.5')]", "memory": "1Gi"}
    assert container["env"] == [{"name": "BANNER", "value": "[[concat('not', 'an expression')]"}]  # escaped literal
    startup, readiness = container["probes"]
    # failureThreshold 30 x 2 s does not fit Container Apps' 1-10: 10 x 6 s keeps the 60 s budget
    assert startup == {"type": "Startup", "httpGet": {"path": "/started", "port": 8080}, "periodSeconds": 6,
                       "timeoutSeconds": 1, "failureThreshold": 10}
    assert readiness["type"] == "Readiness" and readiness["failureThreshold"] == 3
    assert template["scale"] == {"minReplicas": 2, "maxReplicas": 8, "rules": [
        {"name": "cpu", "custom": {"type": "cpu", "metadata": {"type": "Utilization", "value": "60"}}}]}


def test_runbook_moves_weights_step_by_step(write_spec):
    release, _, _ = _app(write_spec)
    procedure = azure_container_apps.procedure(release, None)
    # by label: stable is the previous revision's entry, preview the new (latest) revision's entry
    weights = [step.command.split("--label-weight ")[1] for step in procedure.deploy if "--label-weight" in step.command]
    assert weights == ["stable=90 preview=10", "stable=40 preview=60", "stable=0 preview=100"]
    assert procedure.rollback[0].command.endswith("--label-weight stable=100 preview=0")
    assert procedure.automatic_rollback == ""  # no smoke tests: nothing can trigger it


def test_rolling_uses_single_revision_mode(write_spec):
    text = SPEC.replace("strategy: {type: canary, steps: [10, {weight: 60, pause: 5m}], interval: 2m}",
                        "strategy: {type: rolling}")
    _, app, _ = _app(write_spec, text)
    configuration = app["properties"]["configuration"]
    assert configuration["activeRevisionsMode"] == "Single"
    assert configuration["ingress"]["traffic"] == [{"latestRevision": True, "weight": 100}]


def test_warnings_and_errors(write_spec):
    warnings = {d.spec_path: d.message for d in _diagnostics(write_spec, SPEC) if d.severity == "warning"}
    assert "failureThreshold 10, periodSeconds 6" in warnings[("service", "health", "startup")]
    no_previous = SPEC.replace(", previousRevision: profiles--v5-0-0}", "}")
    errors = {d.spec_path: d.message for d in _diagnostics(write_spec, no_previous) if d.severity == "error"}
    assert "previousRevision is not set" in errors[("platform", "azure", "containerApp")]
    wrong_prefix = SPEC.replace("previousRevision: profiles--v5-0-0", "previousRevision: other--v5-0-0")
    assert any(d.spec_path == ("platform", "azure", "containerApp", "previousRevision")
               for d in _diagnostics(write_spec, wrong_prefix))
    shadow = SPEC.replace("strategy: {type: canary, steps: [10, {weight: 60, pause: 5m}], interval: 2m}",
                          "strategy: {type: shadow}")
    assert any(d.spec_path == ("strategy", "type") and "Container Apps cannot mirror requests" in d.message
               for d in _diagnostics(write_spec, shadow))
    missing = SPEC.replace("    containerApp: {environment: accounts-env, previousRevision: profiles--v5-0-0}\n", "")
    assert any("needs platform.azure.containerApp" in d.message for d in _diagnostics(write_spec, missing))
