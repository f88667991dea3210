"""The golden Argo Rollouts examples: one per strategy and provider the issue asks for, each a
release folder under golden/ that the oracle (real CRD schemas, Argo's controller rules,
kubernetes-validate, markdown) accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT
import oracle_support



def golden_folders() -> dict:
    """Example name -> its release folder in golden/."""
    folders = {}
    for path in sorted((ROOT / "examples").glob("argo-*.yaml")):
        metadata = yaml.safe_load(path.read_text())["metadata"]
        folders[path.stem] = ROOT / "golden" / metadata.get("environment", "production") / metadata["name"]
    return folders


def rollout(folder: Path) -> dict:
    return yaml.safe_load((folder / "argo-rollouts" / "rollout.yaml").read_text())


def test_examples_cover_every_strategy_and_the_required_providers():
    folders = golden_folders()
    kinds = {}
    for name, folder in folders.items():
        spec = yaml.safe_load((ROOT / "examples" / f"{name}.yaml").read_text())
        strategy = rollout(folder)["spec"]["strategy"]
        kinds[name] = (spec["strategy"]["type"], spec["platform"].get("traffic", {}).get("provider", "kubernetes"),
                       "approval" in spec["strategy"], next(iter(strategy)))
    found = set(kinds.values())
    assert ("canary", "istio", False, "canary") in found
    assert any(kind[:2] in (("canary", "gateway-api"), ("canary", "smi")) for kind in found)
    assert ("canary", "kubernetes", False, "canary") in found  # replica-based
    assert any(kind[0] == "blue-green" and kind[3] == "blueGreen" for kind in found)
    assert any(kind[0] == "ab-test" for kind in found) and any(kind[0] == "shadow" for kind in found)
    assert any(kind[0] == "canary" and kind[2] for kind in found)  # a manual gate


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_golden_argo_examples_pass_the_oracle():
    folders = list(golden_folders().values())
    assert len(folders) >= 7
    result = oracle_support.oracle_check(folders)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout + result.stderr
