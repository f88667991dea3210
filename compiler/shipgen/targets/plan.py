"""The plan: `PLAN.md` and `plan.svg` beside the runbook, so that the committed output shows
what the controller will do (the rollout model simulated healthy, bad from the start, and bad
from t = 0 with passing smoke tests; see `shipgen.rollout`)."""

from __future__ import annotations

from ..artifacts import MARKDOWN, SVG, Artifact
from ..model import Release

NAME = "plan"


def applies(release: Release) -> bool:
    return True


def render(release: Release, facts) -> list:
    from ..rollout.plan import release_plans
    from ..rollout.report import markdown
    from ..rollout.svg import plan_svg

    plans = release_plans(release)
    return [Artifact("PLAN.md", markdown([plans], picture="plan.svg"), MARKDOWN),
            Artifact("plan.svg", plan_svg([plans]), SVG)]
