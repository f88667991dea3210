"""Output formats of `shipgen lint`: SARIF 2.1.0 valid against the official OASIS schema, stable
fingerprints, GitHub workflow commands (chosen automatically under GitHub Actions), JSON, text."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import MINIMAL_SPEC, ROOT

SARIF_SCHEMA = ROOT.parent / "shared" / "reference" / "schemas" / "sarif" / "sarif-schema-2.1.0.json"
SPEC = MINIMAL_SPEC + "strategy: {type: recreate}\ndatabase:\n  migrations: {path: db}\n"
MIGRATION = "-- widen\nALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);\n"


@pytest.fixture
def spec(tmp_path, write_spec):
    path = write_spec(SPEC)
    (path.parent / "db").mkdir()
    (path.parent / "db" / "V2__total.sql").write_text(MIGRATION)
    return path


def _sarif_validator():
    if not SARIF_SCHEMA.is_file():
        pytest.skip("the SARIF schema under ../shared/reference is not available")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def test_sarif_validates_against_the_official_schema(spec, run_shipgen):
    result = run_shipgen("lint", spec, "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda error: list(error.path))
    assert errors == [], [f"{list(error.path)}: {error.message}" for error in errors]
    run = log["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "SG201" in rule_ids and "SG403" in rule_ids
    by_rule = {result["ruleId"]: result for result in run["results"]}
    big_bang = by_rule["SG201"]
    assert big_bang["level"] == "error"
    assert big_bang["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "specs/release.yaml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 8, "startColumn": 18, "endLine": 8, "endColumn": 26}}
    migration = by_rule["SG403"]["locations"][0]["physicalLocation"]
    assert migration["artifactLocation"]["uri"] == "specs/db/V2__total.sql"
    assert migration["region"]["startLine"] == 2
    assert run["tool"]["driver"]["rules"][by_rule["SG201"]["ruleIndex"]]["id"] == "SG201"
    rule = run["tool"]["driver"]["rules"][rule_ids.index("SG201")]
    assert rule["name"] == "big-bang-rollout" and "Why it matters" in rule["help"]["markdown"]


def test_sarif_of_a_clean_run_is_valid_too(write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + "smoke: [{name: home, http: {path: /}}]\nnotify: {slack: '#web'}\n"
                      "rollback: {testStep: drill}\n")
    log = json.loads(run_shipgen("lint", spec, "--format", "sarif").stdout)
    assert list(_sarif_validator().iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


def test_fingerprints_survive_unrelated_edits(spec, run_shipgen):
    def fingerprints():
        log = json.loads(run_shipgen("lint", spec, "--format", "sarif").stdout)
        return {(r["ruleId"], r["partialFingerprints"]["shipgenFindingHash/v1"]) for r in log["runs"][0]["results"]}

    before = fingerprints()
    spec.write_text("# a comment that moves every line down\n\n" + spec.read_text())
    assert fingerprints() == before


def test_github_format_and_its_automatic_choice(spec, run_shipgen, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run_shipgen("lint", spec)
    lines = result.stdout.splitlines()
    big_bang = next(line for line in lines if "SG201" in line)
    assert big_bang.startswith("::error file=specs/release.yaml,line=8,col=18,endLine=8,endColumn=26,"
                               "title=SG201 big-bang-rollout::strategy recreate stops every instance")
    assert any(line.startswith("::warning file=specs/release.yaml,") for line in lines)
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert run_shipgen("lint", spec).stdout.startswith("specs/")


def test_github_format_escapes_data_and_properties():
    from shipgen.diagnostics import Diagnostic
    from shipgen.formats import render_github

    finding = Diagnostic("SG1", "x", "100% broken\nsecond line", "a,b:c.yaml", 1, 2, "warning")
    assert render_github([finding]) == "::warning file=a%2Cb%3Ac.yaml,line=1,col=2,title=SG1 x::100%25 broken%0Asecond line\n"


def test_json_format(spec, run_shipgen):
    document = json.loads(run_shipgen("lint", spec, "--format", "json").stdout)
    (big_bang,) = [f for f in document["findings"] if f["code"] == "SG201"]
    assert {k: big_bang[k] for k in ("name", "severity", "file", "line", "col", "spec_path")} == {
        "name": "big-bang-rollout", "severity": "error", "file": "specs/release.yaml", "line": 8, "col": 18,
        "spec_path": "strategy.type"}
    assert document["summary"]["error"] == sum(1 for f in document["findings"] if f["severity"] == "error")


def test_text_format_one_line_per_finding(spec, run_shipgen):
    result = run_shipgen("lint", spec)
    assert "specs/release.yaml:8:18: error[SG201] big-bang-rollout: strategy recreate stops" in result.stdout
    assert "specs/db/V2__total.sql:2:1: error[SG402] breaking-migration-during-rollout: change-column-type" \
        not in result.stdout  # recreate: the old version is gone before the new one starts
    assert "specs/db/V2__total.sql:2:1: error[SG403] locking-migration: change-column-type on orders.total" \
        in result.stdout
    assert result.exit_code == 1


def test_output_is_deterministic(spec, run_shipgen):
    assert run_shipgen("lint", spec, "--format", "sarif").stdout == run_shipgen("lint", spec, "--format", "sarif").stdout
