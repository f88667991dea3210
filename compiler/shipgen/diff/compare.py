"""The two sides of a diff compared, release by release.

- **releases**: matched by environment and name; a release that disappears while another
  appears from the same spec file is a rename, compared as one release;
- **behaviour**: what the rollout does, from the rollout model and its simulated plans (the same
  ones `shipgen plan` shows), plus the spec's gates, rollback triggers and migrations. Each
  change is one sentence with a class: `risk-increase` (a bad version is caught later or not
  at all, serves more traffic, a gate or trigger is looser or gone, a traffic step is skipped),
  `risk-decrease` (the opposite), or `change` (neither: e.g. a healthy rollout that is longer);
- **findings**: lint findings added and resolved (matched by code and message);
- **resources**: generated objects matched by kind, namespace and name (CloudFormation
  resources by logical ID), compared field by field; lists of named items are matched by
  name, so order without meaning is no change. Other files are compared by their lines,
  without the generated-by header. `PLAN.md` and `plan.svg` are the behaviour, not resources.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from ..durations import human

RISK_INCREASE, RISK_DECREASE, CHANGE = "risk-increase", "risk-decrease", "change"
CLASS_ORDER = {RISK_INCREASE: 0, CHANGE: 1, RISK_DECREASE: 2}


class Change(NamedTuple):
    kind: str  # RISK_INCREASE | RISK_DECREASE | CHANGE
    text: str


class FieldChange(NamedTuple):
    path: str  # e.g. spec.analysis.metrics[name=error-rate].thresholdRange.max
    old: object  # None when added
    new: object  # None when removed


class ResourceChange(NamedTuple):
    resource: str  # "Canary shop/web", "AWS::CloudWatch::Alarm ErrorRateAlarm", or the file
    file: str  # path inside the release folder
    status: str  # added | removed | changed
    fields: tuple  # of FieldChange (changed); () otherwise
    lines: int = 0  # text files: lines added + removed


class ReleaseDiff(NamedTuple):
    key: str  # environment/name (after)
    status: str  # added | removed | renamed | changed | unchanged
    old_key: str  # environment/name before (a rename); else = key
    behaviour: tuple  # of Change, worst first
    findings_added: tuple  # of Diagnostic
    findings_resolved: tuple
    resources: tuple  # of ResourceChange
    before: object = None  # snapshot.ReleaseSide
    after: object = None

    @property
    def risk_increase(self) -> bool:
        return any(change.kind == RISK_INCREASE for change in self.behaviour)


class Diff(NamedTuple):
    base: str
    head: str
    releases: tuple  # of ReleaseDiff, sorted: the riskiest first, then by name

    @property
    def behavioural_change(self) -> bool:
        return any(entry.behaviour or entry.status in ("added", "removed", "renamed") for entry in self.releases)


def compare(before, after) -> Diff:
    """`before` and `after` are `snapshot.Side`s."""
    old, new = dict(before.releases), dict(after.releases)
    pairs = []  # (old key or None, new key or None)
    for key in sorted(set(old) & set(new)):
        pairs.append((key, key))
    gone = sorted(set(old) - set(new))
    came = sorted(set(new) - set(old))
    for old_key in list(gone):
        source = old[old_key].release.source
        match = next((key for key in came if new[key].release.source == source), None)
        if match is not None:
            pairs.append((old_key, match))
            gone.remove(old_key)
            came.remove(match)
    pairs += [(key, None) for key in gone] + [(None, key) for key in came]
    entries = [release_diff(old.get(old_key), new.get(new_key), old_key, new_key) for old_key, new_key in pairs]
    entries.sort(key=lambda entry: (not entry.risk_increase, entry.status == "unchanged", entry.key))
    return Diff(before.label, after.label, tuple(entries))


def _name(key) -> str:
    return f"{key[0]}/{key[1]}"


def release_diff(before, after, old_key, new_key) -> ReleaseDiff:
    if before is None:
        return ReleaseDiff(_name(new_key), "added", _name(new_key), (), after.findings, (), (), None, after)
    if after is None:
        return ReleaseDiff(_name(old_key), "removed", _name(old_key), (), (), before.findings, (), before, None)
    behaviour = tuple(sorted(behaviour_changes(before, after), key=lambda change: CLASS_ORDER[change.kind]))
    old_findings = {(finding.code, finding.message) for finding in before.findings}
    new_findings = {(finding.code, finding.message) for finding in after.findings}
    added = tuple(finding for finding in after.findings if (finding.code, finding.message) not in old_findings)
    resolved = tuple(finding for finding in before.findings if (finding.code, finding.message) not in new_findings)
    resources = tuple(resource_changes(before.files, after.files))
    if old_key != new_key:
        status = "renamed"
        behaviour = (Change(CHANGE, f"renamed from {_name(old_key)} to {_name(new_key)} (a new release folder; "
                                    "the old one's objects are not removed by a build)"),) + behaviour
    elif behaviour or added or resolved or resources:
        status = "changed"
    else:
        status = "unchanged"
    return ReleaseDiff(_name(new_key), status, _name(old_key), behaviour, added, resolved, resources, before, after)


# ---------------------------------------------------------------------------- behaviour


def behaviour_changes(before, after) -> list:
    changes = []
    old, new = before.release, after.release
    if before.rollout.controller != after.rollout.controller:
        changes.append(Change(CHANGE, f"controller: {before.rollout.controller} → {after.rollout.controller}"))
    changes += _steps(before, after)
    changes += _timing(before.summary, after.summary)
    changes += _gates(old, new)
    changes += _rollback(old, new)
    changes += _approval(old, new)
    changes += _migrations(old, new)
    return changes


def traffic_steps(side) -> tuple:
    """The shares of user traffic the new version goes through in a healthy run, in order."""
    healthy = side.plans[0]
    steps = []
    for _, share in healthy.weights:
        if 0 < share < 100 and (not steps or steps[-1] != share):
            steps.append(share)
    return tuple(steps)


def _shares(steps: tuple) -> str:
    return " → ".join(f"{share:g}%" for share in steps) if steps else "straight to 100%"


def _steps(before, after) -> list:
    old, new = traffic_steps(before), traffic_steps(after)
    if old == new:
        return []
    skipped = [share for share in old if share not in new]
    first_up = bool(new) and bool(old) and new[0] > old[0] or bool(old) and not new
    text = f"traffic steps: {_shares(old)} became {_shares(new)}"
    if skipped and (first_up or len(new) < len(old)):
        return [Change(RISK_INCREASE, text + f" (skips {', '.join(f'{share:g}%' for share in skipped)})")]
    if first_up:
        return [Change(RISK_INCREASE, text + " (a larger first share)")]
    if new and old and new[0] < old[0] or len(new) > len(old):
        return [Change(RISK_DECREASE, text)]
    return [Change(CHANGE, text)]


def _timing(old, new) -> list:
    changes = []
    if (old.healthy_s, old.healthy_text) != (new.healthy_s, new.healthy_text):
        changes.append(Change(CHANGE, f"healthy rollout: {old.healthy_text} → {new.healthy_text}"))
    if old.worst_rollback_s != new.worst_rollback_s or old.worst_rollback_text != new.worst_rollback_text:
        if new.worst_rollback_s is None and old.worst_rollback_s is not None:
            kind = RISK_INCREASE
        elif old.worst_rollback_s is None and new.worst_rollback_s is not None:
            kind = RISK_DECREASE
        elif old.worst_rollback_s is not None and new.worst_rollback_s is not None:
            kind = RISK_INCREASE if new.worst_rollback_s > old.worst_rollback_s else RISK_DECREASE
        else:
            kind = CHANGE
        changes.append(Change(kind, f"a bad version: {old.worst_rollback_text} → {new.worst_rollback_text}"))
    old_exposure, new_exposure = old.exposure_percent_seconds, new.exposure_percent_seconds
    if old_exposure != new_exposure and None not in (old_exposure, new_exposure):
        kind = RISK_INCREASE if new_exposure > old_exposure else RISK_DECREASE
        changes.append(Change(kind, f"blast radius (traffic on a bad version before it is rolled back or fully out): "
                                    f"{_percent_minutes(old_exposure)} → {_percent_minutes(new_exposure)} %·min"))
    return changes


def _percent_minutes(percent_seconds: float) -> str:
    return f"{round(percent_seconds / 60, 1):g}"


def _bound(value) -> str:
    return "none" if value is None else f"{value:g}"


def _gates(old, new) -> list:
    changes = []
    old_gates = {gate.name: gate for gate in old.gates}
    new_gates = {gate.name: gate for gate in new.gates}
    for name in sorted(set(old_gates) - set(new_gates)):
        changes.append(Change(RISK_INCREASE, f"gate {name} removed"))
    for name in sorted(set(new_gates) - set(old_gates)):
        changes.append(Change(RISK_DECREASE, f"gate {name} added"))
    for name in sorted(set(old_gates) & set(new_gates)):
        before, after = old_gates[name], new_gates[name]
        for bound, looser in (("max", lambda a, b: b is None or (a is not None and b > a)),
                              ("min", lambda a, b: b is None or (a is not None and b < a))):
            a, b = getattr(before, bound), getattr(after, bound)
            if a != b:
                kind = RISK_INCREASE if looser(a, b) else RISK_DECREASE
                word = "looser" if kind == RISK_INCREASE else "tighter"
                changes.append(Change(kind, f"gate {name}: {bound} {_bound(a)} → {_bound(b)} ({word})"))
        if before.window_s != after.window_s:
            changes.append(Change(CHANGE, f"gate {name}: window {human(before.window_s)} → {human(after.window_s)}"))
        if (before.metric, before.query, before.provider) != (after.metric, after.query, after.provider):
            changes.append(Change(CHANGE, f"gate {name}: measures something else now (metric, query or provider)"))
    return changes


def _rollback(old, new) -> list:
    changes = []
    before, after = old.rollback, new.rollback
    for name in sorted(set(before.on) - set(after.on)):
        changes.append(Change(RISK_INCREASE, f"rollback no longer triggers on {name}"))
    for name in sorted(set(after.on) - set(before.on)):
        changes.append(Change(RISK_DECREASE, f"rollback now triggers on {name}"))
    if before.automatic != after.automatic:
        changes.append(Change(RISK_INCREASE if before.automatic else RISK_DECREASE,
                              "rollback is " + ("no longer automatic" if before.automatic else "now automatic")))
    if before.max_failed_checks != after.max_failed_checks:
        kind = RISK_INCREASE if after.max_failed_checks > before.max_failed_checks else RISK_DECREASE
        changes.append(Change(kind, f"failed checks tolerated: {before.max_failed_checks} → "
                                    f"{after.max_failed_checks}"))
    return changes


def _approval(old, new) -> list:
    before, after = old.strategy.approval, new.strategy.approval
    if (before is None) == (after is None):
        return []
    if after is None:
        return [Change(CHANGE, f"the approval before {before.before} is gone: nobody is asked")]
    return [Change(CHANGE, f"a person must now approve before {after.before} (within {human(after.timeout_s)})")]


def _migrations(old, new) -> list:
    before = dict(old.database.migrations.files) if old.database.migrations else {}
    after = dict(new.database.migrations.files) if new.database.migrations else {}
    phase = new.database.migrations.phase if new.database.migrations else ""
    changes = [Change(CHANGE, f"migration {name} added (runs {phase})") for name in sorted(set(after) - set(before))]
    changes += [Change(CHANGE, f"migration {name} removed") for name in sorted(set(before) - set(after))]
    changes += [Change(CHANGE, f"migration {name} changed: a migration that already ran is not run again")
                for name in sorted(set(before) & set(after)) if before[name] != after[name]]
    return changes


# ---------------------------------------------------------------------------- resources


def resource_changes(old_files: dict, new_files: dict) -> list:
    old_resources, new_resources = resources_of(old_files), resources_of(new_files)
    changes = []
    for key in sorted(set(old_resources) | set(new_resources)):
        file, before = old_resources.get(key, (None, None))
        new_file, after = new_resources.get(key, (file, None))
        if before is None:
            changes.append(ResourceChange(key, new_file, "added", ()))
        elif after is None:
            changes.append(ResourceChange(key, file, "removed", ()))
        elif isinstance(before, list):  # text lines
            if before != after:
                changes.append(ResourceChange(key, new_file, "changed", (), lines=_changed_lines(before, after)))
        else:
            fields = tuple(field_changes(before, after))
            if fields:
                changes.append(ResourceChange(key, new_file, "changed", fields))
    return changes


def resources_of(files: dict) -> dict:
    """resource name -> (file, parsed object) for structured files, (file, lines) for others."""
    from ruamel.yaml import YAML

    resources = {}
    for path, data in sorted(files.items()):
        text = data.decode("utf-8", errors="replace")
        documents = None
        if path.endswith((".yaml", ".yml")):
            try:
                documents = [document for document in YAML(typ="safe").load_all(text) if document is not None]
            except Exception:  # noqa: BLE001 - a template that is not plain YAML: compared as text
                documents = None
        elif path.endswith(".json"):
            documents = [json.loads(text)]
        if documents is None:
            resources[path] = (path, [line for line in text.splitlines() if not _header(line)])
            continue
        for index, document in enumerate(documents):
            for name, value in _named(document, path, index, len(documents)):
                resources[name] = (path, value)
    return resources


def _header(line: str) -> bool:
    return "generated by shipgen" in line


def _named(document, path: str, index: int, count: int):
    if isinstance(document, dict) and isinstance(document.get("Resources"), dict):  # CloudFormation / SAM
        for logical_id, resource in document["Resources"].items():
            kind = resource.get("Type", "resource") if isinstance(resource, dict) else "resource"
            yield f"{kind} {logical_id}", resource
        rest = {key: value for key, value in document.items() if key != "Resources"}
        if rest:
            yield f"{path} (template)", rest
        return
    if isinstance(document, dict) and "kind" in document and isinstance(document.get("metadata"), dict):
        metadata = document["metadata"]
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        yield f"{document['kind']} {where}{metadata.get('name', '?')}", document
        return
    yield (path if count == 1 else f"{path} #{index + 1}"), document


def field_changes(before, after, path: str = ""):
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in before:
                yield FieldChange(child, None, after[key])
            elif key not in after:
                yield FieldChange(child, before[key], None)
            else:
                yield from field_changes(before[key], after[key], child)
        return
    if isinstance(before, list) and isinstance(after, list):
        old_named, new_named = _by_name(before), _by_name(after)
        if old_named is not None and new_named is not None:
            for name in sorted(set(old_named) | set(new_named), key=str):
                child = f"{path}[name={name}]"
                if name not in old_named:
                    yield FieldChange(child, None, new_named[name])
                elif name not in new_named:
                    yield FieldChange(child, old_named[name], None)
                else:
                    yield from field_changes(old_named[name], new_named[name], child)
            return
        for position in range(max(len(before), len(after))):
            child = f"{path}[{position}]"
            if position >= len(before):
                yield FieldChange(child, None, after[position])
            elif position >= len(after):
                yield FieldChange(child, before[position], None)
            else:
                yield from field_changes(before[position], after[position], child)
        return
    if before != after:
        yield FieldChange(path, before, after)


def _by_name(items: list):
    """Items keyed by their `name`, when every item is a mapping with a unique one."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if not items or None in names or len(set(map(str, names))) != len(names):
        return None
    return {str(name): item for name, item in zip(names, items)}


def _changed_lines(before: list, after: list) -> int:
    import difflib

    return sum(1 for line in difflib.ndiff(before, after) if line[:2] in ("+ ", "- "))
