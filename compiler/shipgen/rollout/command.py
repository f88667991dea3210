"""`shipgen plan`: parse the scenario options, simulate every release, print the plans."""

from __future__ import annotations

import json
import re

import click

from ..durations import seconds

DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d))+$|^[0-9]+$")
EXIT_OK, EXIT_BAD_INPUT = 0, 2


class UsageProblem(ValueError):
    """An option the user gave that cannot be read."""


def duration_option(name: str, value: str) -> int:
    if not DURATION.match(value.strip()):
        raise UsageProblem(f"{name} {value!r} is not a duration (e.g. 90s, 5m, 1h30m)")
    return seconds(value.strip()) if not value.strip().isdigit() else int(value)


def parse_scenarios(values: tuple) -> tuple:
    from .plan import DEFAULT_SCENARIOS
    from .simulate import FAIL_AT, SCENARIOS, Scenario

    if not values:
        return DEFAULT_SCENARIOS
    scenarios = []
    for value in values:
        parts = re.split(r"[=: ]+", value.strip(), maxsplit=1)
        name, argument = parts[0], parts[1] if len(parts) > 1 else None
        if name not in SCENARIOS:
            raise UsageProblem(f"unknown scenario {value!r}: choose from healthy, fail-from-start, "
                               "fail-at=DURATION, provider-down")
        if name == FAIL_AT:
            if argument is None:
                raise UsageProblem("scenario fail-at needs a time: fail-at=5m")
            scenarios.append(Scenario(FAIL_AT, fail_at_s=duration_option("fail-at", argument)))
        elif argument is not None:
            raise UsageProblem(f"scenario {name} takes no value (got {value!r})")
        else:
            scenarios.append(Scenario(name))
    return tuple(scenarios)


def run_plan_command(specs, scenario_values, startup, approve_after, output_format) -> int:
    from ..diagnostics import has_errors, render_text
    from ..pipeline import check_specs
    from .plan import plan_json, release_plans, with_startup

    try:
        scenarios = with_startup(parse_scenarios(scenario_values), duration_option("--startup", startup),
                                 duration_option("--approve-after", approve_after) if approve_after else None)
    except UsageProblem as problem:
        click.echo(f"shipgen plan: {problem}", err=True)
        return EXIT_BAD_INPUT
    checked = check_specs(specs)
    for diagnostic in checked.diagnostics:
        click.echo(render_text(diagnostic), err=True)
    if has_errors(checked.diagnostics):
        return EXIT_BAD_INPUT
    from ..train.plan import plan_train

    train = plan_train(checked, duration_option("--startup", startup))
    if train is not None:
        for diagnostic in train.diagnostics:
            click.echo(render_text(diagnostic), err=True)
        if has_errors(train.diagnostics):
            return EXIT_BAD_INPUT
    releases = sorted(checked.releases, key=lambda release: release.output_dir)
    all_plans = [release_plans(release, scenarios) for release in releases]
    if output_format == "json":
        documents = [plan_json(plans.release, plans.rollout, plan) for plans in all_plans for plan in plans.plans]
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False))
    elif output_format == "markdown":
        from .report import markdown

        click.echo(markdown(all_plans), nl=False)
        if train is not None:
            from ..train.report import timeline_text

            click.echo("\n## Release train\n\n```\n" + timeline_text(train) + "```")
    elif output_format == "svg":
        import xml.etree.ElementTree as ElementTree

        from .svg import plan_svg

        click.echo('<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(plan_svg(all_plans),
                                                                                      encoding="unicode"))
    else:
        from .report import text

        click.echo(text(all_plans), nl=False)
        if train is not None:
            from ..train.report import timeline_text

            click.echo("\n" + timeline_text(train), nl=False)
    return EXIT_OK
