"""Helpers for the Flagger tests: build a spec and read back its objects and runbook."""

from __future__ import annotations

import textwrap


from conftest import BuiltRelease, indent

BASE = """\
apiVersion: shipgen.dev/v1alpha1
kind: Release
metadata: {{name: web, namespace: shop, team: web-team}}
service:
  image: registry.example.com/web:1.0.0
  replicas: 3
  ports: [{{name: http, port: 8080, servicePort: 80}}]
  health: {{readiness: /ready, liveness: /live}}
  resources: {{cpu: 250m, memory: 128Mi}}
platform:
  kind: kubernetes
  controller: flagger
{platform}
strategy:
{strategy}
gates:
  - {{name: error-rate, metric: error-rate, max: 0.01, window: 2m}}
  - {{name: latency-p99, metric: latency, max: 500, window: 1m}}
{rest}
"""


def flagger_spec(strategy: str, platform: str = "traffic: {provider: istio}", rest: str = "") -> str:
    return BASE.format(strategy=indent(strategy), platform=indent(platform), rest=textwrap.dedent(rest).strip("\n"))


class Built(BuiltRelease):
    """The objects and runbook a build wrote for one release."""

    target_folder = "flagger"

    @property
    def canary(self) -> dict:
        return self.object("canary.yaml")

    @property
    def analysis(self) -> dict:
        return self.canary["spec"]["analysis"]

    @property
    def runbook(self) -> str:
        return self.files[f"{self.folder}/RUNBOOK.md"].decode()

    def webhook(self, kind: str, name: str | None = None) -> dict:
        hooks = [hook for hook in self.analysis["webhooks"] if hook["type"] == kind
                 and (name is None or hook["name"] == name)]
        assert len(hooks) == 1, hooks
        return hooks[0]


def build(write_spec, text: str, environment: str = "production", name: str = "web") -> Built:
    from shipgen.pipeline import build as run_build

    result = run_build([write_spec(text)])
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert errors == [], errors
    return Built(result.files, f"{environment}/{name}")


def problems(write_spec, text: str) -> list:
    """The error diagnostics of a spec, as (line, col, spec path text, message, fix)."""
    from shipgen.diagnostics import spec_path_text
    from shipgen.pipeline import check_specs

    checked = check_specs([write_spec(text)])
    return [(d.line, d.col, spec_path_text(d.spec_path), d.message, d.fix, d.name) for d in checked.diagnostics
            if d.severity == "error"]


def position(text: str, needle: str, occurrence: int = 1) -> tuple:
    """1-based (line, column) of the n-th occurrence of `needle` in the spec text."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, col
