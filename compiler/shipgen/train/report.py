"""RELEASE-TRAIN.md (the Jinja2 template `templates/release-train.md.j2`) and the train's timeline
as `shipgen plan` prints it."""

from __future__ import annotations

from ..durations import human
from .plan import APPROVAL, CONTRACT, WAVE


def view(train) -> dict:
    """Plain values for the template and the text timeline."""
    from ..facts.migrations import classify_files

    jobs = []
    for job in train.jobs:
        members = []
        for member in job.members:
            release = member.release
            migrations = release.database.migrations
            migration = None
            if migrations is not None:
                facts = train.facts.get(release.source)
                report = facts.migrations if facts is not None and facts.migrations is not None else \
                    classify_files(migrations.files, migrations.dialect)
                breaking = sorted({op.subject for op in report.operations if op.breaking})
                migration = {"phase": migrations.phase, "tool": migrations.tool,
                             "kind": "contract" if breaking else "expand", "breaking": breaking}
            members.append({"folder": release.output_dir, "source": release.source, "name": release.name,
                            "service": f"{release.namespace}/{release.name}", "image": release.service.image,
                            "controller": _controller(release), "healthy": member.healthy_text,
                            "healthy_s": member.healthy_s, "approval": _approval(release),
                            "depends_on": [f"{d.namespace}/{d.name}" for d in release.depends_on],
                            "migration": migration})
        jobs.append({"id": job.id, "kind": job.kind, "stage": job.stage, "wave": job.wave,
                     "needs": list(job.needs), "start": human(job.start_s), "end": human(job.end_s),
                     "duration": human(job.duration_s), "production": job.production, "members": members,
                     "slowest": job.slowest.release.output_dir if job.slowest and job.kind == WAVE else ""})
    return {"stages": list(train.stages), "jobs": jobs, "total": human(train.total_s),
            "critical": [{"job": job.id, "folder": member.release.output_dir, "healthy": member.healthy_text,
                          "start": human(job.start_s), "end": human(job.end_s)} for job, member in train.critical_path],
            "approvals": any(job.kind == APPROVAL for job in train.jobs),
            "contracts": any(job.kind == CONTRACT for job in train.jobs),
            "warnings": [f"{d.file}:{d.line}:{d.col}: {d.code} {d.name}: {d.message}" for d in train.diagnostics]}


def _controller(release) -> str:
    platform = release.platform
    return platform.kind if platform.kind != "kubernetes" else f"kubernetes/{platform.controller}"


def _approval(release) -> str:
    approval = release.strategy.approval
    if approval is None:
        return ""
    return f"before {approval.before}, within {human(approval.timeout_s)} (then {approval.on_timeout})"


def markdown(train) -> str:
    from ..templating import render_template

    return render_template("release-train.md.j2", train=view(train))


def timeline_text(train) -> str:
    """The whole train's timeline for `shipgen plan`: each job's start and end, the total, the critical path."""
    data = view(train)
    lines = [f"release train: {len(train.members)} releases, {len(train.waves)} waves in "
             f"{', '.join(train.stages)}; healthy, approvals given at once: {data['total']}"]
    for job in data["jobs"]:
        names = ", ".join(f"{m['folder']} ({m['healthy']})" for m in job["members"])
        what = {WAVE: f"{job['stage']} wave {job['wave']}", APPROVAL: f"approval before {job['stage']} wave "
                f"{job['wave']}", CONTRACT: f"{job['stage']} contract migrations"}[job["kind"]]
        lines.append(f"  {job['start']:>8} - {job['end']:<8} {what}: {names}")
    lines.append("critical path: " + " -> ".join(f"{item['folder']} ({item['healthy']})" for item in data["critical"]))
    return "\n".join(lines) + "\n"
