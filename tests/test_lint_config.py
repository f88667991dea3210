"""Lint configuration: .shipgen.yaml or [tool.shipgen.lint] in pyproject.toml, found by walking
up; severity overrides, disabled policies, options, policy dirs; errors are located."""

from __future__ import annotations

import json
import textwrap

from conftest import MINIMAL_SPEC

RECREATE_SPEC = MINIMAL_SPEC + "strategy: {type: recreate}\n"  # production: SG201 error on line 8


def _codes(result) -> dict:
    return {f["code"]: f["severity"] for f in json.loads(result.stdout)["findings"]}


def test_no_config_uses_the_defaults(write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    result = run_shipgen("lint", spec, "--format", "json")
    assert _codes(result)["SG201"] == "error" and result.exit_code == 1


def test_severity_override_and_disable_in_shipgen_yaml(tmp_path, write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    (tmp_path / ".shipgen.yaml").write_text(textwrap.dedent("""\
        lint:
          severity: {big-bang-rollout: warning}
          disable: [SG506]
        """))
    result = run_shipgen("lint", spec, "--format", "json")
    codes = _codes(result)
    assert codes["SG201"] == "warning" and "SG506" not in codes
    assert result.exit_code == 0  # no error remains


def test_severity_off_disables(tmp_path, write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  severity: {SG201: 'off'}\n")
    assert "SG201" not in _codes(run_shipgen("lint", spec, "--format", "json"))


def test_options_in_pyproject(tmp_path, write_spec, run_shipgen, monkeypatch):
    spec = write_spec(MINIMAL_SPEC + "rollback: {lastTested: '2026-01-01'}\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795824000")  # 2026-11-28, 331 days after the drill
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "x"

        [tool.shipgen.lint.options.untested-rollback]
        max-age-days = 400
        """))
    assert "SG304" not in _codes(run_shipgen("lint", spec, "--format", "json"))
    (tmp_path / "pyproject.toml").write_text("[tool.shipgen.lint]\ndisable = []\n")
    assert "SG304" in _codes(run_shipgen("lint", spec, "--format", "json"))


def test_config_is_found_in_a_parent_folder(tmp_path, write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    (tmp_path / ".shipgen.yml").write_text("lint:\n  disable: [big-bang-rollout]\n")
    nested = tmp_path / "specs"
    assert "SG201" not in _codes(run_shipgen("lint", spec.name, "--format", "json", cwd=nested))


def test_explicit_config_option(tmp_path, write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    config = tmp_path / "ci" / "lint.yaml"
    config.parent.mkdir()
    config.write_text("lint:\n  disable: [SG201]\n")
    assert "SG201" in _codes(run_shipgen("lint", spec, "--format", "json"))
    assert "SG201" not in _codes(run_shipgen("lint", spec, "--config", config, "--format", "json"))


def test_policy_dirs_in_config_are_relative_to_it(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / "ci" / "policies").mkdir(parents=True)
    (tmp_path / "ci" / "policies" / "p.rego").write_text(
        'package main\n\nimport rego.v1\n\ndeny contains "always" if { true }\n')
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  policy-dirs: [ci/policies]\n")
    assert _codes(run_shipgen("lint", spec, "--format", "json"))["REGO"] == "error"


def test_unknown_policy_in_config_is_a_located_error(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  severity:\n    big-bang-rolout: warning\n")
    result = run_shipgen("lint", spec)
    assert result.exit_code == 2
    assert ".shipgen.yaml:3:5: error[SG090] invalid-config: severity: no policy has the code or name " \
           "'big-bang-rolout'" in result.output


def test_unknown_option_and_wrong_type_are_errors(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / ".shipgen.yaml").write_text(textwrap.dedent("""\
        lint:
          options:
            SG201: {max-first-step: 5}
            untested-rollback: {max-age-days: soon}
          colour: red
        """))
    result = run_shipgen("lint", spec)
    assert result.exit_code == 2
    assert ".shipgen.yaml:3:13: error[SG090] invalid-config: big-bang-rollout has no option 'max-first-step' " \
           "(options: max-first-step-percent)" in result.output
    assert ".shipgen.yaml:4:25: error[SG090] invalid-config: untested-rollback: max-age-days must be a number" \
        in result.output
    assert ".shipgen.yaml:5:3: error[SG090] invalid-config: unknown key 'colour'" in result.output


def test_config_can_turn_inline_ignores_off(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + "strategy: {type: recreate}  # shipgen: ignore[SG201] -- accepted\n")
    assert "SG201" not in _codes(run_shipgen("lint", spec, "--format", "json"))
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  inline-ignores: false\n")
    assert "SG201" in _codes(run_shipgen("lint", spec, "--format", "json"))


def test_build_honours_the_config(tmp_path, write_spec, run_shipgen):
    spec = write_spec(RECREATE_SPEC)
    assert run_shipgen("build", spec, "-o", tmp_path / "out").exit_code == 1
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  severity: {SG201: warning}\n")
    result = run_shipgen("build", spec, "-o", tmp_path / "out")
    assert result.exit_code == 0 and "warning[SG201] big-bang-rollout" in result.output


def test_a_pyproject_without_a_shipgen_table_is_passed_over(tmp_path, monkeypatch):
    """Only a pyproject.toml that can hold [tool.shipgen] is parsed; an escaped letter in a quoted
    key still counts."""
    from shipgen.lintconfig import find_config

    for name, text, found in (("plain", '[project]\nname = "x"\n', False),
                              ("table", '[tool.shipgen.lint]\ndisable = ["SG505"]\n', True),
                              ("escaped", '[tool."\\u0073hipgen".lint]\ndisable = ["SG505"]\n', True),
                              ("dotted", 'tool.shipgen.lint.disable = ["SG505"]\n', True),
                              ("other tool", '[tool.ruff]\nline-length = 100  # shipgen style\n', False)):
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        (folder / "pyproject.toml").write_text(text, encoding="utf-8")
        monkeypatch.chdir(folder)
        assert (find_config() == folder / "pyproject.toml") is found, name
