"""One side of a diff: the releases of a folder built in memory, with what `compare` reads of
each (its rollout model and plans, its lint findings, the files a build would write)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from .revisions import RevisionProblem

DERIVED_FILES = ("PLAN.md", "plan.svg")  # the plan itself: compared as behaviour, not as files


class ReleaseSide(NamedTuple):
    release: object  # model.Release
    rollout: object  # rollout.model.Rollout
    plans: tuple  # of simulate.Plan: the default scenarios
    summary: object  # rollout.plan.Summary
    files: dict  # path inside the release folder -> bytes
    findings: tuple  # of Diagnostic: lint findings on its spec


class Side(NamedTuple):
    label: str  # "working tree", or the ref and its short commit
    releases: dict  # (environment, name) -> ReleaseSide


@contextmanager
def working_directory(folder: Path):
    """Spec paths are shown relative to the working directory: both sides build from their root."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def snapshot(folder: Path, spec_paths: list, label: str) -> Side:
    """Build the specs at `spec_paths` (relative to `folder`, the repository's root at one side).
    A path missing on this side is a release this side does not have."""
    from ..diagnostics import render_text
    from ..facts import compute_facts
    from ..lint import LintSettings, lint
    from ..pipeline import build
    from ..rollout.plan import DEFAULT_SCENARIOS, summary
    from ..rollout.simulate import simulate
    from ..targets import rollout_of

    with working_directory(folder):
        present = [path for path in spec_paths if Path(path).exists()]
        if not present:
            return Side(label, {})
        result = build([Path(path) for path in present])
        errors = [diagnostic for diagnostic in result.diagnostics if diagnostic.severity == "error"
                  and diagnostic.name != "no-specs"]
        if errors:
            raise RevisionProblem(f"the specs at {label} do not build:\n"
                                  + "\n".join(render_text(diagnostic) for diagnostic in errors))
        report = lint(result.checked, LintSettings(), {release.source: compute_facts(release)
                                                       for release in result.checked.releases})
        if report.problems:
            raise RevisionProblem(f"lint cannot run at {label}:\n"
                                  + "\n".join(render_text(problem) for problem in report.problems))
        releases = {}
        for release in result.checked.releases:
            rollout = rollout_of(release)
            plans = tuple(simulate(rollout, scenario) for scenario in DEFAULT_SCENARIOS)
            prefix = release.output_dir + "/"
            files = {path[len(prefix):]: data for path, data in result.files.items()
                     if path.startswith(prefix) and path.rsplit("/", 1)[-1] not in DERIVED_FILES}
            findings = tuple(finding for finding in report.findings if finding.file == release.source)
            releases[(release.metadata.environment, release.name)] = ReleaseSide(
                release, rollout, plans, summary(plans), files, findings)
    return Side(label, releases)
