"""Properties of the lint stage (hypothesis): for any mutation of a rich valid spec that still
normalizes, linting never raises, and every finding has a file, a line and a column; and the
examples lint without problems."""

from __future__ import annotations

import datetime
import functools

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from shipgen.lint import LintSettings, lint
from shipgen.lintconfig import LintConfig
from shipgen.pipeline import check_specs

BASE = {
    "apiVersion": "shipgen.dev/v1alpha1",
    "kind": "Release",
    "metadata": {"name": "prop", "namespace": "props", "team": "team-a", "environment": "production"},
    "service": {"image": "registry.example.com/prop:1.0.0", "replicas": 3, "ports": [{"port": 8080}],
                "health": {"readiness": "/ready", "liveness": {"tcp": True}}, "drain": "0s",
                "traffic": {"requestsPerSecond": 3}},
    "platform": {"kind": "kubernetes", "controller": "argo-rollouts"},
    "strategy": {"type": "canary", "steps": [5, 20, 50], "interval": "1m",
                 "approval": {"timeout": "30h", "onTimeout": "rollback"}},
    "gates": [{"name": "errors", "metric": "error-rate", "max": 0.05, "window": "2m"},
              {"name": "latency", "metric": "latency", "window": "30s"}],
    "slos": [{"name": "availability", "objective": 99.5, "sli": "errors"}],
    "rollback": {"lastTested": "2025-01-01"},
    "dependsOn": ["prop", {"name": "other", "namespace": "x"}],
    "smoke": [{"name": "check", "command": ["kubectl", "exec", "-it", "deploy/prop"]}],
}

REPLACEMENTS = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.sampled_from(
    ["0s", "48h", "25%", "100%", "recreate", "rolling", "blue-green", "shadow", "staging", "2027-01-01", "/x", 0.5]))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


PATHS = [path for path in _paths(BASE) if path]


def _mutated(value, path, new, delete):
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(path) == 1:
        if delete:
            del copy[path[0]]
        else:
            copy[path[0]] = new
    else:
        copy[path[0]] = _mutated(value[path[0]], path[1:], new, delete)
    return copy


def _exists(value, path):
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


@functools.lru_cache(maxsize=1)
def _config():
    return LintConfig()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.sampled_from(PATHS), st.booleans(), REPLACEMENTS), max_size=3))
def test_any_normalizing_spec_lints_with_located_findings(tmp_path, mutations):
    spec = BASE
    for path, delete, value in mutations:
        if _exists(spec, path):
            spec = _mutated(spec, path, value, delete)
    file = tmp_path / "release.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    checked = check_specs([file])
    if not checked.releases:
        return
    report = lint(checked, LintSettings(today=datetime.date(2026, 11, 28), config=_config()))
    assert report.problems == []
    for finding in report.findings:
        assert finding.file and finding.line >= 1 and finding.col >= 1, finding
        assert finding.message and "{" not in finding.message[:1], finding


def test_the_base_spec_trips_many_policies(tmp_path):
    file = tmp_path / "release.yaml"
    file.write_text(yaml.safe_dump(BASE, sort_keys=False), encoding="utf-8")
    report = lint(check_specs([file]), LintSettings(today=datetime.date(2026, 11, 28), config=LintConfig()))
    assert {"SG102", "SG302", "SG303", "SG304", "SG305", "SG306", "SG601", "SG603"} <= \
        {finding.code for finding in report.findings}


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").iterdir()))
def test_examples_lint_without_problems_or_errors(example, monkeypatch):
    monkeypatch.chdir(ROOT)
    checked = check_specs([ROOT / "examples" / example])
    report = lint(checked, LintSettings(config=LintConfig()))
    assert report.problems == []
    assert [f for f in report.findings if f.severity == "error"] == [], \
        "an example trips an error-severity policy: `shipgen build examples/` would fail"
