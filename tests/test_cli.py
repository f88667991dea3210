"""The command line contract: exit codes, --check, --version, --help."""

from __future__ import annotations

from conftest import MINIMAL_SPEC

import shipgen


def test_version(run_shipgen):
    result = run_shipgen("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"shipgen, version {shipgen.__version__}"


def test_help_shows_examples(run_shipgen):
    result = run_shipgen("--help")
    assert result.exit_code == 0
    assert "shipgen build examples/ -o golden/" in result.output
    assert "shipgen build examples/ -o golden/ --check" in run_shipgen("build", "--help").output


def test_check_passes_on_fresh_output_and_catches_a_hand_edit(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    out = tmp_path / "out"
    assert run_shipgen("build", spec, "-o", out).exit_code == 0
    assert run_shipgen("build", spec, "-o", out, "--check").exit_code == 0

    deployment = out / "production/web/kubernetes/deployment.yaml"
    deployment.write_text(deployment.read_text().replace("replicas: 2", "replicas: 5"))
    result = run_shipgen("build", spec, "-o", out, "--check")
    assert result.exit_code == 1
    assert "-  replicas: 5\n+  replicas: 2" in result.output
    assert "is out of date" in result.output


def test_check_reports_missing_and_extra_files(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    out = tmp_path / "out"
    run_shipgen("build", spec, "-o", out)
    (out / "production/web/kubernetes/service.yaml").unlink()
    (out / "production/web/stray.yaml").write_text("x: 1\n")
    result = run_shipgen("build", spec, "-o", out, "--check")
    assert result.exit_code == 1
    assert "missing: " in result.output and "service.yaml (a build would write it)" in result.output
    assert "extra: " in result.output and "stray.yaml (a build would remove it)" in result.output


def test_check_writes_nothing(tmp_path, write_spec, run_shipgen):
    spec = write_spec(MINIMAL_SPEC)
    result = run_shipgen("build", spec, "-o", tmp_path / "out", "--check")
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_a_rebuild_removes_files_of_a_deleted_spec(tmp_path, write_spec, run_shipgen):
    first = write_spec(MINIMAL_SPEC, "web.yaml")
    second = write_spec(MINIMAL_SPEC.replace("name: web,", "name: api,"), "api.yaml")
    out = tmp_path / "out"
    assert run_shipgen("build", first.parent, "-o", out).exit_code == 0
    assert (out / "production/api").is_dir()
    second.unlink()
    assert run_shipgen("build", first.parent, "-o", out).exit_code == 0
    assert not (out / "production/api").exists()


def test_the_same_release_twice_is_an_error(write_spec, run_shipgen):
    write_spec(MINIMAL_SPEC, "a.yaml")
    spec = write_spec(MINIMAL_SPEC, "b.yaml")
    result = run_shipgen("validate", spec.parent)
    assert result.exit_code == 2
    assert "b.yaml:3:18: error[SG006] duplicate-release: release 'web' in environment 'production' is also " \
           "defined in" in result.output


def test_usage_errors_exit_2(run_shipgen):
    assert run_shipgen("build", "examples").exit_code == 2  # -o is required
    assert run_shipgen("frobnicate").exit_code == 2


def test_validate_ok(write_spec, run_shipgen):
    result = run_shipgen("validate", write_spec(MINIMAL_SPEC))
    assert result.exit_code == 0
    assert "1 release spec(s) valid" in result.output
