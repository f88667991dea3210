"""The release train as a GitHub Actions workflow (`.github/workflows/release-train.yaml`), built
as data and serialized.

One job per wave and environment, each `needs:` the job before it (the train's run order); jobs
of a production stage run in the GitHub environment of that name (its protection rules apply:
required reviewers, branch rules, secrets); a wave with a release whose spec asks for an approval
(`strategy.approval`) is preceded by a job in the environment `<stage>-approval`, to be configured
with required reviewers. A wave job runs the stage's expand migrations (`phase: before-rollout`)
of its releases first, then rolls every release out side by side with the commands of its
runbook, waiting for each controller's verdict. The rollback jobs run when a job failed: in
reverse order, they abort the releases of the wave that failed and roll back those of the waves
that had succeeded; one rollback job per environment, the latest environment first, each in
that environment's GitHub environment when it is production. Manually started
(`workflow_dispatch`); `RELEASES_DIR` is where the build output lies in the repository.
"""

from __future__ import annotations

from .plan import APPROVAL, CONTRACT, WAVE
from .scripts import expression_safe, migration_script, undo_script, wave_script

RUNNER = "ubuntu-latest"
CHECKOUT = {"name": "Check out", "uses": "actions/checkout@v4"}


def workflow(train) -> dict:
    jobs = {}
    for job in train.jobs:
        jobs[job.id] = _job(train, job)
    previous = ()
    for stage in reversed(train.stages):
        waves = [job for job in train.jobs if job.kind in (WAVE, CONTRACT) and job.stage == stage]
        jobs[f"rollback-{stage}"] = _rollback(train, stage, waves, previous)
        previous = (f"rollback-{stage}",)
    return {
        "name": "release train",
        "on": {"workflow_dispatch": {}},
        "permissions": {"contents": "read"},
        "concurrency": {"group": "release-train", "cancel-in-progress": False},
        "env": {"RELEASES_DIR": "."},
        "jobs": jobs,
    }


def _job(train, job) -> dict:
    names = ", ".join(member.release.name for member in job.members)
    result = {"name": expression_safe(_title(job, names))}
    if job.needs:
        result["needs"] = list(job.needs)
    result["runs-on"] = RUNNER
    if job.kind == APPROVAL:
        result["environment"] = {"name": f"{job.stage}-approval"}
        asks = "; ".join(f"{m.release.output_dir}: approval before {m.release.strategy.approval.before}"
                         for m in job.members)
        result["steps"] = [{"name": "Approved", "run": expression_safe(
            "echo " + _quote(f"approved in environment {job.stage}-approval: {asks}") + "\n")}]
        return result
    if job.production:
        result["environment"] = {"name": job.stage}
    result["timeout-minutes"] = _timeout_minutes(job)
    steps = [dict(CHECKOUT)]
    if job.kind == CONTRACT:
        for member in job.members:
            steps.append({"name": expression_safe(f"Contract migrations of {member.release.output_dir}"),
                          "run": expression_safe(migration_script(member))})
    else:
        for member in job.members:
            migrations = member.release.database.migrations
            if migrations is not None and migrations.phase == "before-rollout":
                steps.append({"name": expression_safe(f"Expand migrations of {member.release.output_dir}"),
                              "run": expression_safe(migration_script(member))})
        steps.append({"name": expression_safe(f"Roll out {names} and wait for the verdicts"),
                      "run": expression_safe(wave_script(train, job.members))})
    result["steps"] = steps
    return result


def _title(job, names: str) -> str:
    if job.kind == APPROVAL:
        return f"approve {job.stage} wave {job.wave}"
    if job.kind == CONTRACT:
        return f"{job.stage} contract migrations: {names}"
    return f"{job.stage} wave {job.wave}: {names}"


def _timeout_minutes(job) -> int:
    """Twice the slowest healthy rollout, plus the longest approval timeout, plus 15 minutes."""
    approvals = [m.release.strategy.approval.timeout_s for m in job.members if m.release.strategy.approval]
    seconds = 2 * job.duration_s + max(approvals, default=0) + 15 * 60
    return -(-seconds // 60)


def _rollback(train, stage: str, jobs, previous: tuple) -> dict:
    """One stage's rollback, after the later stages' (`previous`): it runs when any job before it
    failed, in the stage's GitHub environment when that is production (its secrets and rules)."""
    steps = [dict(CHECKOUT)]
    for job in reversed(jobs):
        if job.kind == CONTRACT:
            continue  # a contract migration is not undone by rolling a service back
        for member in reversed(job.members):
            for failed in (True, False):
                result = "failure" if failed else "success"
                steps.append({
                    "name": expression_safe(f"{'Abort' if failed else 'Roll back'} {member.release.output_dir}"),
                    "if": f"${{{{ !cancelled() && needs.{job.id}.result == '{result}' }}}}",
                    "run": expression_safe(undo_script(train, member, failed)),
                })
    result = {"name": f"roll back {stage} (in reverse order)", "needs": [job.id for job in jobs] + list(previous),
              "if": "${{ failure() }}", "runs-on": RUNNER}
    if any(job.production for job in jobs):
        result["environment"] = {"name": stage}
    result["steps"] = steps
    return result


def _quote(text: str) -> str:
    from ..shell import quote

    return quote(text)
