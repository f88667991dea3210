"""`shipgen diff` on a real git history (issue 9): a repository in a temporary folder gets one
commit per kind of change, and each is reported in Markdown and JSON with the right class;
a reformatting alone is "no behavioural change"; `--fail-on risk-increase` blocks only the risky
commits; bad refs and broken specs are clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import ROOT
import oracle_support

CANARY = (ROOT / "examples" / "argo-canary-istio.yaml").read_text(encoding="utf-8")


def git(repo, *arguments):
    subprocess.run(["git", *arguments], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin",
                        "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo), "GIT_AUTHOR_DATE": "2026-12-01T12:00:00Z",
                        "GIT_COMMITTER_DATE": "2026-12-01T12:00:00Z"})  # fixed dates: the same commit ids each run


def commit(repo, message: str, **files):
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "examples" / "orders", repo / "deploy" / "orders")
    # this repository holds orders and billing only: a dependency on a service outside it would be
    # an unknown service to the release train (SG007), so the copy depends on nothing
    spec = repo / "deploy" / "orders" / "release.yaml"
    spec.write_text(edited(spec.read_text(encoding="utf-8"),
                           "dependsOn:\n  - checkout\n  - {name: inventory, namespace: warehouse}\n", ""),
                    encoding="utf-8")
    commit(repo, "start", **{"deploy/billing.yaml": CANARY})
    return repo


def diff(run_shipgen, repo, *arguments):
    result = run_shipgen("diff", "--base", "HEAD~1", "--head", "HEAD", *arguments, "deploy", cwd=repo)
    return result


def changes_of(run_shipgen, repo) -> tuple:
    """(json document, markdown text, exit code with --fail-on risk-increase)."""
    document = json.loads(diff(run_shipgen, repo, "--format", "json").output)
    markdown = diff(run_shipgen, repo, "--format", "markdown").output
    code = diff(run_shipgen, repo, "--fail-on", "risk-increase").exit_code
    return document, markdown, code


def behaviour(document, release="production/billing-api") -> list:
    entry = next(entry for entry in document["releases"] if entry["release"] == release)
    return [(change["class"], change["text"]) for change in entry["behaviour"]]


def test_each_change_is_reported_with_its_class(repo, run_shipgen):
    # 1. a step removed from the canary: the 25% step is skipped
    commit(repo, "skip 25%", **{"deploy/billing.yaml": edited(CANARY, "steps: [5, 25, {weight: 50, pause: 5m}]",
                                                              "steps: [5, {weight: 50, pause: 5m}]")})
    document, markdown, code = changes_of(run_shipgen, repo)
    assert ("risk-increase", "traffic steps: 5% → 25% → 50% became 5% → 50% (skips 25%)") in behaviour(document)
    assert "skips 25%" in markdown and code == 1
    assert any(change[1].startswith("healthy rollout: fully rolled out after 7 min 45 s → ")
               for change in behaviour(document))
    rollout = next(resource for entry in document["releases"] for resource in entry["resources"]
                   if resource["resource"] == "Rollout billing/billing-api")
    assert any(field["path"].startswith("spec.strategy.canary.steps[") for field in rollout["fields"])

    # 2. a gate loosened: error rate 1% -> 5%
    text = edited(CANARY, "steps: [5, 25, {weight: 50, pause: 5m}]", "steps: [5, {weight: 50, pause: 5m}]")
    loosened = edited(text, "{name: error-rate, metric: error-rate, max: 0.01, window: 1m}",
                      "{name: error-rate, metric: error-rate, max: 0.05, window: 1m}")
    commit(repo, "loosen", **{"deploy/billing.yaml": loosened})
    document, markdown, code = changes_of(run_shipgen, repo)
    assert ("risk-increase", "gate error-rate: max 0.01 → 0.05 (looser)") in behaviour(document)
    assert "max 0.01 → 0.05 (looser)" in markdown and code == 1
    assert any(field["path"].endswith("successCondition") or "0.05" in json.dumps(field["new"])
               for entry in document["releases"] for resource in entry["resources"] for field in resource["fields"])

    # 3. a rollback trigger removed
    untriggered = edited(loosened, "rollback: {automatic: true, maxFailedChecks: 2,",
                         "rollback: {automatic: true, maxFailedChecks: 2, on: [error-rate],")
    commit(repo, "no latency trigger", **{"deploy/billing.yaml": untriggered})
    document, markdown, code = changes_of(run_shipgen, repo)
    assert ("risk-increase", "rollback no longer triggers on latency-p99") in behaviour(document)
    assert "rollback no longer triggers on latency-p99" in markdown and code == 1

    # 4. an unrelated reformatting: comments, flow style to block style, key order
    reformatted = edited(untriggered, "rollback: {automatic: true, maxFailedChecks: 2, on: [error-rate],",
                         "# reformatted\nrollback:\n  on: [error-rate]\n  maxFailedChecks: 2\n  automatic: true\n  "
                         "lastTested: \"2026-11-20\"\nX_REST:")
    reformatted = reformatted.replace('X_REST: lastTested: "2026-11-20"}', "")
    commit(repo, "reformat", **{"deploy/billing.yaml": reformatted})
    document, markdown, code = changes_of(run_shipgen, repo)
    assert document["behavioural_change"] is False
    assert "**No behavioural change**" in markdown and code == 0
    assert all(entry["status"] == "unchanged" for entry in document["releases"])

    # 5. a release renamed
    commit(repo, "rename", **{"deploy/billing.yaml": edited(reformatted, "name: billing-api\n", "name: invoicing-api\n")})
    document, markdown, code = changes_of(run_shipgen, repo)
    entry = next(entry for entry in document["releases"] if entry["status"] == "renamed")
    assert (entry["previous"], entry["release"]) == ("production/billing-api", "production/invoicing-api")
    assert "renamed from production/billing-api to production/invoicing-api" in markdown and code == 0

    # 6. a migration added
    commit(repo, "migration", **{"deploy/orders/db/migrations/V3__add_note.sql":
                                 "ALTER TABLE orders ADD COLUMN note text;\n"})
    document, markdown, code = changes_of(run_shipgen, repo)
    assert ("change", "migration deploy/orders/db/migrations/V3__add_note.sql added (runs before-rollout)") in \
        behaviour(document, "staging/orders")
    assert "V3\\_\\_add\\_note.sql added" in markdown and code == 0


def test_the_default_base_is_the_merge_base_and_the_head_the_working_tree(repo, run_shipgen):
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "tighten", **{"deploy/billing.yaml": edited(CANARY, "max: 0.01, window: 1m", "max: 0.005, window: 1m")})
    (repo / "deploy" / "billing.yaml").write_text(edited(CANARY, "max: 0.01, window: 1m", "max: 0.002, window: 1m"))
    result = run_shipgen("diff", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["base"].startswith("merge-base(main)") and document["head"] == "working tree"
    assert ("risk-decrease", "gate error-rate: max 0.01 → 0.002 (tighter)") in behaviour(document)
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout.strip() \
        == "M deploy/billing.yaml"  # the working tree is as it was


def test_bad_refs_and_broken_specs_are_clear_errors(repo, run_shipgen, monkeypatch):
    monkeypatch.delenv("SHIPGEN_DEBUG")
    result = run_shipgen("diff", "--base", "no-such-branch", "deploy", cwd=repo)
    assert result.exit_code == 2 and "no-such-branch: no such commit, branch or tag" in result.output
    commit(repo, "broken", **{"deploy/billing.yaml": edited(CANARY, "replicas: 4", "replicas: four")})
    result = run_shipgen("diff", "--base", "HEAD~1", "--head", "HEAD", "deploy", cwd=repo)
    assert result.exit_code == 2
    assert "the specs at HEAD" in result.output and "deploy/billing.yaml:" in result.output
    assert "Traceback" not in result.output


def test_a_folder_outside_git_is_a_clear_error(tmp_path, run_shipgen, monkeypatch):
    monkeypatch.delenv("SHIPGEN_DEBUG")
    result = run_shipgen("diff", cwd=tmp_path)
    assert result.exit_code == 2 and "not in a git repository" in result.output


def test_a_shallow_clone_without_the_base_says_how_to_fetch_it(repo, tmp_path, run_shipgen, monkeypatch):
    monkeypatch.delenv("SHIPGEN_DEBUG")
    commit(repo, "second", **{"deploy/billing.yaml": edited(CANARY, "max: 0.01, window: 1m", "max: 0.02, window: 1m")})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    result = run_shipgen("diff", "--base", "HEAD~1", "deploy", cwd=clone)
    assert result.exit_code == 2 and "shallow" in result.output and "fetch-depth: 0" in result.output


def loosened_and_skipped() -> str:
    text = edited(CANARY, "steps: [5, 25, {weight: 50, pause: 5m}]", "steps: [5, {weight: 50, pause: 5m}]")
    return edited(text, "max: 0.01, window: 1m", "max: 0.05, window: 1m")


def test_a_sample_pull_request_comment(repo, run_shipgen, snapshot):
    commit(repo, "faster and looser", **{"deploy/billing.yaml": loosened_and_skipped()})
    assert diff(run_shipgen, repo, "--format", "markdown").output == snapshot


def test_the_comment_is_cut_to_the_github_limit(repo, run_shipgen, monkeypatch):
    from shipgen.diff import report

    for index in range(6):
        (repo / "deploy" / f"copy{index}.yaml").write_text(edited(CANARY, "name: billing-api\n",
                                                                  f"name: billing-{index}\n"))
    commit(repo, "six copies")
    commit(repo, "change them all", **{f"deploy/copy{index}.yaml": edited(loosened_and_skipped(), "name: billing-api\n",
                                                                           f"name: billing-{index}\n")
                                       for index in range(6)})
    full = diff(run_shipgen, repo, "--format", "markdown").output
    monkeypatch.setattr(report, "COMMENT_LIMIT", len(full) // 2)
    cut = diff(run_shipgen, repo, "--format", "markdown").output
    assert len(cut) <= len(full) // 2
    assert "**Cut:**" in cut and "more release(s) are left out" in cut
    assert cut.count("<details") < full.count("<details") == 6
    assert cut.count("| production/billing-") == 6  # the summary table keeps every release


def test_the_chart_shows_each_changed_plan_before_and_after(repo, run_shipgen, tmp_path):
    import xml.etree.ElementTree as ElementTree

    commit(repo, "faster and looser", **{"deploy/billing.yaml": loosened_and_skipped()})
    chart = tmp_path / "plans.svg"
    assert diff(run_shipgen, repo, "--chart", chart).exit_code == 0
    titles = [element.text for element in ElementTree.parse(chart).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert any(title.startswith("production/billing-api: before: Argo Rollouts") for title in titles)
    assert any(title.startswith("production/billing-api: after: Argo Rollouts") for title in titles)


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_the_pull_request_workflow_passes_the_oracle():
    result = oracle_support.oracle_check([ROOT / "examples" / "ci"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GitHubWorkflow" in result.stdout + result.stderr or " 0 failed" in result.stdout + result.stderr


def test_the_workflow_finds_the_comment_by_the_marker_shipgen_writes(repo, run_shipgen):
    workflow = (ROOT / "examples" / "ci" / "shipgen-diff.yml").read_text(encoding="utf-8")
    commit(repo, "tighter", **{"deploy/billing.yaml": edited(CANARY, "max: 0.01, window: 1m", "max: 0.005, window: 1m")})
    markdown = diff(run_shipgen, repo, "--format", "markdown").output
    marker = markdown.splitlines()[0]
    assert marker == "<!-- shipgen diff -->" and f"const marker = '{marker}';" in workflow
    assert "fetch-depth: 0" in workflow and "--fail-on risk-increase" in workflow
