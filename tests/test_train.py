"""The release train (issue 10 items 1 and 2): a build of several specs is ordered by `dependsOn`
into waves per environment, promoted environment by environment, and emitted as RELEASE-TRAIN.md,
a GitHub Actions workflow (checked by the oracle) and a GitLab CI pipeline (checked against the
GitLab CI schema check-jsonschema vendors). Fixture specs are written into temporary folders."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from click.testing import CliRunner

import oracle_support
import tools_support
from shipgen.cli import main
from shipgen.pipeline import check_specs
from shipgen.train.plan import plan_train
from shipgen.train.scripts import expression_safe
from shipgen.train.workflow import workflow

SERVICES = {  # name -> dependencies: six services, five waves
    "db-proxy": [],
    "catalog": [],
    "accounts": ["db-proxy"],
    "cart": ["accounts", "catalog"],
    "checkout": ["cart", "accounts"],
    "web": ["checkout", "catalog"],
}
WAVES = [["catalog", "db-proxy"], ["accounts"], ["cart"], ["checkout"], ["web"]]


def spec(name: str, environment: str, depends_on=(), image: str = "", extra: str = "", metadata: str = "") -> str:
    text = (f"apiVersion: shipgen.dev/v1alpha1\nkind: Release\n"
            f"metadata: {{name: {name}, namespace: shop, team: web, environment: {environment}{metadata}}}\n"
            f"service:\n  image: {image or f'registry.example.com/shop/{name}:1.0.0'}\n"
            "  ports: [{name: http, port: 8080}]\n  health: {readiness: /ready, liveness: /live}\n"
            "platform: {kind: kubernetes}\nstrategy: {type: rolling}\n"
            "rollback: {automatic: true, lastTested: \"2026-11-20\"}\n")
    if depends_on:
        text += "dependsOn:\n" + "".join(f"  - {dependency}\n" for dependency in depends_on)
    return text + extra


def write_specs(folder, specs: dict):
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, text in specs.items():
        path = folder / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def six_services(folder, production_extra: dict | None = None):
    specs = {}
    for environment in ("staging", "production"):
        for name, dependencies in SERVICES.items():
            specs[f"{environment}/{name}.yaml"] = spec(name, environment, dependencies)
    specs.update(production_extra or {})
    return write_specs(folder, specs)


def train_of(folder, monkeypatch):
    monkeypatch.chdir(folder)
    checked = check_specs(("specs",) if (folder / "specs").exists() else (".",))
    assert not [d for d in checked.diagnostics if d.severity == "error"], checked.diagnostics
    return plan_train(checked)


def build(folder, monkeypatch, *arguments):
    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, ["build", "specs", "-o", "out", *arguments])


def wave_names(train, stage: str) -> list:
    return [sorted(member.release.name for member in job.members) for job in train.waves if job.stage == stage]


def test_six_services_in_two_environments_get_the_right_waves_and_order(tmp_path, monkeypatch):
    six_services(tmp_path / "specs")
    train = train_of(tmp_path, monkeypatch)
    assert not [d for d in train.diagnostics if d.severity == "error"]
    assert train.stages == ("staging", "production")
    assert wave_names(train, "staging") == WAVES
    assert wave_names(train, "production") == WAVES
    order = [job.id for job in train.jobs]
    assert order == [f"{stage}-wave-{n}" for stage in ("staging", "production") for n in range(1, 6)]
    # each job needs the one before it: production starts after the whole of staging
    assert [list(job.needs) for job in train.jobs] == [[]] + [[previous] for previous in order[:-1]]
    # every dependency is in an earlier wave of the same environment
    wave_of = {(m.release.metadata.environment, m.release.name): m.wave for m in train.members}
    for (environment, name), wave in wave_of.items():
        for dependency in SERVICES[name]:
            assert wave_of[(environment, dependency)] < wave
    # the timeline: jobs back to back, a wave as long as its slowest release, the total their sum
    for before, after in zip(train.jobs, train.jobs[1:]):
        assert after.start_s == before.end_s
    for job in train.waves:
        assert job.duration_s == max(member.healthy_s for member in job.members) > 0
    assert train.total_s == sum(job.duration_s for job in train.waves)
    assert [member.release.name for _, member in train.critical_path] == [
        max(job.members, key=lambda m: (m.healthy_s, m.release.source)).release.name for job in train.waves]


def test_the_workflow_follows_the_order_and_protects_production(tmp_path, monkeypatch):
    six_services(tmp_path / "specs")
    result = build(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((tmp_path / "out/.github/workflows/release-train.yaml").read_text())
    jobs = document["jobs"]
    assert list(jobs) == [f"{stage}-wave-{n}" for stage in ("staging", "production") for n in range(1, 6)] + [
        "rollback-production", "rollback-staging"]
    assert "needs" not in jobs["staging-wave-1"]
    assert jobs["production-wave-1"]["needs"] == ["staging-wave-5"]
    assert jobs["staging-wave-3"]["needs"] == ["staging-wave-2"]
    for job_id, job in jobs.items():
        if "production" in job_id:
            assert job["environment"] == {"name": "production"}
        else:
            assert "environment" not in job  # staging is not protected; no spec asks for an approval
    # each wave applies its release folders with the runbook's commands and waits for the verdict
    script = jobs["staging-wave-3"]["steps"][-1]["run"]
    assert 'cd "$RELEASES_DIR"/staging/cart' in script
    assert "kubectl apply --filename kubernetes/" in script
    assert "kubectl --namespace shop rollout status deployment/cart --timeout=" in script
    runbook = (tmp_path / "out/staging/cart/RUNBOOK.md").read_text()
    for line in script.splitlines():
        if line.startswith("kubectl"):
            assert line in runbook  # read from the runbook's procedure, never re-derived
    # the rollback jobs run on failure, in reverse order: production, then staging
    assert jobs["rollback-production"]["if"] == jobs["rollback-staging"]["if"] == "${{ failure() }}"
    assert jobs["rollback-production"]["needs"] == [f"production-wave-{n}" for n in range(1, 6)]
    assert jobs["rollback-staging"]["needs"] == [f"staging-wave-{n}" for n in range(1, 6)] + ["rollback-production"]
    folders = [re.sub(r"^(Abort|Roll back) ", "", step["name"])
               for job in ("rollback-production", "rollback-staging") for step in jobs[job]["steps"][1:]]
    assert folders[:2] == ["production/web", "production/web"]  # abort if its wave failed, else roll back
    assert set(folders[-4:]) == {"staging/catalog", "staging/db-proxy"}  # wave 1 of staging comes last
    waves = [next(n for n, names in enumerate(WAVES) if folder.split("/")[1] in names)
             + (0 if folder.startswith("staging/") else 10) for folder in folders]
    assert waves == sorted(waves, reverse=True)
    undo = next(step for step in jobs["rollback-production"]["steps"] if step["name"] == "Roll back production/web")
    assert "needs.production-wave-5.result == 'success'" in undo["if"]
    assert "kubectl --namespace shop rollout undo deployment/web" in undo["run"]
    train_md = (tmp_path / "out/RELEASE-TRAIN.md").read_text()
    assert "## Critical path" in train_md and "| `production-wave-5` |" in train_md


def test_a_cycle_is_reported_with_the_place_of_every_spec_involved(tmp_path, monkeypatch):
    specs = {"a.yaml": spec("a", "staging", ["b"]), "b.yaml": spec("b", "staging", ["c"]),
             "c.yaml": spec("c", "staging", ["a"]), "d.yaml": spec("d", "staging", ["a"])}
    write_specs(tmp_path / "specs", specs)
    result = build(tmp_path, monkeypatch)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()  # nothing written
    places = {}
    for name, dependency in (("a", "b"), ("b", "c"), ("c", "a")):
        lines = specs[f"{name}.yaml"].splitlines()
        line = lines.index(f"  - {dependency}") + 1
        places[name] = f"specs/{name}.yaml:{line}:5"
    errors = [line for line in result.output.splitlines() if "SG008" in line]
    assert len(errors) == 3
    for name, place in places.items():
        error = next(line for line in errors if line.startswith(place + ":"))
        assert "shop/a -> shop/b -> shop/c -> shop/a" in error
        for other in places.values():
            assert other in error  # each names every spec involved
    assert "specs/d.yaml" not in " ".join(errors)


def test_an_unknown_dependency_is_a_located_error(tmp_path, monkeypatch):
    write_specs(tmp_path / "specs", {"a.yaml": spec("a", "staging"), "b.yaml": spec("b", "staging", ["a", "paymnts"])})
    result = build(tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()
    line = spec("b", "staging", ["a", "paymnts"]).splitlines().index("  - paymnts") + 1
    assert f"specs/b.yaml:{line}:5: error[SG007] unknown-service: shop/b depends on shop/paymnts" in result.output


def test_a_single_spec_has_no_train(tmp_path, monkeypatch):
    write_specs(tmp_path / "specs", {"b.yaml": spec("b", "staging", ["elsewhere"])})
    result = build(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out/RELEASE-TRAIN.md").exists()
    assert not (tmp_path / "out/.github").exists()


def test_environments_are_promoted_in_the_default_order_with_synonyms(tmp_path, monkeypatch):
    write_specs(tmp_path / "specs", {
        "web-prod.yaml": spec("web", "prod"), "web-dev.yaml": spec("web", "dev"),
        "web-staging.yaml": spec("web", "stage"), "web-test.yaml": spec("web", "test")})
    train = train_of(tmp_path, monkeypatch)
    assert train.stages == ("development", "test", "staging", "production")
    assert [job.id for job in train.jobs] == ["development-wave-1", "test-wave-1", "staging-wave-1",
                                              "production-wave-1"]
    assert [job.members[0].release.metadata.environment for job in train.jobs] == ["dev", "test", "stage", "prod"]
    assert not train.diagnostics


def test_a_declared_promotion_order_wins_and_must_agree(tmp_path, monkeypatch):
    order = ", promotionOrder: [qa, canary-region, production]"
    write_specs(tmp_path / "specs", {
        "a-qa.yaml": spec("a", "qa", metadata=order), "a-canary.yaml": spec("a", "canary-region", metadata=order),
        "a-prod.yaml": spec("a", "production", metadata=order)})
    train = train_of(tmp_path, monkeypatch)
    assert train.stages == ("qa", "canary-region", "production")
    assert not train.diagnostics

    write_specs(tmp_path / "specs", {"a-prod.yaml": spec("a", "production", metadata=", promotionOrder: [production, qa]")})
    checked = check_specs(("specs",))
    errors = [d for d in plan_train(checked).diagnostics if d.code == "SG010"]
    assert len(errors) == 1 and errors[0].file == "specs/a-prod.yaml" and errors[0].line == 3
    assert errors[0].severity == "error"


def test_an_environment_outside_the_order_is_a_warning_and_goes_before_production(tmp_path, monkeypatch):
    write_specs(tmp_path / "specs", {"a-qa.yaml": spec("a", "qa"), "a-prod.yaml": spec("a", "production"),
                                     "a-staging.yaml": spec("a", "staging")})
    train = train_of(tmp_path, monkeypatch)
    assert train.stages == ("staging", "qa", "production")
    (warning,) = train.diagnostics
    assert (warning.code, warning.severity, warning.file) == ("SG011", "warning", "specs/a-qa.yaml")


def test_production_releases_nothing_earlier_verified_are_warned_about(tmp_path, monkeypatch):
    six_services(tmp_path / "specs", {
        "production/search.yaml": spec("search", "production"),
        "production/web.yaml": spec("web", "production", SERVICES["web"], image="registry.example.com/shop/web:2.0.0")})
    train = train_of(tmp_path, monkeypatch)
    warnings = {(d.file, d.code, d.spec_path[-1]): d.message for d in train.diagnostics}
    assert set(warnings) == {("specs/production/search.yaml", "SG009", "environment"),
                             ("specs/production/web.yaml", "SG009", "image")}
    assert "unverified promotion" in warnings[("specs/production/search.yaml", "SG009", "environment")]
    assert "staging runs registry.example.com/shop/web:1.0.0" in warnings[("specs/production/web.yaml", "SG009",
                                                                            "image")]
    assert ["search"] in [sorted(m.release.name for m in job.members) for job in train.waves] or \
        "search" in wave_names(train, "production")[0]


def test_the_trains_warnings_follow_the_lint_config_and_inline_ignores(tmp_path, monkeypatch):
    """SG009 and SG011 are findings like the policies': `disable`, `severity` and
    `# shipgen: ignore[...]` apply to them when the build lints."""
    six_services(tmp_path / "specs", {
        "production/search.yaml": spec("search", "production"),
        "production/ledger.yaml": "# shipgen: ignore-file[unverified-promotion] -- staged elsewhere\n"
                                  + spec("ledger", "production"),
        "qa/web.yaml": spec("web", "qa", SERVICES["web"])})
    shown = build(tmp_path, monkeypatch)
    assert shown.exit_code == 0, shown.output
    sg009 = [line for line in shown.output.splitlines() if "[SG009]" in line]
    assert [line.split(":")[0] for line in sg009] == ["specs/production/search.yaml"], sg009  # ledger's is ignored
    assert "warning[SG009] unverified-promotion" in sg009[0]
    assert "SG092" not in shown.output  # the ignore-file was used
    assert "warning[SG011] unordered-environment" in shown.output
    (tmp_path / ".shipgen.yaml").write_text("lint:\n  disable: [SG009]\n  severity: {unordered-environment: error}\n")
    configured = build(tmp_path, monkeypatch)
    assert "SG009" not in configured.output
    assert configured.exit_code == 1 and "error[SG011] unordered-environment" in configured.output, configured.output
    assert not (tmp_path / "out").exists() or configured.exit_code != 0


def test_a_service_released_twice_in_one_stage_is_warned_about(tmp_path, monkeypatch):
    """`prod` and `production` are one stage: two releases of shop/web there would roll out side by
    side, which is a warning on each spec (SG012), naming both."""
    six_services(tmp_path / "specs", {"prod/web.yaml": spec("web", "prod", SERVICES["web"])})
    train = train_of(tmp_path, monkeypatch)
    twice = [d for d in train.diagnostics if d.code == "SG012"]
    assert sorted(d.file for d in twice) == ["specs/prod/web.yaml", "specs/production/web.yaml"]
    assert all(d.severity == "warning" and d.spec_path == ("metadata", "name") and d.line == 3 for d in twice)
    assert "shop/web has 2 releases in production" in twice[0].message
    assert "specs/prod/web.yaml (prod)" in twice[0].message and "specs/production/web.yaml (production)" in twice[0].message


def test_an_approval_job_only_where_a_spec_asks_for_one(tmp_path, monkeypatch):
    approval = ("strategy: {type: canary, steps: [10, 50], interval: 1m, "
                "approval: {before: promotion, timeout: 30m, onTimeout: rollback}}\n")
    canary = spec("cart", "production", SERVICES["cart"]).replace("platform: {kind: kubernetes}\nstrategy: {type: rolling}\n",
                                                                  "platform: {kind: kubernetes, controller: argo-rollouts}\n"
                                                                  + approval)
    six_services(tmp_path / "specs", {"production/cart.yaml": canary})
    train = train_of(tmp_path, monkeypatch)
    document = workflow(train)
    approvals = [job_id for job_id in document["jobs"] if job_id.startswith("approve-")]
    assert approvals == ["approve-production-wave-3"]
    assert document["jobs"]["approve-production-wave-3"]["environment"] == {"name": "production-approval"}
    assert document["jobs"]["approve-production-wave-3"]["needs"] == ["production-wave-2"]
    assert document["jobs"]["production-wave-3"]["needs"] == ["approve-production-wave-3"]
    script = document["jobs"]["production-wave-3"]["steps"][-1]["run"]
    assert "kubectl argo rollouts status cart -n shop --timeout" in script
    undo = document["jobs"]["rollback-production"]["steps"]
    abort = next(step for step in undo if step["name"] == "Abort production/cart")
    assert "kubectl argo rollouts abort cart -n shop" in abort["run"]


MIGRATION_SPEC = ("database:\n  migrations: {{path: db-{name}, tool: flyway, dialect: postgres, phase: {phase}}}\n")


def test_expand_migrations_run_before_the_services_that_need_them_and_contract_after_the_environment(
        tmp_path, monkeypatch):
    extra = {}
    for environment in ("staging", "production"):
        extra[f"{environment}/accounts.yaml"] = spec("accounts", environment, SERVICES["accounts"],
                                                     extra=MIGRATION_SPEC.format(name="accounts",
                                                                                 phase="before-rollout"))
        extra[f"{environment}/web.yaml"] = spec("web", environment, SERVICES["web"],
                                                extra=MIGRATION_SPEC.format(name="web", phase="after-rollout"))
        extra[f"{environment}/db-accounts/V2__add_email.sql"] = "ALTER TABLE account ADD COLUMN email text;\n"
        extra[f"{environment}/db-web/V3__drop_legacy.sql"] = "ALTER TABLE page DROP COLUMN legacy;\n"
    six_services(tmp_path / "specs", extra)
    train = train_of(tmp_path, monkeypatch)
    order = [job.id for job in train.jobs]
    assert order == [f"staging-wave-{n}" for n in range(1, 6)] + ["staging-contract"] + [
        f"production-wave-{n}" for n in range(1, 6)] + ["production-contract"]
    document = workflow(train)
    steps = document["jobs"]["staging-wave-2"]["steps"]
    assert [step["name"] for step in steps] == ["Check out", "Expand migrations of staging/accounts",
                                                "Roll out accounts and wait for the verdicts"]
    assert "flyway -locations=filesystem:specs/staging/db-accounts migrate" in steps[1]["run"]
    contract = document["jobs"]["staging-contract"]
    assert contract["needs"] == ["staging-wave-5"]
    assert document["jobs"]["production-wave-1"]["needs"] == ["staging-contract"]
    assert "filesystem:specs/staging/db-web" in contract["steps"][1]["run"]
    from shipgen.train.report import view

    kinds = {m["folder"]: m["migration"]["kind"] for job in view(train)["jobs"] if job["kind"] == "wave"
             for m in job["members"] if m["migration"]}
    assert kinds == {"staging/accounts": "expand", "production/accounts": "expand",
                     "staging/web": "contract", "production/web": "contract"}


def test_workflow_expressions_cannot_be_injected():
    assert expression_safe("echo ${{ secrets.TOKEN }}") == "echo ${{ '${{' }} secrets.TOKEN }}"
    assert expression_safe("echo $HOME") == "echo $HOME"


def test_no_run_script_opens_an_expression_and_every_script_passes_shellcheck(tmp_path, monkeypatch):
    shellcheck = tools_support.tool("shellcheck")
    six_services(tmp_path / "specs")
    assert build(tmp_path, monkeypatch).exit_code == 0
    out = tmp_path / "out"
    document = yaml.safe_load((out / ".github/workflows/release-train.yaml").read_text())
    gitlab = yaml.safe_load((out / ".gitlab-ci.yml").read_text())
    scripts = [step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step]
    scripts += ["\n".join(job["script"]) for name, job in gitlab.items() if isinstance(job, dict) and "script" in job]
    for index, script in enumerate(scripts):
        assert "${{" not in script
        path = tmp_path / f"script-{index}.sh"
        path.write_text("#!/bin/bash\n" + script, encoding="utf-8")
        result = subprocess.run([shellcheck, "--shell=bash", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


@pytest.mark.skipif(oracle_support.SKIP, reason=oracle_support.SKIP_REASON)
def test_the_workflow_passes_the_oracle_and_the_gitlab_pipeline_its_schema(tmp_path, monkeypatch):
    six_services(tmp_path / "specs")
    assert build(tmp_path, monkeypatch).exit_code == 0
    workflow_file = tmp_path / "out/.github/workflows/release-train.yaml"
    result = subprocess.run([str(oracle_support.ORACLE), str(workflow_file)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and "PASS" in result.stdout, result.stdout + result.stderr
    check = oracle_support.ORACLE_VENV / "bin/check-jsonschema"
    result = subprocess.run([str(check), "--builtin-schema", "vendor.gitlab-ci", str(tmp_path / "out/.gitlab-ci.yml")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plan_shows_the_whole_trains_timeline(tmp_path, monkeypatch):
    six_services(tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["plan", "specs"])
    assert result.exit_code == 0, result.output
    train = plan_train(check_specs(("specs",)))
    from shipgen.durations import human

    assert f"release train: 12 releases, 10 waves in staging, production; healthy, approvals given at once: " \
           f"{human(train.total_s)}" in result.output
    assert "critical path: " in result.output
    assert result.output.count(" wave ") >= 10


from collections import namedtuple

from hypothesis import given, settings
from hypothesis import strategies as st

FakeRelease = namedtuple("FakeRelease", "source namespace name depends_on")
FakeDependency = namedtuple("FakeDependency", "namespace name")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))))
def test_waves_put_every_release_one_after_its_latest_dependency(graph):
    from shipgen.train.graph import waves

    count, pairs = graph
    edges = {(a, b) for a, b in pairs if a > b}  # a depends on b: always on a lower number, so no cycle
    releases = [FakeRelease(f"s{i}.yaml", "ns", f"svc-{i}",
                            tuple(FakeDependency("ns", f"svc-{b}") for a, b in sorted(edges) if a == i))
                for i in range(count)]
    wave_of = waves({"staging": releases})
    for i in range(count):
        dependencies = [wave_of[f"s{b}.yaml"] for a, b in edges if a == i]
        assert wave_of[f"s{i}.yaml"] == 1 + max(dependencies, default=0)


def test_a_spec_value_that_looks_like_an_expression_reaches_the_shell_unevaluated(tmp_path, monkeypatch):
    folder = "db-${{ secrets.GITHUB_TOKEN }}"  # a legal folder name, and a workflow expression
    extra = {"staging/accounts.yaml": spec("accounts", "staging", SERVICES["accounts"],
                                           extra=MIGRATION_SPEC.format(name="${{ secrets.GITHUB_TOKEN }}",
                                                                       phase="before-rollout").replace(
                                               "path: db-${{ secrets.GITHUB_TOKEN }}", f"path: '{folder}'")),
             f"staging/{folder}/V1__add.sql": "ALTER TABLE account ADD COLUMN email text;\n"}
    six_services(tmp_path / "specs", extra)
    result = build(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out/.github/workflows/release-train.yaml").read_text()
    document = yaml.safe_load(text)
    run = next(step["run"] for step in document["jobs"]["staging-wave-2"]["steps"]
               if step["name"].startswith("Expand migrations"))
    # GitHub evaluates `${{ '${{' }}` to `${{`: the shell then sees the spec's folder name, quoted
    evaluated = run.replace("${{ '${{' }}", "${{")
    assert "'-locations=filesystem:specs/staging/db-${{ secrets.GITHUB_TOKEN }}'" in evaluated
    assert re.sub(r"\$\{\{ '\$\{\{' \}\}", "", text).count("${{") == text.count("${{ failure() }}") + text.count(
        "${{ !cancelled() && needs.")  # every other `${{` is one shipgen wrote itself


def _every_target_spec():
    from conftest import ROOT

    return sorted([*(ROOT / "examples").rglob("*.yaml"), *(ROOT / "tests" / "fixtures" / "hostile").glob("*.yaml")])


@pytest.mark.parametrize("path", _every_target_spec(), ids=lambda path: path.stem)
def test_every_delivery_target_tells_the_train_what_to_run(path):
    """Each target's procedure marks the command that applies the release and what undoes it, so
    no train job is left without commands (the workflow never re-derives them)."""
    from shipgen.facts import compute_facts
    from shipgen.targets import delivery_target

    checked = check_specs((str(path),))
    if not checked.releases:
        pytest.skip("not a release spec on its own")
    release = checked.releases[0]
    procedure = delivery_target(release).procedure(release, compute_facts(release))
    assert procedure.commands("apply"), procedure
    if not release.platform.kind.startswith("aws-"):
        # (CodeDeploy rolls a failed deployment back itself; undoing one that succeeded needs its
        # deployment id, known only at run time: the train's rollback job points at the runbook.)
        assert procedure.commands("rollback") or procedure.commands("abort"), procedure
