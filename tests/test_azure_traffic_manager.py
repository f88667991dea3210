"""Azure Traffic Manager: the weighted profile before the release, the weights of each step,
and the warning when integer weights cannot give a step's share exactly."""

from __future__ import annotations

from conftest import release_from
from shipgen.pipeline import check_specs
from shipgen.targets.azure import traffic_manager as azure_traffic_manager

SPEC = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: edge, team: shop}
service:
  image: contoso.azurecr.io/edge:9.0.0
  ports: [{port: 8080}]
  health: {readiness: {path: /healthz, period: 20s, timeout: 3s, failureThreshold: 12}}
platform:
  kind: azure-traffic-manager
  azure:
    resourceGroup: shop-global
    trafficManager:
      profile: edge-shop
      live: blue
      ttl: 1m
      endpoints:
        - {name: blue-weu, color: blue, host: blue-weu.example.net, region: westeurope}
        - {name: blue-eus, color: blue, host: blue-eus.example.net}
        - {name: green-weu, color: green, host: green-weu.example.net,
           resourceId: /subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/green-weu}
        - {name: green-eus, color: green, host: green-eus.example.net}
strategy: {type: canary, steps: [{weight: 10, pause: 10m}, 50], interval: 2m}
"""


def _profile(write_spec, text=SPEC):
    release = release_from(write_spec(text))
    (profile,) = azure_traffic_manager.render(release, None)[0].content["resources"]
    return release, profile


def test_profile_starts_with_the_live_color_and_the_new_one_disabled(write_spec):
    _, profile = _profile(write_spec)
    properties = profile["properties"]
    assert properties["trafficRoutingMethod"] == "Weighted"
    assert properties["dnsConfig"] == {"relativeName": "edge-shop", "ttl": 60}
    endpoints = {item["name"]: (item["type"].rsplit("/", 1)[1], item["properties"]) for item in properties["endpoints"]}
    assert endpoints["blue-weu"] == ("externalEndpoints", {"target": "blue-weu.example.net", "endpointStatus": "Enabled",
                                                           "weight": 500, "endpointLocation": "westeurope"})
    assert endpoints["green-weu"][0] == "azureEndpoints"
    assert endpoints["green-weu"][1]["endpointStatus"] == "Disabled"
    # readiness every 20 s -> Traffic Manager's 30 s interval; timeout at least 5 s; failures at most 9
    assert properties["monitorConfig"] == {"protocol": "HTTPS", "port": 443, "path": "/healthz", "intervalInSeconds": 30,
                                           "timeoutInSeconds": 5, "toleratedNumberOfFailures": 9}


def test_each_step_has_weights_that_give_its_share(write_spec):
    release, _ = _profile(write_spec)
    weights = [(w.percent, w.new_weight, w.live_weight, w.actual_percent)
               for w in release.platform.azure.traffic_manager.weights]
    assert weights == [(10, 50, 450, 10.0), (50, 250, 250, 50.0), (100, 500, 0, 100.0)]
    procedure = azure_traffic_manager.procedure(release, None)
    first = next(step for step in procedure.deploy if "10% of DNS answers" in step.title)
    assert first.command.splitlines()[0].endswith("--name green-weu --type azureEndpoints --weight 50 "
                                                  "--endpoint-status Enabled")
    assert "hold for 10 min" in first.title


def test_uneven_endpoints_warn_with_the_shares_they_give(write_spec):
    text = SPEC.replace("        - {name: green-eus, color: green, host: green-eus.example.net}\n",
                        "        - {name: green-eus, color: green, host: green-eus.example.net}\n"
                        "        - {name: green-sea, color: green, host: green-sea.example.net}\n")
    release, _ = _profile(write_spec, text)
    assert release.platform.azure.traffic_manager.weights[0].actual_percent == 9.91  # 3 x 33 vs 2 x 450
    warnings = [d for d in check_specs([write_spec(text)]).diagnostics if d.severity == "warning"]
    assert any(d.spec_path == ("platform", "azure", "trafficManager", "endpoints") and "10% -> 9.91%" in d.message
               for d in warnings)


def test_a_switch_needs_both_colors_and_unique_names(write_spec):
    text = SPEC.replace("color: green", "color: blue").replace("name: blue-eus", "name: blue-weu")
    errors = [d.message for d in check_specs([write_spec(text)]).diagnostics if d.severity == "error"]
    assert any("none is green" in message for message in errors)
    assert any("'blue-weu' appears twice" in message for message in errors)
