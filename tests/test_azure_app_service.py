"""Azure App Service: the slot the new version goes to, its warm-up and health settings, and the
routing steps and swap in the runbook."""

from __future__ import annotations

from conftest import release_from
from shipgen.pipeline import check_specs
from shipgen.targets.azure import app_service as azure_app_service

SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web-portal, team: portal}
service:
  image: contoso.azurecr.io/portal/web:12.3.0
  ports: [{port: 3000}]
  env: {NODE_ENV: production}
  health: {readiness: /api/health}
platform:
  kind: azure-app-service
  azure:
    resourceGroup: portal-prod
    appService: {plan: portal-plan, slot: blue}
strategy: {type: blue-green, iterations: 3, interval: 1m}
"""


def _slot(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    artifacts = {artifact.path: artifact.content for artifact in azure_app_service.render(release, None)}
    (slot,) = artifacts["app-service/template.json"]["resources"]
    return release, slot


def test_the_slot_runs_the_new_image_with_warm_up_on_the_health_path(write_spec):
    _, slot = _slot(write_spec)
    assert slot["type"] == "Microsoft.Web/sites/slots" and slot["name"] == "web-portal/blue"
    properties = slot["properties"]
    assert properties["serverFarmId"] == "[resourceId('Microsoft.Web/serverfarms', 'portal-plan')]"
    config = properties["siteConfig"]
    assert config["linuxFxVersion"] == "DOCKER|contoso.azurecr.io/portal/web:12.3.0"
    assert config["healthCheckPath"] == "/api/health"
    assert {item["name"]: item["value"] for item in config["appSettings"]} == {
        "NODE_ENV": "production", "WEBSITES_PORT": "3000", "WEBSITE_SWAP_WARMUP_PING_PATH": "/api/health",
        "WEBSITE_SWAP_WARMUP_PING_STATUSES": "200,202,204"}


def test_blue_green_checks_the_slot_then_swaps(write_spec):
    release, _ = _slot(write_spec)
    procedure = azure_app_service.procedure(release, None)
    commands = [step.command for step in procedure.deploy]
    assert commands[-1] == ("az webapp deployment slot swap --slot blue --target-slot production --name web-portal "
                            "--resource-group portal-prod")
    assert not any("traffic-routing set" in command for command in commands)
    assert procedure.rollback[1].command == commands[-1]  # a swap back
    assert release.platform.azure.rollout.steps[0].hold_s == 180  # 3 checks x 1 min before the swap


def test_canary_routes_percentages_to_the_slot_before_the_swap(write_spec):
    text = SPEC.replace("strategy: {type: blue-green, iterations: 3, interval: 1m}",
                        "strategy: {type: canary, steps: [5, 30], interval: 1m}")
    release, _ = _slot(write_spec, text)
    commands = [step.command for step in azure_app_service.procedure(release, None).deploy]
    routing = [command.split("--distribution ")[1].split()[0] for command in commands if "--distribution" in command]
    assert routing == ["blue=5", "blue=30"]
    assert commands.index(next(c for c in commands if "traffic-routing clear" in c)) < len(commands) - 1


def test_what_app_service_cannot_do(write_spec):
    grpc = SPEC.replace("ports: [{port: 3000}]", "ports: [{port: 3000, protocol: grpc}]")
    assert any(d.spec_path == ("service", "ports", 0, "protocol") and d.severity == "error"
               for d in check_specs([write_spec(grpc)]).diagnostics)
    command = SPEC.replace("  env: {NODE_ENV: production}\n", "  command: [node, server.js]\n")
    warnings = [d for d in check_specs([write_spec(command)]).diagnostics if d.severity == "warning"]
    assert any(d.spec_path == ("service", "command") and "cannot replace the image's entrypoint" in d.message
               for d in warnings)
    production = SPEC.replace("slot: blue", "slot: production")
    assert any(d.severity == "error" for d in check_specs([write_spec(production)]).diagnostics)
