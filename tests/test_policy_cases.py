"""Every built-in policy against its case file (sqlfluff style): `tests/fixtures/policies/<CODE>.yaml`
holds specs that must fail and specs that must pass, each with the exact findings expected of
that policy (line, column, message; the file when it is not the spec).

A case may also give: `files` (extra files next to the spec, e.g. migrations), `specs` (more
release specs in the same run), `options` (this policy's options in the config), `today`
(YYYY-MM-DD, default 2026-11-28), `production` / `environment` overrides are written in the spec.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from shipgen.lint import LintSettings, lint
from shipgen.lintconfig import LintConfig
from shipgen.pipeline import check_specs
from shipgen.policy import load_policies

CASES_DIR = Path(__file__).parent / "fixtures" / "policies"
DEFAULT_TODAY = datetime.date(2026, 11, 28)


def _case_files():
    return sorted(CASES_DIR.glob("SG*.yaml"))


def _cases():
    for path in _case_files():
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in content["cases"]:
            yield pytest.param(content["policy"], case, id=f"{content['policy']}-{case['name']}")


def run_case(tmp_path: Path, monkeypatch, policy: str, case: dict) -> list:
    """The findings of `policy` for one case, as (file, line, col, message) tuples."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "release.yaml").write_text(case["spec"], encoding="utf-8")
    specs = [tmp_path / "release.yaml"]
    for name, text in (case.get("specs") or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
        specs.append(tmp_path / name)
    for name, text in (case.get("files") or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    checked = check_specs(specs)
    assert not [d for d in checked.diagnostics if d.severity == "error"], checked.diagnostics
    config = LintConfig(options={policy: case["options"]} if case.get("options") else {})
    today = datetime.date.fromisoformat(str(case.get("today", DEFAULT_TODAY)))
    report = lint(checked, LintSettings(today=today, config=config))
    assert not report.problems, report.problems
    return sorted((f.file, f.line, f.col, f.message) for f in report.findings if f.code == policy)


@pytest.mark.parametrize("policy, case", list(_cases()))
def test_policy_case(tmp_path, monkeypatch, policy, case):
    expected = sorted((item.get("file", "release.yaml"), item["line"], item["col"], item["message"])
                      for item in case.get("expect") or [])
    assert run_case(tmp_path, monkeypatch, policy, case) == expected


def test_every_policy_has_failing_and_passing_cases():
    policy_set, problems = load_policies()
    assert not problems
    codes = {info.code for info in policy_set.policies}
    assert {path.stem for path in _case_files()} == codes
    for path in _case_files():
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert content["policy"] == path.stem
        outcomes = {bool(case.get("expect")) for case in content["cases"]}
        assert outcomes == {True, False}, f"{path.name} needs a failing and a passing case"
