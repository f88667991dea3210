"""Issue 14 item 4: a hostile-input suite that grows with the schema.

For every string field of the schema that a base spec sets (see `hostile_support`), in every
target that sets it, each payload of `PAYLOADS` is appended to the value and the spec built in
process. Either the build stops with a located error at the spec (exit 2), or:
- every artifact's path is a plain relative path (no control characters, no `..`);
- every generated shell script parses (`bash -n`), and running it, and every shell snippet a
  controller runs, with stub CLIs on PATH never touches the canary file the payloads name;
- every generated Python source parses, and the payload appears only inside string literals.
The oracle (the platforms' real validators) checks the artifacts of one case per payload and
target in `test_hostile_artifacts_pass_the_oracle`.

Runtime: about a minute for ~3,000 builds and the scripts they produce (most payloads are
refused by a field's pattern before any artifact exists).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile_support import (PAYLOADS, cases, commands_to_run, covered_fields, field_name, mutate, run_all,
                             string_fields, write_stubs)
from oracle_support import SKIP, SKIP_REASON, oracle_check

# Fields that no base spec sets yet. A new schema field joins this list only with a reason;
# a field here that a base starts to set must leave it (the test below fails either way).
NOT_YET_COVERED: set = set()

CASES = cases()
IDS = [f"{field_name(field)}@{target}" for field, target, _, _ in CASES]


def test_every_string_field_of_the_schema_has_a_case():
    missing = {field_name(field) for field in string_fields()} - {field_name(f) for f in covered_fields()}
    assert missing == NOT_YET_COVERED, (
        "schema fields no example or tests/fixtures/hostile/ spec sets: " + ", ".join(sorted(missing)))
    assert len(CASES) > 100  # the walk found the schema's fields


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A copy of each base folder (migrations and files the specs name) and the stub CLIs."""
    root = tmp_path_factory.mktemp("hostile")
    copies = {}
    for _, _, base, _ in CASES:
        if base.parent not in copies:
            copies[base.parent] = root / f"specs{len(copies)}"
            shutil.copytree(base.parent, copies[base.parent])
    return root, copies, write_stubs(root / "stubs")


def _located(diagnostics, spec) -> bool:
    errors = [d for d in diagnostics if d.severity == "error"]
    return bool(errors) and all(d.line >= 1 and d.col >= 1 for d in errors) and any(
        d.file.endswith(spec.name) for d in errors)


def _check_python(name: str, source: str):
    tree = ast.parse(source, filename=name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert "SHIPGEN_CANARY" not in node.id, f"{name}: a payload became Python code"


@pytest.mark.parametrize("field, target, base, path", CASES, ids=IDS)
def test_a_hostile_value_is_refused_or_stays_data(field, target, base, path, workspace, tmp_path):
    from shipgen.pipeline import build

    root, copies, stubs = workspace
    for payload_name, payload in PAYLOADS.items():
        spec = mutate(base, path, payload, copies[base.parent])
        try:
            result = build([spec])
        finally:
            spec.write_bytes(base.read_bytes())  # the copy is shared by the module's cases
        if any(d.severity == "error" for d in result.diagnostics):
            assert _located(result.diagnostics, spec), (payload_name, result.diagnostics)
            continue
        assert result.files, payload_name
        out = tmp_path / payload_name
        for name, content in result.files.items():
            assert ".." not in name.split("/") and not name.startswith("/"), name
            assert name.isprintable() and "\n" not in name, repr(name)
            if name.endswith(".py"):
                _check_python(name, content.decode("utf-8"))
        commands = commands_to_run(result.files, out)
        for command in commands:
            if command[0] == "bash" and len(command) == 2 and payload.strip() in Path(command[1]).read_text():
                check = subprocess.run(["bash", "-n", command[1]], capture_output=True, text=True)
                assert check.returncode == 0, (payload_name, command[1], check.stderr)
        work = tmp_path / f"{payload_name}-run"
        work.mkdir()
        touched = run_all(commands, work, stubs, work / "CANARY")
        assert not touched, (payload_name, touched)


# Free-text fields documented to take any text: their payloads reach artifacts, so the real
# validators judge what they became (one oracle run over every target and payload).
ORACLE_FIELDS = (("metadata", "description"), ("gates", "*", "query"))


def _judged_without_the_oracle(name: str, content: bytes) -> bool:
    """The oracle has no validator for Traffic Director's backend services and URL maps, nor for
    the opt-in Cloud Monitoring dashboards and alert policies and the Azure Monitor template: they
    are checked here against the documented API fields (tests/compute_api.py,
    tests/monitoring_api.py) instead."""
    if "/cloud-monitoring/" in f"/{name}" and name.endswith(".json"):
        import json

        import monitoring_api

        document = json.loads(content)
        check = (monitoring_api.dashboard_problems if name.endswith("/dashboard.json")
                 else monitoring_api.alert_policy_problems)
        assert check(document) == [], name
        return True
    if "/azure-monitor/" in f"/{name}" and name.endswith(".json"):
        import json

        import monitoring_api

        assert monitoring_api.arm_monitoring_problems(json.loads(content)) == [], name
        return True
    if "/traffic-director/" not in f"/{name}" or not name.endswith(".yaml"):
        return False
    import yaml

    import compute_api

    document = yaml.safe_load(content)
    check = compute_api.url_map_problems if "/url-map-" in name else compute_api.backend_service_problems
    assert check(document) == [], name
    return True


@pytest.mark.skipif(SKIP, reason=SKIP_REASON)
def test_hostile_artifacts_pass_the_oracle(workspace, tmp_path):
    from shipgen.pipeline import build

    _, copies, _ = workspace
    built = 0
    for field, target, base, path in CASES:
        if field not in ORACLE_FIELDS:
            continue
        for payload_name, payload in PAYLOADS.items():
            spec = mutate(base, path, payload, copies[base.parent])
            try:
                result = build([spec])
            finally:
                spec.write_bytes(base.read_bytes())
            if any(d.severity == "error" for d in result.diagnostics):
                continue
            for name, content in result.files.items():
                if name.endswith(".svg"):
                    continue
                if _judged_without_the_oracle(name, content):
                    continue
                target_file = tmp_path / field_name(field) / target.replace("/", "_") / payload_name / name
                target_file.parent.mkdir(parents=True, exist_ok=True)
                target_file.write_bytes(content)
            built += 1
    assert built > 20  # the payloads reached artifacts in many targets
    result = oracle_check([tmp_path])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
