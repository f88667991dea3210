"""golden/ is exactly what `shipgen build examples/ -o golden/` writes.

After an intended change, refresh it with:  shipgen build examples/ -o golden/
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_golden_matches_a_fresh_build(monkeypatch):
    from shipgen.pipeline import build
    from shipgen.write import compare_tree

    monkeypatch.chdir(ROOT)
    result = build(["examples"])
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    differences = compare_tree(ROOT / "golden", result.files)
    assert differences == [], "golden/ is stale; run: shipgen build examples/ -o golden/\n" + "\n".join(differences)


def test_golden_covers_the_three_foundation_services():
    assert (ROOT / "golden/production/checkout/kubernetes/service.yaml").is_file()  # a web API
    worker = ROOT / "golden/production/invoice-worker/kubernetes"
    assert (worker / "deployment.yaml").is_file() and not (worker / "service.yaml").exists()  # no port, no Service
    runbook = (ROOT / "golden/staging/orders/RUNBOOK.md").read_text()  # migrations and dependencies
    assert "V42__add_order_status.sql" in runbook and "`inventory` in namespace `warehouse`" in runbook


def _build_bytes(tmp_path, name, seed, arguments):
    out = tmp_path / name
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    subprocess.run([sys.executable, "-m", "shipgen", "build", *arguments, "-o", str(out)], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_builds_are_byte_identical_across_hash_seeds_and_argument_order(tmp_path):
    specs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
    first = _build_bytes(tmp_path, "a", 1, ["examples"])
    second = _build_bytes(tmp_path, "b", 4242, list(reversed(specs)) + ["examples"])
    assert first.keys() == second.keys()
    assert first == second
