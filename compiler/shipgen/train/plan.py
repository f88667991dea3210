"""The train as data: stages, waves, jobs in run order, each release's healthy duration, the
timeline and its critical path.

Jobs run one after another (`needs:` the job before): within a stage wave after wave; a stage's
contract migrations (`phase: after-rollout`) after its last wave, once every service of the
stage runs the new version; the next stage only after the whole stage before it, so a production
release always waits for the same service's staging release to be rolled out and healthy. A
wave whose releases ask for an approval (`strategy.approval`) is preceded by an approval job.
Inside a wave the releases roll out side by side, so a wave lasts as long as its slowest
release: that release is the wave's part of the critical path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import ERROR, WARNING, Diagnostic, has_errors
from .codes import SERVICE_RELEASED_TWICE, UNVERIFIED_PROMOTION
from .graph import dependency_problems, label, service_key, waves
from .order import stage_order

WAVE, APPROVAL, CONTRACT = "wave", "approval", "contract"


@dataclass(frozen=True)
class Member:
    """One release in the train."""

    release: object  # model.Release
    stage: str
    wave: int
    healthy_s: int  # the simulated healthy rollout, a person approving at once
    healthy_text: str
    waits_for_person: bool  # the rollout stops for an approval (time not counted)


@dataclass(frozen=True)
class Job:
    """One job of the pipeline: a wave of one stage, the approval before it, or a stage's contract."""

    id: str
    kind: str  # wave | approval | contract
    stage: str
    wave: int  # 0 for a contract job
    members: tuple  # of Member
    needs: tuple  # of job ids
    start_s: int
    duration_s: int

    @property
    def production(self) -> bool:
        return any(member.release.metadata.production for member in self.members)

    @property
    def slowest(self):
        return max(self.members, key=lambda member: (member.healthy_s, member.release.source), default=None)

    @property
    def end_s(self) -> int:
        return self.start_s + self.duration_s


@dataclass
class Train:
    stages: tuple = ()
    jobs: tuple = ()  # of Job, in run order
    diagnostics: list = field(default_factory=list)
    sources: tuple = ()  # every spec of the train
    facts: dict = field(default_factory=dict)  # release source -> Facts, as the build computed them
    _procedures: dict = field(default_factory=dict)

    def procedure(self, release):
        """The release's runbook procedure (computed once)."""
        if release.source not in self._procedures:
            from ..facts import compute_facts
            from ..targets import delivery_target

            facts = self.facts.get(release.source) or compute_facts(release)
            self._procedures[release.source] = delivery_target(release).procedure(release, facts)
        return self._procedures[release.source]

    @property
    def waves(self) -> tuple:
        return tuple(job for job in self.jobs if job.kind == WAVE)

    @property
    def total_s(self) -> int:
        return self.jobs[-1].end_s if self.jobs else 0

    @property
    def critical_path(self) -> tuple:
        """(job, member) of the slowest release of every wave, in order: they add up to the total."""
        return tuple((job, job.slowest) for job in self.waves)

    @property
    def members(self) -> tuple:
        return tuple(member for job in self.waves for member in job.members)


def plan_train(checked, startup_s: int = 0, facts: dict | None = None) -> Train | None:
    """The train of a build's releases, or None with fewer than two (no train). `facts` (release
    source -> Facts) saves computing them again for the runbook procedures the pipelines read."""
    releases = sorted(checked.releases, key=lambda release: release.source)
    if len(releases) < 2:
        return None
    train = Train(sources=tuple(release.source for release in releases), facts=dict(facts or {}))
    train.diagnostics.extend(dependency_problems(releases, checked.documents))
    stages, stage_of, problems = stage_order(releases, checked.documents)
    train.diagnostics.extend(problems)
    if has_errors(train.diagnostics):
        return train
    train.stages = stages
    by_stage = {stage: [release for release in releases if stage_of[release.source] == stage] for stage in stages}
    wave_of = waves(by_stage)
    train.diagnostics.extend(_twice_in_a_stage(releases, stage_of, checked.documents))
    train.diagnostics.extend(_promotion_warnings(releases, stages, stage_of, checked.documents))
    train.jobs = _jobs(stages, by_stage, wave_of, startup_s)
    return train


def _twice_in_a_stage(releases, stage_of, documents) -> list:
    """SG012 on each spec of a service that has two or more releases in one stage (e.g. one in
    `prod`, one in `production`): the train would roll them out side by side."""
    by_place: dict = {}
    for release in releases:
        by_place.setdefault((stage_of[release.source], service_key(release)), []).append(release)
    problems = []
    for (stage, key), same in sorted(by_place.items()):
        if len(same) < 2:
            continue
        names = ", ".join(f"{release.source} ({release.metadata.environment})" for release in same)
        for release in same:
            position = documents[release.source].locate(("metadata", "name"))
            problems.append(Diagnostic(*SERVICE_RELEASED_TWICE, f"{label(key)} has {len(same)} releases in {stage} "
                                       f"({names}): the train rolls them out side by side in one wave",
                                       release.source, position.line, position.col, severity=WARNING,
                                       spec_path=("metadata", "name"),
                                       fix="give each release its own service name or environment, or keep one spec"))
    return problems


def _promotion_warnings(releases, stages, stage_of, documents) -> list:
    """SG009 for each production release that no release of an earlier stage verifies (same
    service and image), once the train has any earlier stage at all."""
    problems = []
    rank_of = {release.source: stages.index(stage_of[release.source]) for release in releases}
    first_rank = min(rank_of.values())
    by_key: dict = {}
    for release in releases:
        by_key.setdefault(service_key(release), []).append(release)
    for release in releases:
        if not release.metadata.production:
            continue
        rank = rank_of[release.source]
        if rank == first_rank:
            continue  # no release of the build comes before this one's environment
        same = [other for other in by_key[service_key(release)] if rank_of[other.source] < rank]
        if not same:
            message = (f"{label(service_key(release))} goes to {stage_of[release.source]} with no release in an "
                       f"earlier environment ({', '.join(stages[:rank])}): unverified promotion")
            path = ("metadata", "environment")
        elif not any(other.service.image == release.service.image for other in same):
            images = ", ".join(sorted({f"{stage_of[other.source]} runs {other.service.image}" for other in same}))
            message = (f"{label(service_key(release))} goes to {stage_of[release.source]} with image "
                       f"{release.service.image}, but {images}: unverified promotion of this version")
            path = ("service", "image")
        else:
            continue
        position = documents[release.source].locate(path)
        problems.append(Diagnostic(*UNVERIFIED_PROMOTION, message, release.source, position.line,
                                   position.col, severity=WARNING, spec_path=path,
                                   fix="add a spec for the same service and image in an earlier environment "
                                       "(e.g. staging), so the train rolls it out there first"))
    return problems


def _jobs(stages, by_stage, wave_of, startup_s) -> tuple:
    jobs = []
    clock = 0
    previous = ()
    for stage in stages:
        numbers = sorted({wave_of[release.source] for release in by_stage[stage]})
        for number in numbers:
            members = tuple(_member(release, stage, number, startup_s)
                            for release in by_stage[stage] if wave_of[release.source] == number)
            if any(member.release.strategy.approval is not None for member in members):
                approval = Job(f"approve-{stage}-wave-{number}", APPROVAL, stage, number,
                               tuple(m for m in members if m.release.strategy.approval is not None), previous,
                               clock, 0)
                jobs.append(approval)
                previous = (approval.id,)
            duration = max(member.healthy_s for member in members)
            job = Job(f"{stage}-wave-{number}", WAVE, stage, number, members, previous, clock, duration)
            jobs.append(job)
            clock, previous = job.end_s, (job.id,)
        contracting = tuple(_member(release, stage, wave_of[release.source], startup_s) for release in by_stage[stage]
                            if release.database.migrations is not None
                            and release.database.migrations.phase == "after-rollout")
        if contracting:
            job = Job(f"{stage}-contract", CONTRACT, stage, 0, contracting, previous, clock, 0)
            jobs.append(job)
            previous = (job.id,)
    return tuple(jobs)


def _member(release, stage: str, wave: int, startup_s: int) -> Member:
    from ..rollout.plan import release_plans, with_startup
    from ..rollout.simulate import HEALTHY, WAITING, Scenario
    from ..durations import human

    plans = release_plans(release, with_startup((Scenario(HEALTHY),), startup_s, approve_after_s=0))
    healthy = plans.plans[0]
    waits = release.strategy.approval is not None
    text = human(healthy.end_s) + (" + approval" if waits else "")
    if healthy.outcome == WAITING:
        text = f"{human(healthy.end_s)}, then waits for a person ({healthy.waiting_for})"
    return Member(release, stage, wave, healthy.end_s, text, waits)


def header_source(train: Train) -> str:
    return f"the release train of {len(train.sources)} specs"


__all__ = ["ERROR", "Job", "Member", "Train", "plan_train"]
