"""Files generated from the policies' METADATA are current: the README's policy table and the
pre-commit hook file (`python tools/policy_docs.py` rewrites both)."""

from __future__ import annotations

import importlib.util

import yaml

from conftest import ROOT


def _tool():
    spec = importlib.util.spec_from_file_location("policy_docs", ROOT / "tools" / "policy_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_policy_table_is_current():
    assert _tool().updated_readme() == (ROOT / "README.md").read_text(encoding="utf-8"), \
        "run: python tools/policy_docs.py"


def test_pre_commit_hooks_file_is_current():
    assert _tool().hooks_file() == (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), \
        "run: python tools/policy_docs.py"


def test_pre_commit_hooks_are_valid_hook_definitions():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    ids = [hook["id"] for hook in hooks]
    assert ids == ["shipgen-lint", "shipgen-check"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["entry"].startswith("shipgen ")
        assert hook["language"] == "python"


def test_readme_table_lists_every_policy_once():
    from shipgen.policy import load_policies

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("<!-- policies:start -->"):text.index("<!-- policies:end -->")]
    policy_set, _ = load_policies()
    for info in policy_set.policies:
        assert table.count(f"| {info.code} | `{info.name}` |") == 1


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "HOOKS", tmp_path / ".pre-commit-hooks.yaml")
    (tmp_path / ".pre-commit-hooks.yaml").write_text("- id: stale\n")
    assert tool.main(["--check"]) == 1
