"""Properties over many inputs (hypothesis):

- free text of any kind survives the trip into YAML output unchanged and cannot add keys;
- any mutation of a valid spec yields either a build or located errors, never an exception;
- any spec from a generator of valid specs builds, and the oracle accepts what it writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle_support
from shipgen.pipeline import build
from shipgen.serialize import dump_yaml

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

BASE = {
    "apiVersion": "shipgen.dev/v1alpha1",
    "kind": "Release",
    "metadata": {"name": "prop", "namespace": "props", "team": "team-a"},
    "service": {"image": "registry.example.com/prop:1.0.0", "replicas": 3, "ports": [{"port": 8080}],
                "health": {"readiness": "/ready", "liveness": {"tcp": True}}},
    "strategy": {"type": "rolling"},
    "gates": [{"name": "errors", "metric": "error-rate", "max": 0.05}],
}


def _build_text(tmp_path: Path, text: str):
    spec = tmp_path / "release.yaml"
    spec.write_text(text, encoding="utf-8")
    return build([spec])


# What a spec's free text may hold: any character but lone surrogates and control characters other
# than line breaks and tabs, which the loader refuses (test_control_characters_are_refused_where_they_stand).
free_text = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t"), max_size=80)
control_characters = st.characters(codec="utf-8", categories=("Cc",), exclude_characters="\n\t")


@SETTINGS
@given(description=free_text, value=free_text)
def test_free_text_round_trips_through_yaml_output(tmp_path, description, value):
    spec = dict(BASE, metadata=dict(BASE["metadata"], description=description))
    spec["service"] = dict(BASE["service"], env={"PAYLOAD": value})
    result = _build_text(tmp_path, dump_yaml(spec))  # quotes what YAML 1.1 or 1.2 would misread
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    output = result.files["production/prop/kubernetes/deployment.yaml"]
    documents = list(yaml.safe_load_all(output))  # read as YAML 1.1 (PyYAML) ...
    assert len(documents) == 1
    deployment = documents[0]
    assert set(deployment) == {"apiVersion", "kind", "metadata", "spec"}
    annotations = deployment["metadata"]["annotations"]
    assert annotations.get("shipgen.dev/description", "") == description
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["env"] == [{"name": "PAYLOAD", "value": value}]
    from ruamel.yaml import YAML

    as_12 = YAML(typ="safe", pure=True).load(output)  # ... and as YAML 1.2: the same strings
    assert as_12["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "PAYLOAD", "value": value}]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


def _delete(value, path):
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = _delete(value[path[0]], path[1:])
    return copy


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    free_text, st.sampled_from(["30s", "25%", "canary", "istio", "flagger", "2026-01-01", "../x"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(free_text, inner, max_size=3),
                      max_leaves=6)
ALL_PATHS = [p for p in _paths(BASE) if p]


@SETTINGS
@given(mutations=st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete"]), values),
                          min_size=1, max_size=3))
def test_any_mutation_builds_or_gives_located_errors(tmp_path, mutations):
    spec = BASE
    for path, action, value in mutations:
        if not _exists(spec, path):
            continue
        spec = _delete(spec, path) if action == "delete" else _replace(spec, path, value)
    result = _build_text(tmp_path, dump_yaml(spec))
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        assert result.files == {}
        for error in errors:
            assert error.file.endswith("release.yaml") and error.line >= 1 and error.col >= 1, error
    else:
        assert result.files


@SETTINGS
@given(mutations=st.lists(st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete"]), values),
                          min_size=1, max_size=3))
def test_the_fast_and_the_explaining_validators_agree(mutations):
    from shipgen.validate import _explaining_validator, _fast_validator

    spec = BASE
    for path, action, value in mutations:
        if _exists(spec, path):
            spec = _delete(spec, path) if action == "delete" else _replace(spec, path, value)
    fast = _fast_validator().is_valid(spec)
    explained = next(_explaining_validator().iter_errors(spec), None)
    assert fast == (explained is None), explained


@SETTINGS
@given(before=free_text, control=control_characters, after=free_text)
def test_control_characters_are_refused_where_they_stand(tmp_path, before, control, after):
    spec = dict(BASE, metadata=dict(BASE["metadata"], description=before + control + after))
    text = dump_yaml(spec)
    result = _build_text(tmp_path, text)
    (error,) = [d for d in result.diagnostics if d.severity == "error"]
    assert (error.code, error.name) == ("SG001", "invalid-encoding")
    assert f"U+{ord(control):04X}" in error.message
    lines = text.splitlines()
    assert lines[error.line - 1].lstrip().startswith("description:"), (error.line, lines)
    assert result.files == {}


def _exists(value, path):
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


@st.composite
def valid_specs(draw, index=0):
    name = draw(st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True))
    replicas = draw(st.integers(1, 40))
    ports = draw(st.lists(st.integers(1, 65535), max_size=3, unique=True))
    spec = {
        "apiVersion": "shipgen.dev/v1alpha1",
        "kind": "Release",
        "metadata": {"name": name, "team": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}[A-Za-z0-9]", fullmatch=True)),
                     "environment": draw(st.sampled_from(["production", "staging", "dev"])),
                     "description": draw(free_text)},
        "service": {"image": f"registry.example.com/{name}:{draw(st.integers(0, 99))}.0",
                    "replicas": replicas,
                    "ports": [{"port": port} for port in ports],
                    "drain": draw(st.integers(0, 120)),
                    "shutdownTimeout": draw(st.sampled_from(["0s", "5s", "1m", "90s"])),
                    "warmup": draw(st.integers(0, 300)),
                    "resources": {"cpu": draw(st.sampled_from(["100m", "1", "2500m"])),
                                  "memory": draw(st.sampled_from(["64Mi", "1Gi"]))}},
        "strategy": draw(st.sampled_from([{"type": "recreate"}, {"type": "rolling"},
                                          {"type": "rolling", "maxSurge": 0, "maxUnavailable": 1},
                                          {"type": "rolling", "maxSurge": "100%", "maxUnavailable": "50%"}])),
    }
    if ports:
        spec["service"]["health"] = {"readiness": draw(st.sampled_from(["/", "/ready", {"tcp": True}])),
                                     "liveness": {"path": "/live", "period": draw(st.integers(1, 60))}}
    else:
        spec["service"]["health"] = {"liveness": {"exec": ["/bin/true"]}}
    if draw(st.booleans()):
        spec["service"]["autoscaling"] = {"maxReplicas": replicas + draw(st.integers(0, 20))}
    return spec


@SETTINGS
@given(spec=valid_specs())
def test_generated_valid_specs_build(tmp_path, spec):
    result = _build_text(tmp_path, dump_yaml(spec))
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert any(path.endswith("kubernetes/deployment.yaml") for path in result.files)


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(valid_specs(), min_size=12, max_size=12, unique_by=lambda s: s["metadata"]["name"]))
def test_the_oracle_accepts_builds_of_generated_specs(tmp_path_factory, specs):
    folder = tmp_path_factory.mktemp("generated")
    for spec in specs:
        (folder / f"{spec['metadata']['name']}.yaml").write_text(dump_yaml(spec))
    result = build([folder])
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    out = folder / "out"
    for path, data in result.files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    check = oracle_support.oracle_check([out])
    assert check.returncode == 0, check.stdout + check.stderr
    shutil.rmtree(folder)
