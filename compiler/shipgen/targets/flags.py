"""Feature flags: an OpenFeature flagd flag file (`flags/flags.flagd.json`, flagd schema v0
`https://flagd.dev/schema/v0/flags.json`, which flagd and the flagd providers' in-process and
file modes read) for the release's `flags`.

Each flag is boolean, with the variants `on` (true) and `off` (false); `off` is the
`defaultVariant`, so whatever the targeting does not decide is off. The targeting, in flagd's
JsonLogic:

* internal users first: `{"if": [<internal>, "on", <everyone else>]}`, where `<internal>` tests
  one evaluation-context attribute (`ends_with` a domain, or `in` a list);
* everyone else: flagd's `fractional` operation, `[["on", p], ["off", 100 - p]]`, at the ramp's
  current step p. fractional buckets each targeting key by a hash of the flag key and the
  targeting key (murmur3 over the key, `bucket = hash * total weight >> 32`) and gives `on` to
  the buckets below p: a user who is on at 10% stays on at 50% (the ramp only adds users);
* step 0 (internal users only): `null` for everyone else, which flagd resolves to the default
  variant.

The committed file holds the *current* step (`flags[].percent`); the ramp (`flags[].steps`,
by default the canary's step weights then 100) is in the plan and the runbook, each step one
edit of `percent`. The kill switch, `killed: true`, drops the targeting: flagd then serves the
default variant `off` to everyone, internal users included. The same kill can be done on the
served file without a build (the runbook's instant revert): delete the flag's `targeting`.

`ramp(flag)` is the one place that says what each step serves; the plan and the runbook read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..artifacts import JSON, Artifact
from ..model import FeatureFlag, Release

NAME = "flags"
PATH = "flags/flags.flagd.json"
SCHEMA = "https://flagd.dev/schema/v0/flags.json"
ON, OFF = "on", "off"


@dataclass(frozen=True)
class RampStep:
    percent: int  # share of targeting keys (other than internal users) that get `on`
    internal: bool  # internal users get `on`
    current: bool  # the step the generated file is at

    @property
    def text(self) -> str:
        if self.percent == 0:
            return "internal users only" if self.internal else "off for everyone"
        return f"{self.percent}% of users" + (" + internal users" if self.internal and self.percent < 100 else "")


def applies(release: Release) -> bool:
    return bool(release.flags)


def render(release: Release, facts) -> list:
    return [Artifact(PATH, flag_set(release), JSON)]


def flag_set(release: Release) -> dict:
    from ..serialize import header_text

    return {
        "$schema": SCHEMA,
        "metadata": {"flagSetId": f"{release.namespace}/{release.name}", "image": release.service.image,
                     "generatedBy": header_text(release.source)},
        "flags": {flag.name: flag_definition(flag) for flag in release.flags},
    }


def flag_definition(flag: FeatureFlag, percent: int | None = None, killed: bool | None = None) -> dict:
    """The flagd flag at `percent` (default: the spec's current step); killed: no targeting."""
    percent = flag.percent if percent is None else percent
    killed = flag.killed if killed is None else killed
    definition = {"state": "ENABLED", "variants": {ON: True, OFF: False}, "defaultVariant": OFF}
    if not killed:
        definition["targeting"] = targeting(flag, percent)
    metadata = {"rampPercent": 0 if killed else percent, "killed": killed}
    if flag.description:
        metadata["description"] = flag.description
    definition["metadata"] = metadata
    return definition


def targeting(flag: FeatureFlag, percent: int) -> dict:
    everyone = None if percent == 0 else {"fractional": [[ON, percent], [OFF, 100 - percent]]}
    if flag.internal is None:
        return everyone if everyone is not None else {"if": [False, ON, None]}
    return {"if": [internal_rule(flag), ON, everyone]}


def internal_rule(flag: FeatureFlag) -> dict:
    audience = flag.internal
    attribute = {"var": audience.attribute}
    tests = [{"ends_with": [attribute, suffix]} for suffix in audience.ends_with]
    if audience.values:
        tests.append({"in": [attribute, list(audience.values)]})
    return tests[0] if len(tests) == 1 else {"or": tests}


def ramp(flag: FeatureFlag) -> tuple:
    """The ramp step by step: step 0 (internal users, when there are any), then each step."""
    internal = flag.internal is not None
    percents = ((0,) if internal else ()) + flag.steps
    return tuple(RampStep(p, internal, p == flag.percent and not flag.killed) for p in percents)


def ramp_rows(release: Release, rollout) -> list:
    """The flag ramps next to the deployment ramp, in the order they happen: the deployment's
    phases with every flag at its first step (internal users only, or off), then each flag's
    steps once the new version serves everyone. Each row: {"deployment" (the phase), "traffic" (its
    share on the new version), "flags": {name: text}, "current": [flags whose file is at this row]}."""
    if not release.flags:
        return []
    firsts = {flag.name: ramp(flag)[0] for flag in release.flags}
    rows = []
    for phase in rollout.phases:
        share = "requests that match the routing rule" if phase.weight is None else f"{phase.weight:g}%"
        rows.append({"deployment": phase.name, "traffic": share,
                     "flags": {name: ("off" if first.percent else first.text) for name, first in firsts.items()},
                     "current": []})
    for flag in release.flags:
        for step in ramp(flag):
            row = {"deployment": "done", "traffic": "100%", "flags": {}, "current": [flag.name] if step.current else []}
            for other in release.flags:
                if other.name == flag.name:
                    row["flags"][other.name] = step.text
                else:
                    done = release.flags.index(other) < release.flags.index(flag)
                    row["flags"][other.name] = ramp(other)[-1].text if done else (
                        "off" if firsts[other.name].percent else firsts[other.name].text)
            rows.append(row)
    for flag in release.flags:
        if flag.killed:
            rows.append({"deployment": "done", "traffic": "100%", "flags": {f.name: ("off for everyone (killed)" if f is flag else "-")
                                                               for f in release.flags}, "current": [flag.name]})
    return rows


def ramp_json(release: Release) -> list:
    return [{"name": flag.name, "killed": flag.killed, "percent": flag.percent,
             "steps": [{"percent": step.percent, "internal": step.internal, "current": step.current}
                       for step in ramp(flag)]} for flag in release.flags]


def runbook_views(release: Release) -> list:
    """What the runbook says about each flag: its ramp (the current step marked), how to advance
    it, and the instant revert (the kill switch, in the spec and on the served file)."""
    from ..shell import command, quote

    views = []
    for index, flag in enumerate(release.flags):
        path = f"flags[{index}]"
        jq_filter = f".flags[{json_string(flag.name)}] |= del(.targeting)"
        views.append({
            "name": flag.name, "description": flag.description, "killed": flag.killed, "path": path,
            "steps": [{"text": step.text, "current": step.current} for step in ramp(flag)],
            "internal": internal_text(flag),
            "kill_on_file": f"{command('jq', jq_filter, PATH)} > flags.tmp && mv flags.tmp {quote(PATH)}",
        })
    return views


def internal_text(flag: FeatureFlag) -> str:
    audience = flag.internal
    if audience is None:
        return ""
    tests = [f"ends with `{suffix}`" for suffix in audience.ends_with]
    if audience.values:
        tests.append("is one of " + ", ".join(f"`{value}`" for value in audience.values))
    return f"`{audience.attribute}` " + " or ".join(tests)


def json_string(value: str) -> str:
    import json

    return json.dumps(value)
