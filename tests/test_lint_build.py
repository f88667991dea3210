"""`shipgen build` lints first: findings are printed, an error-severity finding makes the build
exit 1 and write nothing (not even with --check), a broken lint setup exits 2."""

from __future__ import annotations

from conftest import MINIMAL_SPEC


def test_error_finding_fails_the_build_and_writes_nothing(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + "strategy: {type: recreate}\n")
    out = tmp_path / "out"
    result = run_shipgen("build", spec, "-o", out)
    assert result.exit_code == 1
    assert "specs/release.yaml:8:18: error[SG201] big-bang-rollout:" in result.output
    assert "build failed: lint found errors" in result.output
    assert not out.exists()


def test_error_finding_leaves_previous_output_untouched(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    out = tmp_path / "out"
    assert run_shipgen("build", spec, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    spec.write_text(spec.read_text() + "strategy: {type: recreate}\n")
    assert run_shipgen("build", spec, "-o", out).exit_code == 1
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert run_shipgen("build", spec, "-o", out, "--check").exit_code == 1


def test_warnings_are_printed_and_the_build_goes_on(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)  # production, no smoke test, no notification route
    out = tmp_path / "out"
    result = run_shipgen("build", spec, "-o", out)
    assert result.exit_code == 0
    assert "warning[SG506] missing-smoke-test" in result.output
    assert (out / "production/web/kubernetes/deployment.yaml").is_file()


def test_suppressed_error_lets_the_build_through(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC + "strategy: {type: recreate}  # shipgen: ignore[SG201] -- batch job, downtime ok\n")
    assert run_shipgen("build", spec, "-o", tmp_path / "out").exit_code == 0


def test_broken_user_policy_fails_the_build_with_exit_2(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bad.rego").write_text("package main\ndeny contains x if {\n")
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  policy-dirs: [policies]\n")
    result = run_shipgen("build", spec, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "policies/bad.rego:" in result.output and "error[SG091] invalid-policy" in result.output
    assert not (tmp_path / "out").exists()


def test_pipeline_build_without_lint_settings_does_not_lint(write_spec):
    from shipgen.pipeline import build

    result = build([write_spec(MINIMAL_SPEC + "strategy: {type: recreate}\n")])
    assert result.lint is None and result.files


def test_build_prints_annotations_under_github_actions(tmp_path, write_spec, run_shipgen, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    spec = write_spec(MINIMAL_SPEC + "strategy: {type: recreate}\n")
    result = run_shipgen("build", spec, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "::error file=specs/release.yaml,line=8,col=18," in result.output
