"""Helpers for the AWS target tests: small specs as dicts, built through the real pipeline."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

ACCOUNT = "111122223333"
LISTENER = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener/app/edge/0123456789abcdef/1111111111111111"
TEST_LISTENER = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener/app/edge/0123456789abcdef/2222222222222222"
BLUE = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/api-blue/3333333333333333"
GREEN = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/api-green/4444444444444444"

BASE = {
    "apiVersion": "shipgen.dev/v1alpha1",
    "kind": "Release",
    "metadata": {"name": "api", "team": "web", "environment": "staging"},
    "service": {"image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0", "replicas": 4,
                "ports": [{"port": 8080}], "health": {"readiness": "/ready"}},
    "gates": [{"name": "errors", "provider": "cloudwatch", "max": 5, "window": "1m",
               "query": "SELECT SUM(Errors) FROM SCHEMA(\"App\", Service) WHERE Service = '{{service}}'"}],
    "strategy": {"type": "canary", "steps": [{"weight": 10, "pause": "5m"}]},
    "rollback": {"maxFailedChecks": 2},
    "notify": {"slack": "#api"},
}

ECS = {"kind": "aws-ecs", "aws": {
    "region": "eu-west-1", "cluster": "apps",
    "network": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-0123456789abcdef0"]},
    "loadBalancer": {"listener": LISTENER, "testListener": TEST_LISTENER, "targetGroups": [BLUE, GREEN]}}}
LAMBDA = {"kind": "aws-lambda", "aws": {"region": "eu-west-1"}}
EC2 = {"kind": "aws-ec2", "aws": {"region": "eu-west-1", "artifactBucket": "deploy-bucket",
                                  "loadBalancer": {"listener": LISTENER, "targetGroups": [BLUE]},
                                  "ec2": {"autoScalingGroups": ["api-asg"]}}}


def merge(base: dict, changes: dict) -> dict:
    """`base` with `changes` deep-merged; a None value deletes the key."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def spec(platform: dict, **changes) -> dict:
    """BASE on `platform`, with `changes` merged in; a strategy given replaces the default one."""
    strategy = changes.pop("strategy", None)
    result = merge(merge(BASE, {"platform": platform}), changes)
    if strategy is not None:
        result["strategy"] = copy.deepcopy(strategy)
    return result


def write(tmp_path: Path, document: dict, name: str = "release.yaml") -> Path:
    """The spec written under `tmp_path/specs`; relative to the working directory when below it,
    so that generated headers name it the same way on every machine (tests chdir to tmp_path)."""
    path = tmp_path / "specs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def check(tmp_path: Path, document: dict):
    """(release or None, diagnostics) of one spec."""
    from shipgen.pipeline import check_specs

    checked = check_specs([write(tmp_path, document)])
    return (checked.releases[0] if checked.releases else None), checked.diagnostics


def release_of(tmp_path: Path, document: dict):
    release, diagnostics = check(tmp_path, document)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors == [], [d.message for d in errors]
    return release


def errors(diagnostics) -> list:
    return [d for d in diagnostics if d.severity == "error"]


def warnings(diagnostics, name: str | None = None) -> list:
    return [d for d in diagnostics if d.severity == "warning" and (name is None or d.name == name)]


def build_files(tmp_path: Path, document: dict) -> dict:
    """path inside the release folder -> text, for one spec (fails on errors)."""
    from shipgen.pipeline import build

    result = build([write(tmp_path, document)])
    assert errors(result.diagnostics) == [], [d.message for d in errors(result.diagnostics)]
    prefix = f"{document['metadata'].get('environment', 'production')}/{document['metadata']['name']}/"
    return {path[len(prefix):]: data.decode() for path, data in result.files.items()}


def load(text: str):
    return yaml.safe_load(text)


def shellcheck() -> str | None:
    return shutil.which("shellcheck")


def fake_command(bin_dir: Path, name: str, body: str) -> None:
    """An executable `name` in `bin_dir` (put first on PATH) running the bash `body`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
    path.chmod(0o755)


def run_script(script: Path, bin_dir: Path, *arguments, cwd: Path | None = None):
    import os
    import subprocess

    environment = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return subprocess.run(["bash", str(script), *arguments], env=environment, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def write_tree(root: Path, files: dict) -> None:
    """The release folder's files on disk, shell scripts executable (as `write` makes them)."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if text.startswith("#!"):
            path.chmod(0o755)
