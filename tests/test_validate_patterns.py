"""Issue 14 items 1-2: a schema `pattern` means what JSON Schema (ECMA-262) says: `^...$` matches
the whole text, so a value with a trailing newline is refused at the field; and when the two
validators disagree, the spec is invalid (fail closed), never accepted."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT
from shipgen import validate as validate_module
from shipgen.validate import ecma_pattern

TRAFFIC_MANAGER = (ROOT / "examples" / "azure-traffic-manager-blue-green.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("pattern, text, matches", [
    ("^[a-z]+$", "abc", True),
    ("^[a-z]+$", "abc\n", False),  # Python's $ alone would match before the newline
    ("^a[$]b$", "a$b", True),  # a $ inside a class is a character
    (r"^a\$$", "a$", True),  # an escaped $ too
    (r"^a\$$", "a$\n", False),
    ("^(x|y)$", "y\n", False),
])
def test_patterns_follow_ecma_262(pattern, text, matches):
    assert bool(re.search(ecma_pattern(pattern), text)) is matches


@pytest.mark.parametrize("old, new, where", [
    ("  name: storefront-edge\n", '  name: "storefront-edge\\n"\n', "metadata.name"),
    ("  environment: production\n", '  environment: "production\\n"\n', "metadata.environment"),
])
def test_a_trailing_newline_is_refused_at_the_field(old, new, where, run_shipgen, tmp_path, monkeypatch):
    # the Traffic Manager target writes the name into rollout.sh: it must never get there
    monkeypatch.delenv("SHIPGEN_DEBUG", raising=False)
    assert old in TRAFFIC_MANAGER
    spec = tmp_path / "specs" / "release.yaml"
    spec.parent.mkdir()
    spec.write_text(TRAFFIC_MANAGER.replace(old, new), encoding="utf-8")
    line = TRAFFIC_MANAGER[:TRAFFIC_MANAGER.index(old)].count("\n") + 1
    out = tmp_path / "out"
    result = run_shipgen("build", spec, "-o", out, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert f"specs/release.yaml:{line}:" in result.output and "error[SG003]" in result.output
    assert "does not match" in result.output
    assert not out.exists()  # nothing written


def test_when_the_validators_disagree_the_spec_is_invalid(write_spec, run_shipgen, monkeypatch):
    class SeesNothing:
        def iter_errors(self, data):
            return iter(())

    spec = write_spec(TRAFFIC_MANAGER.replace("  name: storefront-edge\n", '  name: "storefront-edge\\n"\n'))
    monkeypatch.setattr(validate_module, "_explaining_validator", lambda: SeesNothing())
    result = run_shipgen("validate", spec)
    assert result.exit_code == 2
    assert "error[SG003] schema: metadata.name:" in result.output
