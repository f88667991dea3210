"""Flagger, over many specs (hypothesis): any combination of strategy, provider and options either
builds a Canary that Flagger's CRD schema accepts, with a threshold and weights that follow from the
spec, or is refused with located errors; never an exception."""

from __future__ import annotations

from functools import lru_cache

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from shipgen.pipeline import build
from shipgen.serialize import dump_yaml

CRD = ROOT.parent / "shared/reference/crds/flagger/crd.yaml"
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

providers = st.sampled_from(["kubernetes", "istio", "gateway-api", "smi", "linkerd", "nginx"])
strategies = st.sampled_from(["canary", "blue-green", "ab-test", "shadow"])
matches = st.lists(st.fixed_dictionaries({}, optional={
    "header": st.fixed_dictionaries({"name": st.sampled_from(["x-beta", "X-Group"]),
                                     "exact": st.sampled_from(["on", "a b", "always"])}),
    "cookie": st.fixed_dictionaries({"name": st.sampled_from(["beta", "grp"]),
                                     "regex": st.sampled_from(["^x$", "a|b"])}),
}).filter(bool), min_size=1, max_size=2)


def _rarely(draw) -> bool:
    return draw(st.integers(0, 5)) == 0


@st.composite
def specs(draw):
    """Mostly specs Flagger can do, now and then one option it cannot."""
    provider = draw(providers)
    kind = draw(strategies)
    traffic = {"provider": provider}
    if provider in ("istio", "gateway-api", "nginx") or _rarely(draw):
        traffic["hosts"] = ["web.example.com"]
    if provider in ("istio", "gateway-api") or _rarely(draw):
        traffic["gateway"] = "Bad/Name" if _rarely(draw) else draw(st.sampled_from(["infra/public", "public"]))
    if provider in ("istio", "gateway-api", "nginx") and draw(st.booleans()) or _rarely(draw):
        traffic["timeout"] = draw(st.sampled_from(["5s", "1m"]))
    if provider == "istio" and draw(st.booleans()) or _rarely(draw):
        traffic["retries"] = {"attempts": draw(st.integers(0, 3))}
    interval = "5s" if _rarely(draw) else draw(st.sampled_from(["30s", "1m", "90s", "1h"]))
    strategy = {"type": kind, "interval": interval}
    if kind == "canary" and draw(st.booleans()):
        strategy["steps"] = sorted(draw(st.sets(st.integers(1, 99), min_size=1, max_size=5)))
    if kind != "canary":
        strategy["iterations"] = draw(st.integers(1, 20))
    if kind == "ab-test":
        strategy["match"] = draw(matches)
    if kind == "shadow" and draw(st.booleans()):
        strategy["mirrorPercent"] = draw(st.integers(1, 100))
    if draw(st.booleans()):
        strategy["approval"] = {"before": draw(st.sampled_from(["rollout", "promotion"])),
                                "timeout": draw(st.sampled_from(["10m", "1h"])),
                                "onTimeout": draw(st.sampled_from(["rollback", "promote"]))}
    if draw(st.booleans()):
        strategy["loadTest"] = {"requestsPerSecond": draw(st.integers(1, 100))}
    platform = {"kind": "kubernetes", "controller": "flagger", "traffic": traffic}
    if draw(st.booleans()):
        platform["controllerVersion"] = draw(st.sampled_from(["0.23", "1.2", "1.20", "1.30", "1.44", "1.44"]))
    gates = [{"name": "errors", "metric": "error-rate", "max": draw(st.sampled_from([0.001, 0.01, 0.05]))},
             {"name": "slow", "metric": "latency", "percentile": draw(st.sampled_from([90, 99])), "max": 400}]
    return {
        "apiVersion": "shipgen.dev/v1alpha1", "kind": "Release",
        "metadata": {"name": "web", "namespace": "shop", "team": "web-team"},
        "service": {"image": "registry.example.com/web:1.0.0", "replicas": draw(st.integers(1, 12)),
                    "ports": [{"port": 8080}], "health": {"readiness": "/ready"}},
        "platform": platform, "strategy": strategy, "gates": gates,
        "rollback": {"maxFailedChecks": draw(st.integers(0, 5))},
        "smoke": [{"name": "home", "http": {"path": "/"}}],
        "notify": {"slack": "#web"},
    }


@lru_cache(maxsize=1)
def _canary_validator():
    from jsonschema import Draft202012Validator

    for document in yaml.safe_load_all(CRD.read_text()):
        if document["spec"]["names"]["kind"] == "Canary":
            return Draft202012Validator(document["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    raise AssertionError("no Canary CRD")


@pytest.mark.skipif(not CRD.is_file(), reason="the Flagger CRD is not available")
@SETTINGS
@given(spec=specs())
def test_any_flagger_spec_builds_a_valid_canary_or_is_refused_with_located_errors(tmp_path, spec):
    path = tmp_path / "release.yaml"
    path.write_text(dump_yaml(spec), encoding="utf-8")
    result = build([path])
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        assert all(d.line > 0 and d.col > 0 and d.spec_path for d in errors), errors
        assert all(d.fix for d in errors if d.name == "unsupported-by-controller"), errors
        return
    canary = yaml.safe_load(result.files["production/web/flagger/canary.yaml"])
    problems = sorted(error.message for error in _canary_validator().iter_errors(canary))
    assert problems == []
    analysis = canary["spec"]["analysis"]
    assert analysis["threshold"] == spec["rollback"]["maxFailedChecks"] + 1
    assert sum(key in analysis for key in ("iterations", "stepWeight", "stepWeights")) == 1  # the CRD's oneOf
    if spec["strategy"]["type"] == "canary":
        weights = analysis.get("stepWeights") or list(range(analysis["stepWeight"], analysis["maxWeight"] + 1,
                                                            analysis["stepWeight"]))
        assert weights == spec["strategy"].get("steps", [1, 10, 50])
    else:
        assert analysis["iterations"] == spec["strategy"]["iterations"]
