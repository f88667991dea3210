"""The release train as a GitLab CI pipeline (`.gitlab-ci.yml`), built as data and serialized.

The same jobs and scripts as the GitHub Actions workflow: one stage per job of the train's run
order (GitLab runs stages one after another), `environment:` on the jobs of production stages, a
manual job (`when: manual`, `allow_failure: false`, so later stages wait for it) where a spec asks
for an approval, and rollback jobs (`when: on_failure`) in reverse order. A wave job records
`train-state/<job>.started` and `.succeeded` as artifacts, so each rollback job knows whether to
abort its wave (started, not succeeded), roll it back (succeeded), or leave it (never started).
Checked against the GitLab CI schema that check-jsonschema vendors (`tests/test_train.py`).
"""

from __future__ import annotations

from .plan import APPROVAL, CONTRACT, WAVE
from .scripts import migration_script, undo_script, wave_script

STATE = "train-state"


def gitlab_ci(train) -> dict:
    undo = [job for job in reversed(train.jobs) if job.kind == WAVE]
    stages = [job.id for job in train.jobs] + [f"rollback-{job.id}" for job in undo]
    document = {"stages": stages, "variables": {"RELEASES_DIR": "."}}
    for job in train.jobs:
        document[job.id] = _job(train, job)
    for job in undo:
        document[f"rollback-{job.id}"] = _rollback(train, job)
    return document


def _job(train, job) -> dict:
    result = {"stage": job.id}
    if job.kind == APPROVAL:
        asks = "; ".join(f"{m.release.output_dir}: approval before {m.release.strategy.approval.before}"
                         for m in job.members)
        result.update({"when": "manual", "allow_failure": False, "script": [_echo(f"approved: {asks}")]})
        return result
    if job.production:
        result["environment"] = {"name": job.stage}
    script = [f"mkdir -p {STATE}", f"touch {STATE}/{job.id}.started"]
    if job.kind == CONTRACT:
        script += [migration_script(member) for member in job.members]
    else:
        script += [migration_script(member) for member in job.members
                   if member.release.database.migrations is not None
                   and member.release.database.migrations.phase == "before-rollout"]
        script.append("(\n" + wave_script(train, job.members) + ")\n")  # its `exit` must not end the job's script
    script.append(f"touch {STATE}/{job.id}.succeeded")
    result["script"] = script
    result["artifacts"] = {"when": "always", "paths": [f"{STATE}/"]}
    return result


def _rollback(train, job) -> dict:
    script = ["status=0"]
    for member in reversed(job.members):  # each release is tried even when one before it failed
        undo = undo_script(train, member, False, " || status=1")
        abort = undo_script(train, member, True, " || status=1")
        script.append(f"if [ -f {STATE}/{job.id}.succeeded ]; then\n{undo}"
                      f"elif [ -f {STATE}/{job.id}.started ]; then\n{abort}fi\n")
    script.append('exit "$status"')
    return {"stage": f"rollback-{job.id}", "when": "on_failure", "script": script}


def _echo(text: str) -> str:
    from ..shell import quote

    return "echo " + quote(text)
