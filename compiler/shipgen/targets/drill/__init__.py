"""The rollback drill: `drill/DRILL.md` and `drill/drill.sh` in every release folder, and
`shipgen drill SPEC`, both from `drill_artifacts`.

The drill deploys a deliberately failing version into a non-production place, waits for the
controller's verdict, checks that the old version serves again and prints the date to record in
`rollback.lastTested` (SG304). Its timeout is the time `shipgen plan` simulates from the start
to full rollback in the worst failure scenario (`rollout.plan.summary`), plus a margin; when the
plan has no automatic rollback the drill runs the rollback a person would. What each controller
needs is in `platforms.py`; the script's loop in `script.py`; the page in `templates/drill.md.j2`.
"""

from __future__ import annotations

from typing import NamedTuple

from ...artifacts import MARKDOWN, SHELL, Artifact
from ...model import Release

NAME = "drill"
MIN_MARGIN_S = 120  # pods or tasks starting, the controller's first reaction, a slow poll


class DrillTiming(NamedTuple):
    expected_s: int | None  # simulated start to full rollback (worst failure scenario); None: none by itself
    expected_text: str  # as the plan says it
    margin_s: int


def applies(release: Release) -> bool:
    """Every delivery target with a drill in `platforms.py`."""
    from .. import delivery_target
    from .platforms import has_drill

    return has_drill(delivery_target(release).__name__.rsplit("targets.", 1)[-1])


def render(release: Release, facts) -> list:
    return drill_artifacts(release)


def margin_s(expected_s: int | None) -> int:
    """Half the simulated time, at least MIN_MARGIN_S."""
    return max(MIN_MARGIN_S, (expected_s or 0) // 2)


def drill_timing(release: Release) -> DrillTiming:
    """From the simulation `shipgen plan` runs: its `fail-from-start` scenario, since the drill's
    version fails every check (smoke tests, gates, alarms) from the start."""
    from ...durations import human
    from ...rollout.plan import release_plans
    from ...rollout.simulate import FAIL_FROM_START, ROLLED_BACK, Scenario

    plan = release_plans(release, (Scenario(FAIL_FROM_START),)).plans[0]
    if plan.outcome == ROLLED_BACK:
        expected, text = plan.end_s, f"{human(plan.end_s)} from the start to full rollback (scenario {FAIL_FROM_START})"
    elif plan.outcome == "promoted":
        expected, text = None, f"the failing version is fully rolled out after {human(plan.end_s)} (scenario {FAIL_FROM_START})"
    else:
        expected, text = None, f"the rollout waits for a person (scenario {FAIL_FROM_START}): {plan.waiting_for}"
    return DrillTiming(expected, text, margin_s(expected))


def drill_artifacts(release: Release) -> list:
    from ...templating import render_template
    from .. import delivery_target
    from .platforms import drill_platform
    from .script import EXIT_CODES, drill_script

    module = delivery_target(release).__name__.rsplit("targets.", 1)[-1]
    platform = drill_platform(release, module)
    timing = drill_timing(release)
    script = drill_script(release, platform, timing.expected_s, timing.margin_s, module)
    page = render_template("drill.md.j2", release=release, platform=platform, timing=timing,
                           exit_codes=EXIT_CODES, timeout_s=(timing.expected_s or 0) + timing.margin_s)
    return [Artifact("drill/DRILL.md", page, MARKDOWN), Artifact("drill/drill.sh", script, SHELL)]
