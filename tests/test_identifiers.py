"""Issue 14 item 3: defence in depth behind the schema. Identifiers are checked once more after
normalize against a strict allow-list; a control character in any value stops the load; a spec
value in a script comment stays on its line."""

from __future__ import annotations

import pytest

from conftest import MINIMAL_SPEC
from shipgen.shell import comment


@pytest.mark.parametrize("namespace", ["a b", "db\\n", "x;touch y", "Upper"])
def test_an_identifier_the_schema_lets_through_is_refused_after_normalize(namespace, write_spec, run_shipgen):
    # dependsOn[].namespace has no schema pattern: only the identifier check stands in its way
    spec = write_spec(MINIMAL_SPEC + f'dependsOn: [{{name: db, namespace: "{namespace}"}}]\n')
    result = run_shipgen("build", spec, "-o", "out")
    assert result.exit_code == 2, result.output
    assert "specs/release.yaml:8:35:" in result.output
    assert "error[SG003] unsafe-identifier: dependsOn[0].namespace" in result.output


def test_a_plain_identifier_passes(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + "dependsOn: [{name: db, namespace: data-1}]\n")
    result = run_shipgen("validate", spec)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("escape, code", [("\\0", "0000"), ("\\e", "001B"), ("\\r", "000D"), ("\\x85", "0085")])
def test_a_control_character_in_a_value_is_a_located_error(escape, code, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}",
                                           f'metadata: {{name: web, team: web-team, description: "a{escape}b"}}'))
    result = run_shipgen("build", spec, "-o", "out")
    assert result.exit_code == 2, result.output
    assert "specs/release.yaml:3:" in result.output and f"U+{code}" in result.output


def test_a_description_with_line_breaks_and_tabs_stays_allowed(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}",
                                           'metadata: {name: web, team: web-team, description: "one\\n\\ttwo"}'))
    assert run_shipgen("validate", spec).exit_code == 0


@pytest.mark.parametrize("text, expected", [
    ("Roll out web", "# Roll out web"),
    ("web\ntouch x", "# web touch x"),
    ("a\r\x00b\u2028c", "# a b c"),
])
def test_a_comment_stays_on_one_line(text, expected):
    assert comment(text) == expected
