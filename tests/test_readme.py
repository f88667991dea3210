"""The README's generated parts are current, and its two commands are the ones CI runs."""

from __future__ import annotations

import importlib.util
import re

from conftest import ROOT


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_reference_is_current():
    reference = _tool("spec_reference")
    assert reference.updated_readme() == (ROOT / "README.md").read_text(encoding="utf-8"), \
        "run: python tools/spec_reference.py"


def test_spec_reference_lists_every_schema_field_with_its_default():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `service.replicas` | integer | `2` |" in text
    assert "| `strategy.steps` |" in text and "`[1, 10, 50]`" in text
    assert "| `rollback.lastTested` |" in text


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = re.search(r"# 1\. .*\n(.+)\n", readme).group(1)
    tests = re.search(r"# 2\. .*\n(.+)\n", readme).group(1)
    assert setup == "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/shipgen build examples/ -o out/"
    for part in setup.split(" && "):
        assert part.replace("--disable-pip-version-check -q ", "") in ci.replace("--disable-pip-version-check -q ", "")
    assert tests in ci
