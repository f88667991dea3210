"""Hostile and broken input: each case is one located error line, exit 2, nothing written."""

from __future__ import annotations

import re

import pytest

from conftest import MINIMAL_SPEC

HEADER = "apiVersion: shipgen.dev/v1alpha1\nkind: Release\n"


def _alias_bomb() -> bytes:
    lines = [HEADER, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]\n")
    return "".join(lines).encode()


CASES = {
    # name: (file bytes, expected "line:col", a fragment of the message, or alternatives)
    "malformed-yaml": (HEADER.encode() + b"metadata: {name: web, team: [x\nservice: 1\n", "4:8", "flow sequence"),
    "tabs": (HEADER.encode() + b"metadata:\n\tname: web\n", "4:1", "tabs are not allowed"),
    "duplicate-key": (HEADER.encode() + b"metadata: {name: a, team: b}\nmetadata: {name: c, team: d}\n", "4:1",
                      "duplicate key 'metadata' (first defined at line 3)"),
    "alias-bomb": (_alias_bomb(), r"\d+:\d+", "expands to more than"),
    "deep-nesting": (HEADER.encode() + b"metadata: " + b"[" * 3000 + b"]" * 3000 + b"\n", r"3:\d+", "nesting deeper"),
    "deep-nesting-extreme": (HEADER.encode() + b"metadata: " + b"[" * 200_000 + b"]" * 200_000 + b"\n", r"3:\d+",
                             "nesting deeper"),  # would overflow a recursive composer's C stack
    "deep-nesting-moderate": (HEADER.encode() + b"metadata: " + b"[" * 100 + b"]" * 100 + b"\n", r"3:\d+",
                              "nesting deeper"),
    "invalid-utf8": (HEADER.encode() + b"metadata: {name: caf\xe9, team: x}\n", "3:21", "invalid UTF-8"),
    "nul-byte": (HEADER.encode() + b"metadata: {name: web\x00, team: x}\n", "3:21", "NUL byte"),
    "python-tag": (HEADER.encode() + b"metadata: !!python/object/apply:os.system ['echo pwned']\n", "3:11",
                   "YAML tag '!!python/object/apply:os.system' is not allowed"),
    "local-tag": (HEADER.encode() + b"metadata: {name: !Ref Name, team: x}\n", "3:18", "YAML tag '!Ref'"),
    "wrong-type": (MINIMAL_SPEC.replace("image: registry.example.com/web:1.0.0",
                                        "image: registry.example.com/web:1.0.0\n  replicas: three").encode(),
                   "6:13", "service.replicas must be an integer, not string 'three'"),
    "unknown-field": (MINIMAL_SPEC.replace("metadata: {name: web,", "metadata: {nmae: web, name: web,").encode(),
                      "3:12", "unknown field 'nmae' in metadata; did you mean 'name'?"),
    "unknown-api-version": (MINIMAL_SPEC.replace("shipgen.dev/v1alpha1", "shipgen.dev/v9").encode(), "1:13",
                            "unknown apiVersion 'shipgen.dev/v9'"),
    "unknown-kind": (MINIMAL_SPEC.replace("kind: Release", "kind: Deployment").encode(), "2:7",
                     "unknown kind 'Deployment'"),
    "empty-file": (b"", "1:1", "the file is empty"),
    "only-comments": (b"# kind: Release\n", "1:1", "the file is empty"),
    "a-list": (b"- kind: Release\n", "1:1", "the file is a YAML list"),
    "two-documents": (MINIMAL_SPEC.encode() + b"---\n" + MINIMAL_SPEC.encode(), "9:1", "more than one YAML document"),
    "escaping-name": (MINIMAL_SPEC.replace("name: web,", "name: ../../../etc/cron.d,").encode(), "3:18",
                      "metadata.name: '../../../etc/cron.d' does not match"),
    "lone-surrogate": (MINIMAL_SPEC.replace("team: web-team", 'team: web-team, description: "\\ud800"').encode(),
                       r"3:5[25]", ("lone UTF-16 surrogate", "invalid Unicode character escape code")),
    "control-character": (MINIMAL_SPEC.replace("team: web-team", "team: web-team, description: a\x7fb").encode(),
                          "3:53", "character U+007F is not allowed"),
    "infinite-number": (MINIMAL_SPEC.replace("ports: [{port: 8080}]", "ports: [{port: .inf}]").encode(), "6:18",
                        "not a finite number"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_gives_one_located_error_and_writes_nothing(case, tmp_path, run_shipgen):
    content, where, fragment = CASES[case]
    spec = tmp_path / "release.yaml"
    spec.write_bytes(content)
    out = tmp_path / "out"
    result = run_shipgen("build", spec, "-o", out, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line != "build failed: nothing written"]
    assert len(lines) == 1, result.output
    assert re.fullmatch(rf"release\.yaml:{where}: error\[SG00\d\] [a-z-]+: .*", lines[0]), lines[0]
    fragments = fragment if isinstance(fragment, tuple) else (fragment,)  # libyaml or ruamel's own parser
    assert any(text in lines[0] for text in fragments), lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_failed_build_leaves_the_previous_output_untouched(tmp_path, run_shipgen, write_spec):
    spec = write_spec(MINIMAL_SPEC)
    out = tmp_path / "out"
    assert run_shipgen("build", spec, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    spec.write_text(MINIMAL_SPEC.replace("replicas", "x") + "oops: [\n")
    assert run_shipgen("build", spec, "-o", out).exit_code == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_missing_path_is_a_usage_error(tmp_path, run_shipgen):
    result = run_shipgen("build", tmp_path / "nowhere.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "nowhere.yaml: error[SG005] missing-path: no such file or directory" in result.output
    assert not (tmp_path / "out").exists()


def test_directory_without_specs_is_an_error(tmp_path, run_shipgen):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "other.yaml").write_text("kind: ConfigMap\n")
    result = run_shipgen("validate", tmp_path / "specs")
    assert result.exit_code == 2
    assert "error[SG005] no-specs: no release specs found" in result.output


def test_all_errors_of_a_spec_are_reported_at_once(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC.replace("name: web,", "name: Web, colour: blue,")
                      .replace("ports: [{port: 8080}]", "ports: [{port: 99999, protocol: smtp}]"))
    result = run_shipgen("validate", spec)
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 4, result.output
    assert "unknown field 'colour'" in result.output
    assert "'Web' does not match" in result.output
    assert "99999 is greater than the maximum of 65535" in result.output
    assert "'smtp' is not one of http, http2, grpc, tcp, udp" in result.output


def test_a_missing_required_field_points_at_the_mapping_that_lacks_it(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC.replace("metadata: {name: web, team: web-team}", "metadata:\n  name: web"))
    result = run_shipgen("validate", spec)
    assert result.exit_code == 2
    assert "release.yaml:3:1: error[SG003] schema: metadata is missing the required field 'team'" in result.output


def test_refuses_to_replace_a_directory_shipgen_did_not_write(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = run_shipgen("build", spec, "-o", precious)
    assert result.exit_code == 2
    assert "refusing to replace" in result.output
    assert (precious / "notes.txt").read_text() == "keep me"


def test_yaml_12_that_libyaml_refuses_still_loads(write_spec, run_shipgen):
    """libyaml (YAML 1.1) refuses `?` inside a flow scalar; YAML 1.2, which editors use, allows it."""
    spec = write_spec(MINIMAL_SPEC + "smoke:\n  - {name: quote, http: {path: /v1/quote?amount=100}}\n")
    result = run_shipgen("validate", spec)
    assert result.exit_code == 0, result.output


def test_paths_and_header_values_must_be_what_a_request_can_carry(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + 'smoke: [{name: home, http: {path: "/a b\\nc"}}]\n'
                      'platform: {controller: argo-rollouts, traffic: {provider: istio}}\n'
                      'strategy: {type: ab-test, match: [{header: {name: x-beta, exact: "on\\tx"}}]}\n')
    result = run_shipgen("validate", spec)
    assert result.exit_code == 2
    assert "smoke[0].http.path: '/a b\\nc' does not match" in result.output
    assert "strategy.match[0].header.exact: 'on\\tx' does not match" in result.output


def test_a_control_character_other_than_line_breaks_and_tabs_stops_at_load(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + 'platform: {controller: argo-rollouts, traffic: {provider: istio}}\n'
                      'strategy: {type: ab-test, match: [{header: {name: x-beta, exact: "on\\u0007"}}]}\n')
    result = run_shipgen("validate", spec)
    assert result.exit_code == 2
    line = MINIMAL_SPEC.count("\n") + 2
    assert result.output == (f"specs/release.yaml:{line}:66: error[SG001] invalid-encoding: the text holds the control "
                             "character U+0007; a release spec's values are text (line breaks and tabs only)\n")
