"""Helpers for the Argo Rollouts tests: build a spec and read back its objects and runbook."""

from __future__ import annotations

import textwrap


from conftest import BuiltRelease, indent

BASE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {{name: web, namespace: shop, team: web-team}}
service:
  image: registry.example.com/web:1.0.0
  replicas: {replicas}
  ports: [{{name: http, port: 8080, servicePort: 80}}]
  health: {{readiness: /ready, liveness: /live}}
  resources: {{cpu: 250m, memory: 128Mi}}
platform:
  kind: kubernetes
  controller: argo-rollouts
{platform}
strategy:
{strategy}
{rest}
"""

GATES = """\
gates:
  - {name: error-rate, metric: error-rate, max: 0.01, window: 2m}
  - {name: latency-p99, metric: latency, max: 500, window: 1m}
"""


def argo_spec(strategy: str, platform: str = "traffic: {provider: istio}", rest: str = GATES, replicas: int = 3) -> str:
    return BASE.format(strategy=indent(strategy), platform=indent(platform), rest=textwrap.dedent(rest).strip("\n"),
                       replicas=replicas)


class Built(BuiltRelease):
    """The objects and runbook a build wrote for one release."""

    target_folder = "argo-rollouts"

    @property
    def rollout(self) -> dict:
        return self.object("rollout.yaml")

    @property
    def canary(self) -> dict:
        return self.rollout["spec"]["strategy"]["canary"]

    @property
    def steps(self) -> list:
        return self.canary["steps"]

    def template(self, name: str) -> dict:
        (template,) = [t for t in self.objects("analysistemplates.yaml") if t["metadata"]["name"] == name]
        return template

    def metric(self, template: str) -> dict:
        (metric,) = self.template(template)["spec"]["metrics"]
        return metric

    def services(self) -> dict:
        return {service["metadata"]["name"]: service for service in self.objects("services.yaml")}

    @property
    def runbook(self) -> str:
        return self.files[f"{self.folder}/RUNBOOK.md"].decode()


def build(write_spec, text: str, environment: str = "production", name: str = "web") -> Built:
    from shipgen.pipeline import build as run_build

    result = run_build([write_spec(text)])
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert errors == [], errors
    return Built(result.files, f"{environment}/{name}")


def diagnostics(write_spec, text: str, severity: str = "error") -> list:
    """Diagnostics of a spec, as (line, col, spec path text, name, message, fix)."""
    from shipgen.diagnostics import spec_path_text
    from shipgen.pipeline import check_specs

    checked = check_specs([write_spec(text)])
    return [(d.line, d.col, spec_path_text(d.spec_path), d.name, d.message, d.fix) for d in checked.diagnostics
            if d.severity == severity]


def step_kinds(steps: list) -> list:
    return [next(iter(step)) for step in steps]
