"""GCP/Azure settings: every default normalize applies is the one the schema documents, and the
golden output of the GCP and Azure examples passes the oracle."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, release_from
import oracle_support
from shipgen.validate import release_schema

SPECS = {
    "cloud-run": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}]}
platform: {kind: gcp-cloud-run, gcp: {project: web-prod, region: us-east1, cloudRun: {previousRevision: web-v1-2-2}}}
strategy: {type: canary}
""",
    "cloud-deploy": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}]}
platform:
  kind: gcp-cloud-deploy
  gcp:
    project: web-prod
    region: us-east1
    cloudDeploy: {stages: [{target: prod, cluster: c1}], serviceAccount: d@web-prod.iam.gserviceaccount.com}
    mesh: {}
strategy: {type: canary}
""",
    "cloud-deploy-run": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}]}
platform: {kind: gcp-cloud-deploy, gcp: {project: web-prod, region: us-east1}}
rollback: {automatic: false}
""",
    "container-apps": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}]}
platform: {kind: azure-container-apps, azure: {resourceGroup: g, containerApp: {environment: e}}}
""",
    "app-service": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}]}
platform: {kind: azure-app-service, azure: {resourceGroup: g}}
""",
    "traffic-manager": """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {name: web, team: web}
service: {image: "r.example.com/web:1.2.3", ports: [{port: 8080}], health: {readiness: /ready}}
platform:
  kind: azure-traffic-manager
  azure:
    resourceGroup: g
    trafficManager:
      live: blue
      endpoints: [{name: b, color: blue, host: b.example.net}, {name: g, color: green, host: g.example.net}]
""",
}


def _node(path: str):
    """The schema node of a generic spec path (`platform.gcp.cloudDeploy.stages`)."""
    schema = release_schema()
    node = schema
    for part in path.split("."):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = node["properties"][part]
    if "$ref" in node and "default" not in node:
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **node}
    return node


@pytest.mark.parametrize("name", sorted(SPECS))
def test_platform_defaults_are_documented_in_the_schema(name, write_spec):
    release = release_from(write_spec(SPECS[name]))
    applied = [(path, value) for path, value in release.defaults if path.startswith(("platform.gcp", "platform.azure"))]
    assert applied, "each of these specs leaves platform settings out"
    for path, value in applied:
        node = _node(re.sub(r"\[\d+\]", "", path))
        if "default" in node:
            assert node["default"] == value, f"{path}: normalize applies {value!r}, the schema says {node['default']!r}"
        else:  # computed from other fields: the description says from what
            assert "Defaults to" in node["description"] or "Default:" in node["description"], path


GOLDEN = ["production/catalog", "prod/search", "production/inventory", "production/profiles",
          "production/web-portal", "production/storefront-edge"]


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_golden_gcp_and_azure_output_passes_the_oracle():
    result = oracle_support.oracle_check([ROOT / "golden" / folder for folder in GOLDEN])
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^(\d+) passed, 0 failed$", result.stdout + result.stderr, re.M)
