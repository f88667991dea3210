"""`shipgen detect` and `shipgen init` on fixture repositories built in temporary folders: one per
kind of deployment file, a mixed one and an empty one (tests/detect_fixtures.py). Every starter spec
`init` writes must validate, lint without error findings and build, through the real CLI."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detect_fixtures import EXPECTED, REPOSITORIES, SERVICES, build_repository, line_of

KINDS = sorted(REPOSITORIES)


def _detect_json(run_shipgen, root):
    result = run_shipgen("detect", root, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", KINDS)
def test_detect_reports_each_kind_with_its_evidence_line(name, tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", name)
    report = _detect_json(run_shipgen, root)
    found = {(f["kind"], f["file"], f["line"], f["confidence"]) for f in report["findings"]}
    for kind, path, needle, confidence in EXPECTED[name]:
        source = path.split("/", 1)[1] if name == "mixed" else path
        fixture = _fixture_of(name, path)
        line = line_of(fixture, source if fixture != name else path, needle)
        assert (kind, path, line, confidence) in found, (kind, path, line, sorted(found))
    for finding in report["findings"]:
        assert finding["evidence"] == f"{finding['file']}:{finding['line']}"
    assert {s["name"] for s in report["services"]} == set(SERVICES[name])


def _fixture_of(name, path):
    if name != "mixed":
        return name
    return {"k8s": "flagger", "serverless": "aws-sam", "local": "docker-compose", "edge": "nginx"}[path.split("/")[0]]


@pytest.mark.parametrize("name", [k for k in KINDS if SERVICES[k]])
def test_init_writes_specs_that_lint_without_errors_and_build(name, tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", name)
    specs = tmp_path / "specs"
    result = run_shipgen("init", root, "--out", specs)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in specs.iterdir())
    assert written == sorted(f"{service}.release.yaml" for service in SERVICES[name])
    for service, platform in SERVICES[name].items():
        text = (specs / f"{service}.release.yaml").read_text()
        assert re.search(rf"^  kind: {platform}( |$)", text, re.M)
        assert "TODO(shipgen init)" in text
    validate = run_shipgen("validate", specs)
    assert validate.exit_code == 0, validate.output
    lint = run_shipgen("lint", specs, "--format", "json")
    assert lint.exit_code == 0, lint.output
    assert "error" not in {finding["severity"] for finding in json.loads(lint.stdout)["findings"]}
    build = run_shipgen("build", specs, "-o", tmp_path / "out")
    assert build.exit_code == 0, build.output
    assert any((tmp_path / "out").rglob("RUNBOOK.md"))


def test_init_keeps_what_was_found(tmp_path, run_shipgen):
    from ruamel.yaml import YAML

    root = build_repository(tmp_path / "repo", "flagger")
    assert run_shipgen("init", root, "--out", tmp_path / "specs").exit_code == 0
    spec = YAML(typ="safe").load((tmp_path / "specs" / "web.release.yaml").read_text())
    assert spec["service"]["image"] == "ghcr.io/acme/web:1.2.3"
    assert spec["service"]["replicas"] == 3
    assert spec["service"]["ports"] == [{"port": 8080}]
    assert spec["service"]["health"]["readiness"] == {"path": "/ready", "period": "5s"}
    assert spec["platform"] == {"kind": "kubernetes", "controller": "flagger", "traffic": {"provider": "istio"}}
    assert spec["strategy"] == {"type": "canary", "interval": "1m", "steps": [10, 20, 30, 40, 50]}
    assert [g["name"] for g in spec["gates"]] == ["error-rate", "latency"]
    assert spec["gates"][0]["max"] == 0.01
    assert spec["rollback"]["maxFailedChecks"] == 2


def test_init_adds_a_small_first_step_to_a_big_bang_canary(tmp_path, run_shipgen):
    from ruamel.yaml import YAML

    root = build_repository(tmp_path / "repo", "argo-rollouts")
    assert run_shipgen("init", root, "--out", tmp_path / "specs").exit_code == 0
    text = (tmp_path / "specs" / "cart.release.yaml").read_text()
    spec = YAML(typ="safe").load(text)
    assert spec["strategy"]["steps"] == [5, {"weight": 20, "pause": "5m"}, {"weight": 60, "pause": "10m"}]
    assert "starting at 20% is a big-bang rollout" in text


def test_mixed_repository_json_snapshot(tmp_path, run_shipgen, snapshot):
    root = build_repository(tmp_path / "repo", "mixed")
    result = run_shipgen("detect", "repo", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout == snapshot


def test_mixed_repository_text(tmp_path, run_shipgen, snapshot):
    build_repository(tmp_path / "repo", "mixed")
    result = run_shipgen("detect", "repo", cwd=tmp_path)
    assert result.exit_code == 0
    assert "k8s/k8s/canary.yaml:1: flagger [high] Canary web" in result.output
    assert result.stdout == snapshot


def test_empty_repository(tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", "empty")
    report = _detect_json(run_shipgen, root)
    assert report["findings"] == [] and report["services"] == []
    assert "nothing found" in run_shipgen("detect", root).output
    result = run_shipgen("init", root)
    assert result.exit_code == 1
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == sorted(
        REPOSITORIES["empty"])


def test_detect_writes_nothing(tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", "mixed")
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    assert run_shipgen("detect", root, "--format", "json").exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_init_refuses_to_overwrite_without_force(tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", "docker-compose")
    (root / "api.release.yaml").write_text("mine\n")
    result = run_shipgen("init", root)
    assert result.exit_code == 2
    assert "exists (use --force to overwrite)" in result.output
    assert (root / "api.release.yaml").read_text() == "mine\n"
    assert not (root / "worker.release.yaml").exists()  # nothing is written when one file is refused
    assert run_shipgen("init", root, "--force").exit_code == 0
    assert (root / "api.release.yaml").read_text().startswith("# yaml-language-server")


def test_skips_git_dependencies_binaries_huge_files_and_outside_symlinks(tmp_path, run_shipgen):
    root = build_repository(tmp_path / "repo", "kubernetes")
    for folder in (".git", "node_modules/pkg"):
        (root / folder).mkdir(parents=True)
        (root / folder / "deploy.yaml").write_text(REPOSITORIES["kubernetes"]["deploy/web.yaml"])
    (root / "blob.yaml").write_bytes(b"apiVersion: v1\x00\x01")
    (root / "huge.yaml").write_text("a: b\n" * 300_000)
    outside = tmp_path / "outside.yaml"
    outside.write_text(REPOSITORIES["kubernetes"]["deploy/web.yaml"])
    (root / "link.yaml").symlink_to(outside)
    report = _detect_json(run_shipgen, root)
    assert {f["file"] for f in report["findings"]} == {"deploy/web.yaml"}
    skipped = {s["file"]: s["reason"] for s in report["skipped"]}
    assert skipped["blob.yaml"] == "binary file"
    assert skipped["huge.yaml"].startswith("larger than")
    assert skipped["link.yaml"] == "a symlink that leaves the directory"


HOSTILE = {
    "bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)),
    "deep.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: " + "[" * 5000 + "]" * 5000 + "\n",
    "tags.yaml": "!!python/object:os.system {apiVersion: v1}\n",
    "broken.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: {template: [\n",
    "weird.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: [1], strategy: 3, template: {spec: "
                  "{containers: [7, {ports: [{containerPort: x}], readinessProbe: 5}]}}}\n",
}


def test_hostile_yaml_never_crashes(tmp_path, run_shipgen):
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in HOSTILE.items():
        (root / name).write_text(text)
    report = _detect_json(run_shipgen, root)
    skipped = {s["file"]: s["reason"] for s in report["skipped"]}
    assert "more than 50000 values" in skipped["bomb.yaml"]
    assert "nesting deeper than 64" in skipped["deep.yaml"]
    assert skipped["broken.yaml"].startswith("not valid YAML")
    assert [f["file"] for f in report["findings"]] == ["weird.yaml"]


_values = st.recursive(st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=8) |
                       st.sampled_from(["/ready", "10%", "1m", "CMD", "web", "istio"]),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                           st.sampled_from(["spec", "template", "containers", "ports", "containerPort", "image",
                                            "analysis", "stepWeight", "maxWeight", "metrics", "thresholdRange",
                                            "strategy", "canary", "steps", "setWeight", "pause", "httpGet",
                                            "readinessProbe", "replicas", "targetRef", "name", "traffic",
                                            "serialPipeline", "stages", "Properties", "Type"]), inner, max_size=4),
                       max_leaves=20)
_kinds = st.sampled_from([("apps/v1", "Deployment"), ("flagger.app/v1beta1", "Canary"),
                          ("argoproj.io/v1alpha1", "Rollout"), ("serving.knative.dev/v1", "Service"),
                          ("deploy.cloud.google.com/v1", "DeliveryPipeline"), ("networking.istio.io/v1",
                                                                               "VirtualService"),
                          ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("autoscaling/v2",
                                                                          "HorizontalPodAutoscaler")])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=_kinds, spec=_values, metadata=_values)
def test_any_shape_of_a_known_resource_is_detected_without_a_traceback(kind, spec, metadata):
    from shipgen.detect import findings_of
    from shipgen.detect.loader import Document, RepoFile, Repository
    from shipgen.detect.model import services_of
    from shipgen.detect.starter import starter_documents
    from shipgen.detect import Detection

    data = {"apiVersion": kind[0], "kind": kind[1], "metadata": metadata, "spec": spec}
    file = RepoFile("x.yaml", "", [Document(data, {}, 1)])
    repository = Repository(root=None, files={"x.yaml": file})
    findings = findings_of(repository)
    assert findings and all(f.file == "x.yaml" for f in findings)
    starter_documents(Detection(".", findings, services_of(findings)))
