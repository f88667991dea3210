"""Normalize: defaults agree with the published schema, and what the schema cannot check is
reported at the right place."""

from __future__ import annotations

import re

import pytest

from conftest import MINIMAL_SPEC, release_from
from shipgen.validate import release_schema


def _schema_defaults(schema, node, path="", found=None):
    """{generic spec path (`gates[].window`): default} for every `default` in the schema."""
    found = {} if found is None else found
    if "$ref" in node:
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    if "default" in node and path:
        found[path] = node["default"]
    for key, child in node.get("properties", {}).items():
        _schema_defaults(schema, child, f"{path}.{key}" if path else key, found)
    if isinstance(node.get("items"), dict):
        _schema_defaults(schema, node["items"], f"{path}[]", found)
    for branch in node.get("oneOf", []):
        _schema_defaults(schema, branch, path, found)
    return found


COMPUTED_DEFAULTS = {"rollback.on": "Defaults to every gate", "service.autoscaling.minReplicas": "Defaults to `service.replicas`"}


def _description(generic_path: str) -> str:
    schema = release_schema()
    node = schema
    for part in generic_path.split("."):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = node["properties"][part]
    return node.get("description", "")


SPECS_COVERING_DEFAULTS = [
    MINIMAL_SPEC + "gates: [{name: latency, metric: latency, max: 300}]\nslos: [{name: fast, objective: 99, sli: latency}]\n"
    "smoke: [{name: home, http: {path: /}}]\ndatabase: {migrations: {path: .}}\n",
    MINIMAL_SPEC + "platform: {controller: flagger, traffic: {provider: istio, circuitBreaker: {}}}\nstrategy: {type: canary, loadTest: {}}\n",
    MINIMAL_SPEC + "platform: {controller: argo-rollouts}\nstrategy: {type: blue-green, approval: {timeout: 1h, onTimeout: rollback}}\n",
    MINIMAL_SPEC + "platform: {controller: argo-rollouts, traffic: {provider: istio}}\nstrategy: {type: shadow}\n",
    MINIMAL_SPEC.replace("ports: [{port: 8080}]", "ports: [{port: 8080}]\n  resources: {cpu: 100m}\n  autoscaling: {maxReplicas: 4}"),
]


@pytest.mark.parametrize("index", range(len(SPECS_COVERING_DEFAULTS)))
def test_every_default_applied_is_the_one_the_schema_documents(index, write_spec):
    schema_defaults = _schema_defaults(release_schema(), release_schema())
    release = release_from(write_spec(SPECS_COVERING_DEFAULTS[index]))
    assert release.defaults, "each of these specs leaves fields out"
    for path, value in release.defaults:
        generic = re.sub(r"\[\d+\]", "[]", path)
        if generic in COMPUTED_DEFAULTS:  # derived from other fields; the schema says so in words
            assert COMPUTED_DEFAULTS[generic] in _description(generic)
            continue
        assert generic in schema_defaults, f"{path} has a default the schema does not document"
        documented = schema_defaults[generic]
        assert value == documented, f"{path}: normalize applies {value!r}, the schema says {documented!r}"


def test_defaults_are_visible_in_the_runbook(write_spec, run_shipgen, tmp_path):
    spec = write_spec(MINIMAL_SPEC)
    assert run_shipgen("build", spec, "-o", tmp_path / "out").exit_code == 0
    runbook = (tmp_path / "out/production/web/RUNBOOK.md").read_text()
    release = release_from(spec)
    for path, value in release.defaults:
        shown = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
        assert f"| `{path}` | `{shown}` |" in runbook


def test_production_is_inferred_from_the_environment(write_spec):
    assert release_from(write_spec(MINIMAL_SPEC)).metadata.production is True
    staging = MINIMAL_SPEC.replace("team: web-team", "team: web-team, environment: staging")
    assert release_from(write_spec(staging)).metadata.production is False
    forced = MINIMAL_SPEC.replace("team: web-team", "team: web-team, environment: live, production: true")
    assert release_from(write_spec(forced)).metadata.production is True


def test_durations_become_seconds(write_spec):
    spec = MINIMAL_SPEC.replace("ports:", "drain: 1m30s\n  shutdownTimeout: 500ms\n  warmup: 45\n  ports:")
    service = release_from(write_spec(spec)).service
    assert (service.drain_s, service.shutdown_timeout_s, service.warmup_s) == (90, 1, 45)


SEMANTIC_ERRORS = {
    "field-of-another-strategy": (MINIMAL_SPEC + "strategy: {type: rolling, steps: [5, 50]}\n", "8:27",
                                  "strategy.steps applies to canary strategies, and this strategy is rolling"),
    "progressive-needs-controller": (MINIMAL_SPEC + "strategy: {type: canary}\n", "8:18",
                                     "a canary strategy needs a progressive controller"),
    "weights-must-increase": (MINIMAL_SPEC + "platform: {controller: argo-rollouts}\n"
                              "strategy: {type: canary, steps: [10, 10, 50]}\n", "9:38", "canary weights must increase"),
    "unknown-gate-in-rollback": (MINIMAL_SPEC + "gates: [{name: errors, metric: error-rate, max: 0.1}]\n"
                                 "rollback: {on: [erors]}\n", "9:17", "no gate named 'erors' (gates: errors)"),
    "unknown-sli": (MINIMAL_SPEC + "slos: [{name: a, objective: 99, sli: nope}]\n", "8:38", "no gate named 'nope'"),
    "custom-gate-without-query": (MINIMAL_SPEC + "gates: [{name: queue-depth, max: 10}]\n", "8:9",
                                  "gate 'queue-depth' has no query"),
    "probe-without-port": (MINIMAL_SPEC.replace("  ports: [{port: 8080}]\n", ""), "6:23", "the readiness probe needs a port"),
    "both-zero": (MINIMAL_SPEC + "strategy: {maxSurge: 0, maxUnavailable: 0}\n", "8:22",
                  "maxSurge and maxUnavailable cannot both be 0"),
    "zero-interval": (MINIMAL_SPEC + "platform: {controller: argo-rollouts}\nstrategy: {type: canary, interval: 0}\n",
                      "9:36", "strategy.interval is the time between two checks: it cannot be 0"),
    "autoscaling-without-cpu": (MINIMAL_SPEC.replace("ports:", "autoscaling: {maxReplicas: 5}\n  ports:"), "6:16",
                                "autoscaling on CPU use needs a CPU request"),
    "impossible-date": (MINIMAL_SPEC + "rollback: {lastTested: '2026-02-30'}\n", "8:24",
                        "rollback.lastTested '2026-02-30' is not a calendar date"),
    "flag-percent-off-the-ramp": (MINIMAL_SPEC + "flags: [{name: f, steps: [5, 50, 100], percent: 10}]\n", "8:49",
                                  "percent 10 is not a step of the ramp (0 or one of 5, 50, 100)"),
    "flag-steps-must-increase": (MINIMAL_SPEC + "flags: [{name: f, steps: [50, 5]}]\n", "8:26",
                                 "flag steps must increase: 50, 5"),
    "flag-internal-needs-a-test": (MINIMAL_SPEC + "flags: [{name: f, internal: {attribute: email}}]\n", "8:29",
                                   "internal users need `endsWith` or `in`"),
    "duplicate-flag": (MINIMAL_SPEC + "flags: [{name: f}, {name: f}]\n", "8:20", "'f' appears twice in flags"),
    "duplicate-gate": (MINIMAL_SPEC + "gates: [{name: e, metric: error-rate}, {name: e, metric: latency}]\n", "8:40",
                       "'e' appears twice in gates"),
}


@pytest.mark.parametrize("case", sorted(SEMANTIC_ERRORS))
def test_semantic_errors_are_located(case, write_spec, run_shipgen):
    text, where, fragment = SEMANTIC_ERRORS[case]
    result = run_shipgen("validate", write_spec(text))
    assert result.exit_code == 2
    assert f"specs/release.yaml:{where}: error[SG004]" in result.output, result.output
    assert fragment in result.output
