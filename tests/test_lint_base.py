"""`shipgen lint --base REF`: migrations changed against a git base ship with the release; a
release that changes migrations without declaring a migration step is flagged (SG401), and
only the changed migrations are classified. Runs git in a temporary repository."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import MINIMAL_SPEC
import tools_support

pytestmark = pytest.mark.skipif(tools_support.absent("git"), reason="git is not installed")

DECLARED = MINIMAL_SPEC + "database:\n  migrations: {path: db/migrations}\n"


def _git(repo, *arguments):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *arguments], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "svc" / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "svc" / "db" / "migrations" / "V1__orders.sql").write_text(
        "ALTER TABLE orders DROP COLUMN legacy;\n")
    (tmp_path / "svc" / "release.yaml").write_text(MINIMAL_SPEC)
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def _findings(run_shipgen, *arguments):
    result = run_shipgen("lint", "svc/release.yaml", "--format", "json", *arguments)
    return result, json.loads(result.stdout)["findings"] if result.stdout.startswith("{") else []


def test_changed_migration_without_a_declared_step(repo, run_shipgen):
    (repo / "svc" / "db" / "migrations" / "V2__status.sql").write_text("ALTER TABLE orders ADD COLUMN status text;\n")
    result, findings = _findings(run_shipgen, "--base", "main")
    (finding,) = [f for f in findings if f["code"] == "SG401"]
    assert finding["message"] == ("migrations changed against main (svc/db/migrations/V2__status.sql), but the "
                                  "release declares no migration step (database.migrations)")
    assert (finding["file"], finding["line"], finding["col"]) == ("svc/release.yaml", 1, 1)
    assert result.exit_code == 1


def test_nothing_changed_nothing_flagged(repo, run_shipgen):
    _result, findings = _findings(run_shipgen, "--base", "main")
    assert not [f for f in findings if f["code"] == "SG401"]


def test_only_changed_migrations_are_classified(repo, run_shipgen):
    (repo / "svc" / "release.yaml").write_text(DECLARED)
    (repo / "svc" / "db" / "migrations" / "V2__index.sql").write_text("CREATE INDEX orders_idx ON orders (id);\n")
    _git(repo, "add", "svc/release.yaml")
    _git(repo, "commit", "-q", "-m", "declare")
    _result, without_base = _findings(run_shipgen)
    assert {f["code"] for f in without_base} >= {"SG402"}  # the old DROP COLUMN, when every file counts
    _result, with_base = _findings(run_shipgen, "--base", "HEAD")
    codes = {(f["code"], f["file"]) for f in with_base}
    assert ("SG402", "svc/db/migrations/V1__orders.sql") not in codes
    assert ("SG403", "svc/db/migrations/V2__index.sql") in codes  # the new, blocking index
    assert not [f for f in with_base if f["code"] == "SG401"]


def test_changes_outside_the_declared_folder(repo, run_shipgen):
    (repo / "svc" / "release.yaml").write_text(DECLARED)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "declare")
    (repo / "svc" / "sql").mkdir()
    (repo / "svc" / "sql" / "hotfix.sql").write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    _result, findings = _findings(run_shipgen, "--base", "HEAD")
    (finding,) = [f for f in findings if f["code"] == "SG401"]
    assert finding["message"] == ("migrations changed against HEAD outside database.migrations.path "
                                  "(db/migrations): svc/sql/hotfix.sql")
    assert (finding["line"], finding["col"]) == (9, 22)


def test_unknown_base_is_a_usage_error(repo, run_shipgen):
    result = run_shipgen("lint", "svc/release.yaml", "--base", "no-such-branch")
    assert result.exit_code == 2
    assert "--base no-such-branch: no such commit" in result.output


def test_base_outside_a_repository(tmp_path, write_spec, run_shipgen, monkeypatch):
    spec = write_spec(MINIMAL_SPEC)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = run_shipgen("lint", spec, "--base", "main")
    assert result.exit_code == 2
    assert "--base needs a git repository" in result.output
