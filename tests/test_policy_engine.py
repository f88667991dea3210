"""The Rego engine: built-in metadata, `shipgen explain`, users' policies (conftest conventions,
--policy-dir, --namespace), and located errors for broken policies."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import MINIMAL_SPEC
from shipgen.policy import CODE_PATTERN, DOC_SECTIONS, NAME_PATTERN, load_policies, spec_path

SPEC_WITH_IMAGE_LINE = MINIMAL_SPEC  # line 5 is `  image: registry.example.com/web:1.0.0`


def _policies():
    policy_set, problems = load_policies()
    assert problems == []
    return policy_set.policies


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- built-in metadata


def test_builtin_policies_have_unique_codes_names_and_full_docs():
    policies = _policies()
    assert len(policies) >= 20
    codes = [info.code for info in policies]
    names = [info.name for info in policies]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for info in policies:
        assert CODE_PATTERN.match(info.code) and NAME_PATTERN.match(info.name)
        assert not info.name.startswith(("no-", "ban-", "disallow-")), info.name  # ruff's naming rule
        assert all(info.docs[section] for section in DOC_SECTIONS), info.code
        assert info.severity in ("error", "warning", "info")
        assert info.file.endswith(f"{info.code.lower()}_{info.name.replace('-', '_')}.rego")
        assert info.package == f"shipgen.policies.{info.name.replace('-', '_')}"
        for option in info.options.values():
            assert option["description"]


def test_category_digit_matches_the_issue_categories():
    categories = {info.code[2] for info in _policies()}
    assert categories == {"1", "2", "3", "4", "5", "6"}


@pytest.mark.parametrize("info", _policies(), ids=lambda info: info.code)
def test_explain_works_for_every_code_and_name(run_shipgen, info):
    by_code = run_shipgen("explain", info.code)
    assert by_code.exit_code == 0
    assert by_code.output.startswith(f"{info.code} {info.name}: {info.title}\n")
    for heading in ("What it flags:", "Why it matters:", "Example:", "Use instead:", "Options:"):
        assert heading in by_code.output
    for option in info.options:
        assert f"`{option}`" in by_code.output
    assert run_shipgen("explain", info.name).output == by_code.output


def test_explain_lists_every_policy(run_shipgen):
    result = run_shipgen("explain")
    assert result.exit_code == 0
    listed = {tuple(line.split()[:2]) for line in result.output.splitlines()}
    for info in _policies():
        assert (info.code, info.name) in listed


def test_explain_unknown_code_is_a_usage_error(run_shipgen):
    result = run_shipgen("explain", "SG999")
    assert result.exit_code == 2
    assert "no policy has the code or name 'SG999'" in result.output


def test_explain_covers_the_lint_stage_codes(run_shipgen):
    result = run_shipgen("explain", "SG093")
    assert result.exit_code == 0 and "invalid-suppression" in result.output


def test_spec_path_accepts_lists_and_dotted_text():
    assert spec_path(["strategy", "steps", 0]) == ("strategy", "steps", 0)
    assert spec_path("strategy.steps[2].weight") == ("strategy", "steps", 2, "weight")
    assert spec_path(None) == ()


# ---------------------------------------------------------------------------- users' policies


CONFTEST_POLICY = """\
package main

import rego.v1

deny contains msg if {
\tnot startswith(input.spec.service.image, "registry.internal/")
\tmsg := {"msg": sprintf("image %s is not from registry.internal", [input.spec.service.image]), "path": ["service", "image"]}
}

warn contains "metadata.owner is not set" if {
\tnot input.spec.metadata.owner
}
"""


def test_custom_policy_in_a_policy_dir_is_reported_with_locations(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/registry.rego", CONFTEST_POLICY)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    custom = [f for f in findings if f["code"] == "REGO"]
    assert custom == [
        {**custom[0], "name": "main.warn", "severity": "warning", "file": "specs/release.yaml", "line": 1, "col": 1,
         "message": "metadata.owner is not set", "spec_path": ""},  # no path: the document
        {**custom[1], "name": "main.deny", "severity": "error", "file": "specs/release.yaml", "line": 5, "col": 10,
         "message": "image registry.example.com/web:1.0.0 is not from registry.internal", "spec_path": "service.image"},
    ]
    assert result.exit_code == 1  # the deny is an error


def test_namespace_option_selects_the_package(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/deploy.rego", CONFTEST_POLICY.replace("package main", "package deploy.checks"))
    in_main = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--format", "json")
    assert not [f for f in json.loads(in_main.stdout)["findings"] if f["code"] == "REGO"]
    chosen = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--namespace", "deploy.checks",
                         "--format", "json")
    names = sorted(f["name"] for f in json.loads(chosen.stdout)["findings"] if f["code"] == "REGO")
    assert names == ["deploy.checks.deny", "deploy.checks.warn"]


def test_rego_v0_partial_sets_and_suffixed_rules_are_read(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/old.rego", """\
        package main

        deny_replicas[msg] {
          input.release.service.replicas < 3
          msg := "fewer than 3 replicas"
        }

        violation[{"msg": m, "path": "service.ports[0].port"}] {
          input.spec.service.ports[0].port == 8080
          m := "port 8080 is reserved"
        }
        """)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--format", "json")
    custom = {(f["name"], f["message"], f["line"], f["col"]) for f in json.loads(result.stdout)["findings"]
              if f["code"] == "REGO"}
    assert custom == {("main.deny_replicas", "fewer than 3 replicas", 1, 1),
                      ("main.violation", "port 8080 is reserved", 6, 18)}


def test_annotated_user_policy_gets_its_own_code_and_severity(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/team.rego", """\
        # METADATA
        # title: Team label required
        # custom:
        #   code: SG701
        #   name: unlabelled-team
        #   severity: warning
        package acme.team

        import rego.v1

        deny contains {"msg": "set metadata.labels.cost-center", "path": ["metadata"]} if {
        \tnot input.spec.metadata.labels
        }
        """)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--namespace", "acme.team",
                         "--format", "json")
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "SG701"]
    assert (finding["name"], finding["severity"], finding["line"]) == ("unlabelled-team", "warning", 3)
    assert run_shipgen("explain", "SG701", "--policy-dir", tmp_path / "policies").exit_code == 0


def test_rego_syntax_error_is_a_located_error(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/broken.rego", """\
        package main

        import rego.v1

        deny contains msg if {
          msg := 
        }
        """)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies")
    assert result.exit_code == 2
    assert "policies/broken.rego:6:7: error[SG091] invalid-policy: Rego syntax error:" in result.output


def test_a_missing_policy_dir_is_an_error(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "policy directory does not exist" in result.output


def test_user_policies_see_the_same_input_as_builtins(tmp_path, write_spec, run_shipgen):
    """The input document has the spec as written, the normalized release, facts and options."""
    spec = write_spec(MINIMAL_SPEC)
    _write(tmp_path, "policies/input.rego", """\
        package main

        import rego.v1

        warn contains msg if {
        \tmsg := sprintf("%v|%v|%v|%v|%v", [input.spec.kind, input.release.service.replicas,
        \t\tinput.facts.rollout.strategy, input.options["big-bang-rollout"]["max-first-step-percent"],
        \t\tinput.production])
        }
        """)
    result = run_shipgen("lint", spec, "--policy-dir", tmp_path / "policies", "--format", "json")
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "REGO"]
    assert finding["message"] == "Release|2|rolling|10|true"
